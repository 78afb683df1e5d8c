"""The dialogue loop and the resumable generate stage, on real tutor and simulator sessions (backend none)."""

from __future__ import annotations

import json

import pytest

from evals import metrics as M
from evals import runner
from evals.config import PersonaSpec, ProblemSet, RoleConfig, RunConfig
from evals.records import DialogueRecord, RecordFile
from evals.runner import extract_code, generate, records_path, run_dialogue
from inference import get_backend
from knowledge.bank import load_starter
from knowledge.types import Problem
from simulator import HiddenState, Persona
from tests.test_evals_helpers import code_problem, record
from tutor import TurnTrace
from tutor.sandbox import run_tests

MATH, CODE = "math-trail-mix", "code-sum-up-to"  # starter-bank problems that a telling tutor gets solved in 2-3 turns


def _count_dialogues(monkeypatch) -> dict[str, int]:
    """Count the real dialogues the generate stage plays (the sessions themselves are real, backend none)."""
    calls = {"dialogues": 0}
    real = runner.run_dialogue

    def counted(*args, **kwargs):
        calls["dialogues"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(runner, "run_dialogue", counted)
    return calls


def starter(problem_id: str) -> Problem:
    return next(p for p in load_starter() if p.id == problem_id)


def test_dialogue_ends_with_a_closing_reply_after_success():
    # telling states the step, the simulated student then states the answer: the tutor closes, the student does not
    problem = starter(MATH)
    r = run_dialogue(problem, "telling", PersonaSpec(use_problem_profile=False), 0, max_turns=12)
    assert r.outcome.solved and r.outcome.ended == "solved"
    t = r.outcome.solved_turn
    assert r.outcome.turns == t + 1  # the tutor's closing reply
    assert [u.role for u in r.transcript] == ["tutor", "student"] * (t + 1) + ["tutor"]
    assert len(r.tutor_traces) == t + 1 and {x.policy for x in r.tutor_traces} == {"telling"}
    # turn k's trace is the tutor's reading of the student's message at turn k - 1
    students = [u.text for u in r.messages("student")]
    assert [x.turn for x in r.tutor_traces] == list(range(1, t + 2))
    assert [x.student_message for x in r.tutor_traces] == students
    assert r.malgorithm_id in {m.id for m in problem.malgorithms}
    assert r.persona == Persona(name="student", mode="typical") and r.persona_label == "student/typical"


def test_telling_states_the_answer_before_the_student_has_it():
    # a multi-step problem: the telling baseline's first reply is the worked solution, so its success comes by telling
    problem = starter(MATH)
    assert len(problem.steps) >= 2
    r = run_dialogue(problem, "telling", PersonaSpec(use_problem_profile=False), 0, max_turns=12)
    first = r.messages("tutor")[1]
    assert first.turn == 1 and M.tutor_states_answer(first.text, problem)
    assert r.outcome.solved and M.telling_at(12).fn(r) == 1.0


def test_record_keeps_the_students_state_after_each_message():
    r = run_dialogue(starter(MATH), "telling", PersonaSpec(use_problem_profile=False), 0, max_turns=12)
    states = r.student_hidden_states
    assert len(states) == len(r.messages("student"))
    assert states[0].misconceived and states[0].malgorithm_id == r.malgorithm_id  # the opening follows a wrong path
    assert states[-1] != states[0]  # a snapshot per message, not the live state seen at the end
    assert r.student_events[0].kind == "opening" and r.student_events[0].turn == 0
    assert [e.turn for e in r.student_events] == sorted(e.turn for e in r.student_events)
    assert max(e.turn for e in r.student_events) == r.outcome.solved_turn
    loaded = DialogueRecord.model_validate_json(r.model_dump_json())
    assert (
        loaded == r
        and isinstance(loaded.tutor_traces[0], TurnTrace)
        and isinstance(loaded.student_hidden_states[0], HiddenState)
    )


def test_dialogue_stops_at_max_turns():
    # the content-free baseline never moves the simulated student: the dialogue runs out of turns unsolved
    r = run_dialogue(starter(MATH), "null", PersonaSpec(use_problem_profile=False), 0, max_turns=4)
    assert r.outcome.turns == 4 and not r.outcome.solved and r.outcome.ended in ("max_turns", "tutor_done")
    assert len(r.tutor_traces) == 4 and all(t.plan_kind in ("check", "out_of_turns") for t in r.tutor_traces)
    assert not M.hidden_resolved(r) and M.success_at(4).fn(r) == 0.0


def test_code_success_is_decided_by_the_sandbox():
    problem = starter(CODE)
    r = run_dialogue(problem, "telling", PersonaSpec(use_problem_profile=False), 0, max_turns=6)
    submissions = [(u.turn, extract_code(u.text, problem)) for u in r.messages("student")]
    submissions = [(turn, code) for turn, code in submissions if code is not None]
    assert [run.turn for run in r.outcome.code_runs] == [turn for turn, _ in submissions]
    assert [run.passed for run in r.outcome.code_runs] == [run_tests(c, problem).passed for _, c in submissions]
    assert r.outcome.code_runs[0].passed is False  # the opening submits the buggy program
    passing = [run.turn for run in r.outcome.code_runs if run.passed]
    assert passing and r.outcome.verified_turn == passing[0] == r.outcome.solved_turn


def test_extract_code():
    p = code_problem()
    assert extract_code("here:\n```python\ndef double(x):\n    return 2*x\n```", p).startswith("def double")
    assert extract_code("def double(x):\n    return 2*x", p).startswith("def double")
    assert extract_code("I think line 2 is wrong", p) is None


def _config(tmp_path, **kw) -> RunConfig:
    return RunConfig(
        name="t",
        policies=["tree", "telling"],
        problems=[ProblemSet(source="starter", ids=[MATH])],
        max_turns=5,
        personas=[PersonaSpec(use_problem_profile=False)],
        seeds=[0, 1],
        output_dir=tmp_path,
        **kw,
    )


def test_generate_is_resumable(monkeypatch, tmp_path):
    calls = _count_dialogues(monkeypatch)
    cfg = _config(tmp_path)
    generate(cfg, progress=False)
    assert calls["dialogues"] == 4  # 2 policies x 2 seeds
    keys = RecordFile(records_path(tmp_path)).keys()
    assert len(keys) == 4
    # Simulate an interrupted run: drop one record and leave a torn line behind.
    lines = records_path(tmp_path).read_text().splitlines()
    records_path(tmp_path).write_text("\n".join(lines[:3]) + "\n" + lines[3][:50])
    generate(cfg, progress=False)
    assert calls["dialogues"] == 5  # only the missing dialogue ran again
    assert RecordFile(records_path(tmp_path)).keys() == keys
    generate(cfg, progress=False)
    assert calls["dialogues"] == 5
    assert json.loads((tmp_path / "config.json").read_text())["name"] == "t"
    log = [json.loads(x) for x in (tmp_path / "generate_log.jsonl").read_text().splitlines()]
    assert [x["planned"] for x in log] == [4, 1] and log[-1]["records_total"] == 4


def test_generate_concurrent(monkeypatch, tmp_path):
    calls = _count_dialogues(monkeypatch)
    cfg = _config(tmp_path, concurrency=4)
    generate(cfg, progress=False)
    assert calls["dialogues"] == 4 and len(RecordFile(records_path(tmp_path)).read()) == 4


def test_record_round_trip():
    r = record(["hi", "q"], ["7", "12"], solved_turn=1, mastery=0.5)
    assert DialogueRecord.model_validate_json(r.model_dump_json()) == r


@pytest.mark.parametrize("bad", [{"policies": ["socratic"]}, {"surprise": 1}, {"problems": [{"source": "mathdial"}]}])
def test_config_rejects_bad_fields(bad):
    with pytest.raises(ValueError):
        RunConfig.model_validate(bad)


def test_in_process_backend_runs_sequentially(monkeypatch, tmp_path):
    _count_dialogues(monkeypatch)
    cfg = _config(tmp_path, concurrency=4).model_copy(update={"tutor": RoleConfig(backend="llama_cpp", model="x")})
    none = get_backend("none")
    generate(cfg, progress=False, backends={"tutor": none, "student": none})
    log = json.loads((tmp_path / "generate_log.jsonl").read_text().splitlines()[-1])
    assert log["workers"] == 1 and log["records_total"] == 4
