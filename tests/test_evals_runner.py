"""The dialogue loop and the resumable generate stage, with scripted stand-ins for tutor and simulator sessions."""

from __future__ import annotations

import json
import sys
import types

import pytest

from evals.config import PersonaSpec, ProblemSet, RoleConfig, RunConfig
from evals.records import DialogueRecord, RecordFile
from evals.runner import extract_code, generate, records_path, run_dialogue
from tests.test_evals_helpers import code_problem, math_problem, record


class _Trace(dict):
    pass


def _fake_packages(monkeypatch, student_script: list[str], tutor_done_after: int | None = None) -> dict:
    calls = {"dialogues": 0, "tests": 0}

    class TutorSettings:
        def __init__(self, policy="tree", max_turns=12, seed=None):
            self.policy, self.max_turns = policy, max_turns

    class TutorSession:
        def __init__(self):
            self.turn, self.done, self.last = 0, False, None
            self.opening = "Show me your work."

        @classmethod
        def start(cls, problem, settings=None, backend=None):
            calls["dialogues"] += 1
            return cls()

        def reply(self, text):
            self.turn += 1
            self.last = _Trace(turn=self.turn, move="focus", student_message=text, diagnosis=[])
            if tutor_done_after is not None and self.turn >= tutor_done_after:
                self.done = True
            yield f"Question {self.turn}"
            yield "?"

    class StudentSession:
        def __init__(self):
            self.script = list(student_script)
            self.opening = "I got 7."
            self.solved = False
            self.events = [{"kind": "taught", "turn": 1}]
            self.malgorithm_id = "t-apples-m0"

        @property
        def hidden_state(self):
            return {"resolved": self.solved}

        @classmethod
        def start(cls, problem, persona, seed=0, backend=None):
            return cls()

        def respond(self, text):
            reply = self.script.pop(0) if self.script else "hmm"
            self.solved = self.solved or "12" in reply or "x * 2" in reply
            return reply

    class Persona:
        def __init__(self, **kw):
            self.name, self.mode = kw.get("name", "student"), kw.get("mode", "typical")

    class Run:
        def __init__(self, passed):
            self.passed = passed

    def run_tests(code, problem):
        calls["tests"] += 1
        return Run("x * 2" in code)

    tutor = types.ModuleType("tutor")
    tutor.TutorSettings, tutor.TutorSession = TutorSettings, TutorSession
    sandbox = types.ModuleType("tutor.sandbox")
    sandbox.run_tests = run_tests
    tutor.sandbox = sandbox
    sim = types.ModuleType("simulator")
    sim.StudentSession, sim.Persona = StudentSession, Persona
    monkeypatch.setitem(sys.modules, "tutor", tutor)
    monkeypatch.setitem(sys.modules, "tutor.sandbox", sandbox)
    monkeypatch.setitem(sys.modules, "simulator", sim)
    return calls


def test_dialogue_ends_with_a_closing_reply_after_success(monkeypatch):
    _fake_packages(monkeypatch, ["no idea", "it is 12", "extra"])
    r = run_dialogue(math_problem(), "tree", PersonaSpec(use_problem_profile=False), 0, max_turns=12,
                     tutor_backend=None, student_backend=None)
    assert r.outcome.solved and r.outcome.solved_turn == 2 and r.outcome.ended == "solved"
    assert r.outcome.turns == 3  # turn 3 is the tutor's closing reply; the student does not answer it
    assert [u.role for u in r.transcript] == ["tutor", "student"] * 3 + ["tutor"]
    assert r.transcript[2].text == "Question 1?"  # streamed deltas are joined
    assert len(r.tutor_traces) == 3 and r.tutor_traces[0]["move"] == "focus"
    assert r.student_hidden_states[-1] == {"resolved": True} and len(r.student_hidden_states) == 3
    assert r.malgorithm_id == "t-apples-m0" and r.student_events[0]["kind"] == "taught"
    assert DialogueRecord.model_validate_json(r.model_dump_json()) == r


def test_dialogue_stops_at_max_turns_and_when_tutor_is_done(monkeypatch):
    _fake_packages(monkeypatch, ["no"] * 20)
    r = run_dialogue(math_problem(), "tree", PersonaSpec(use_problem_profile=False), 0, max_turns=4)
    assert r.outcome.turns == 4 and not r.outcome.solved and r.outcome.ended == "max_turns"
    _fake_packages(monkeypatch, ["no"] * 20, tutor_done_after=2)
    r = run_dialogue(math_problem(), "tree", PersonaSpec(use_problem_profile=False), 0, max_turns=10)
    assert r.outcome.ended == "tutor_done" and r.outcome.turns == 2


def test_code_success_is_decided_by_the_sandbox(monkeypatch):
    calls = _fake_packages(monkeypatch, ["```python\ndef double(x):\n    return x + 3\n```",
                                         "```python\ndef double(x):\n    return x * 2\n```"])
    r = run_dialogue(code_problem(), "tree", PersonaSpec(use_problem_profile=False), 0, max_turns=6)
    assert calls["tests"] == 2
    assert [run["passed"] for run in r.outcome.code_runs] == [False, True]
    assert r.outcome.verified_turn == 2 and r.outcome.solved_turn == 2


def test_extract_code():
    p = code_problem()
    assert extract_code("here:\n```python\ndef double(x):\n    return 2*x\n```", p).startswith("def double")
    assert extract_code("def double(x):\n    return 2*x", p).startswith("def double")
    assert extract_code("I think line 2 is wrong", p) is None


def _config(tmp_path, **kw) -> RunConfig:
    return RunConfig(name="t", policies=["tree", "telling"], problems=[ProblemSet()], max_turns=5,
                     personas=[PersonaSpec(use_problem_profile=False)], seeds=[0, 1], output_dir=tmp_path, **kw)


def test_generate_is_resumable(monkeypatch, tmp_path):
    calls = _fake_packages(monkeypatch, ["no", "12"])
    cfg = _config(tmp_path)
    generate(cfg, problems=[math_problem()], progress=False)
    assert calls["dialogues"] == 4  # 2 policies x 2 seeds
    keys = RecordFile(records_path(tmp_path)).keys()
    assert len(keys) == 4
    # Simulate an interrupted run: drop one record and leave a torn line behind.
    lines = records_path(tmp_path).read_text().splitlines()
    records_path(tmp_path).write_text("\n".join(lines[:3]) + "\n" + lines[3][:50])
    generate(cfg, problems=[math_problem()], progress=False)
    assert calls["dialogues"] == 5  # only the missing dialogue ran again
    assert RecordFile(records_path(tmp_path)).keys() == keys
    generate(cfg, problems=[math_problem()], progress=False)
    assert calls["dialogues"] == 5
    assert json.loads((tmp_path / "config.json").read_text())["name"] == "t"
    log = [json.loads(x) for x in (tmp_path / "generate_log.jsonl").read_text().splitlines()]
    assert [x["planned"] for x in log] == [4, 1] and log[-1]["records_total"] == 4


def test_generate_concurrent(monkeypatch, tmp_path):
    calls = _fake_packages(monkeypatch, ["12"])
    cfg = _config(tmp_path, concurrency=4)
    generate(cfg, problems=[math_problem()], progress=False)
    assert calls["dialogues"] == 4 and len(RecordFile(records_path(tmp_path)).read()) == 4


def test_record_round_trip():
    r = record(["hi", "q"], ["7", "12"], solved_turn=1, mastery=0.5)
    assert DialogueRecord.model_validate_json(r.model_dump_json()) == r


@pytest.mark.parametrize("bad", [{"policies": ["socratic"]}, {"surprise": 1}, {"problems": [{"source": "mathdial"}]}])
def test_config_rejects_bad_fields(bad):
    with pytest.raises(ValueError):
        RunConfig.model_validate(bad)


def test_in_process_backend_runs_sequentially(monkeypatch, tmp_path):
    from inference import get_backend

    _fake_packages(monkeypatch, ["12"])
    cfg = _config(tmp_path, concurrency=4).model_copy(update={"tutor": RoleConfig(backend="llama_cpp", model="x")})
    none = get_backend("none")
    generate(cfg, problems=[math_problem()], progress=False, backends={"tutor": none, "student": none})
    log = json.loads((tmp_path / "generate_log.jsonl").read_text().splitlines()[-1])
    assert log["workers"] == 1 and log["records_total"] == 4
