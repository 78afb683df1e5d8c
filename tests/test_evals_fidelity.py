"""evals.fidelity (teacher forcing) and evals.calibrate (the fitted transitions) on the real MathDial dev file."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import numpy as np
import pytest

from errors import ValidationError
from evals.__main__ import main
from evals.calibrate import fit, fit_and_write, objective, observation_arrays
from evals.fidelity import classify, exchanges, force_mathdial, load, metrics
from evals.replay_reference import numbers, question_givens
from knowledge.bank import load_starter
from knowledge.dialogues import read_mathdial
from simulator import StudentSession, builtin
from simulator.transitions import FEATURES, FROZEN, PATH, Cue, bucket, load_transitions, odds_shift, parse, sigmoid
from tests.problems import jacket_problem
from tests.shared_data import MATHDIAL
from tutor.phrasebook import CHECK_PROMPTS, GENERICS

needs_data = pytest.mark.skipif(not MATHDIAL.exists(), reason="shared MathDial data not present")


def test_mathdial_rule_classes() -> None:
    givens = {4.0, 9.0, 20.0}
    assert classify("So she has 16 rolls left.", 16.0, givens) == ("right", 16.0)
    assert classify("4 + 9 = 13, so 7 are left", 16.0, givens) == ("wrong", 7.0)
    assert classify("There are 4 trays of 9 rolls.", 16.0, givens) == ("none", None)


@needs_data
def test_exchanges_pair_each_teacher_turn_with_its_reply() -> None:
    d = read_mathdial(MATHDIAL)[0]
    ex = exchanges(d)
    assert ex and all(e.reply for e in ex)
    teacher = [t for t in d.turns if t.role == "teacher"]
    assert ex[0].teacher == teacher[0].text and ex[0].teacher_turn == 1
    # the simulator is never shown the gold label: the move prefix is stripped from the text
    assert all(not e.teacher.lower().startswith(("(focus)", "(probing)", "(telling)", "(generic)")) for e in ex)


@needs_data
def test_late_real_solvers_are_not_solved_at_once() -> None:
    # real students who first state the answer at teacher turn 4 or later, from the validate half: the calibrated
    # simulator, fed the same teacher turns, must not mostly solve them at the first turn (the old simulator did)
    pairs, _ = load(f"mathdial:{MATHDIAL}", "validate")
    rows = []
    for d, p in pairs:
        ex = exchanges(d)
        answer = float(p.answer)
        real = [classify(e.reply, answer, question_givens(d.question))[0] for e in ex]
        first = next((i + 1 for i, c in enumerate(real) if c == "right"), None)
        if first is not None and first >= 4 and answer not in set(numbers(ex[0].teacher)):
            rows.append(force_mathdial(d, p, use_embeddings=False))
        if len(rows) == 12:
            break
    assert len(rows) == 12
    assert all(r["real_first"] >= 4 for r in rows)
    at_once = sum(1 for r in rows if r["sim_first"] == 1)
    assert at_once <= 3, [(r["dialogue"], r["sim_first"]) for r in rows]
    assert any(r["sim_first"] is None or r["sim_first"] >= 3 for r in rows)


def test_metrics_from_rows() -> None:
    rows = [
        {
            "real": ["wrong", "right"],
            "sim": ["right", "right"],
            "real_values": [3.0, 5.0],
            "sim_values": [5.0, 5.0],
            "real_first": 2,
            "sim_first": 1,
        },
        {
            "real": ["wrong", "wrong"],
            "sim": ["wrong", "none"],
            "real_values": [3.0, 4.0],
            "sim_values": [3.0, None],
            "real_first": None,
            "sim_first": None,
        },
    ]
    m = metrics(rows)
    assert m["real"]["success@1"]["value"] == 0.0 and m["real"]["success@2"]["value"] == 0.5
    assert m["sim"]["success@1"]["value"] == 0.5
    assert m["solved_agreement"]["value"] == 1.0
    assert m["first_correct_gap"] == {"value": 1.0, "n": 1}
    assert m["turns"]["paired"] == 4
    assert m["turns"]["both_right"]["value"] == 0.25 and m["turns"]["same_wrong_value"]["value"] == 0.25


def _cue(**kw) -> Cue:
    base = dict(
        turn=3,
        move="focus",
        target="misconceived",
        answer_told=False,
        fresh_values=0,
        fresh_previous=False,
        last_step=False,
        content=True,
        taught_before=1,
        praise=False,
        error_pointed=False,
        single_misconception=False,
        unknown_steps=0,
    )
    return Cue(**{**base, **kw})


def test_transitions_file_loads_with_provenance_and_notice() -> None:
    tr = load_transitions()
    assert tr.fitted, f"{PATH} missing: refit with python -m evals fidelity mathdial:PATH --fit"
    prov = tr.provenance
    for key in ("data", "data_sha256", "split", "command", "date", "dialogues", "node_mapping"):
        assert prov.get(key), key
    assert "--fit" in prov["command"] and prov["dialogues"] >= 100
    data = json.loads(PATH.read_text())
    assert "CC BY-SA 4.0" in data["notice"] and "MathDial" in data["notice"]
    if MATHDIAL.exists():
        assert prov["data_sha256"] == hashlib.sha256(MATHDIAL.read_bytes()).hexdigest()
    # the fit is a real one: stating the answer moves students more than a question does
    assert tr.hazard(_cue(answer_told=True)) > tr.hazard(_cue())
    # and the design rule holds in the data file: nothing moves a student who has been taught nothing
    assert tr.hazard(_cue(content=False, taught_before=0, move="generic", target="none", turn=9)) == 0.0
    assert 0.0 < tr.hazard(_cue(content=False, taught_before=2, move="generic", target="none")) < 1.0


def test_transitions_reject_bad_values(tmp_path: Path) -> None:
    data = json.loads(PATH.read_text())
    data["hazard"]["weights"]["focus"] = 170.0
    with pytest.raises(ValidationError, match="outside"):
        parse(data, "x.json")
    data["hazard"]["weights"]["focus"] = 0.1
    del data["hazard"]["turn_offsets"]["5-8"]
    with pytest.raises(ValidationError, match="x.json: malformed"):
        parse(data, "x.json")
    data = json.loads(PATH.read_text())
    data["reference_resistance"] = {"quiet": 0.5}
    with pytest.raises(ValidationError, match="typical"):
        parse(data, "x.json")


def test_resistance_shifts_the_odds() -> None:
    assert odds_shift(0.3, 0.5, 0.5) == 0.3
    assert odds_shift(0.3, 0.65, 0.5) < 0.3 < odds_shift(0.3, 0.3, 0.5)
    tr = load_transitions()
    assert tr.hazard(_cue(), resistance=0.9) < tr.hazard(_cue(), resistance=0.5) < tr.hazard(_cue(), resistance=0.1)


def test_fit_recovers_a_known_hazard() -> None:
    # dialogues drawn from a known hazard (no mech turns, all taught, no turn effect, each 10 turns long):
    # stating the answer +2.0, each stated step value +0.5 on an intercept of -2.0; other cues 0
    rng = random.Random(7)
    index = {f: i for i, f in enumerate(FEATURES)}
    obs = []
    for d in range(1500):
        turns = []
        for t in range(1, 11):
            x = [0.0] * len(FEATURES)
            x[index["answer_told"]] = float(rng.random() < 0.1)
            x[index["fresh_values"]] = float(rng.randrange(3))
            x[index["focus"]] = float(rng.random() < 0.5)
            z = -2.0 + 2.0 * x[index["answer_told"]] + 0.5 * x[index["fresh_values"]]
            turns.append({"x": x, "gated": True, "bucket": bucket(t), "mech": False, "real": rng.random() < sigmoid(z)})
        obs.append({"dialogue": f"d{d}", "turns": turns})
    got = fit(obs, stage3=False)  # stage 1-2: the likelihood fit recovers the generating hazard
    assert abs(got["intercept"] + 2.0) < 0.25
    assert abs(got["weights"]["answer_told"] - 2.0) < 0.3
    assert abs(got["weights"]["fresh_values"] - 0.5) < 0.15
    assert abs(got["weights"]["focus"]) < 0.2
    # the model is right, so the turn offsets that match the curve stay near zero, and the curve matches
    assert all(abs(v) < 0.35 for v in got["turn_offsets"].values()), got["turn_offsets"]
    c = got["fit_curves"]
    assert all(abs(a - b) < 0.01 for a, b in zip(c["real"], c["sim"], strict=True))
    assert got == fit(obs, stage3=False)  # deterministic


def test_frozen_student_is_not_moved() -> None:
    assert FROZEN.hazard(_cue(answer_told=True, turn=9)) == 0.0


@needs_data
def test_refit_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    fit_and_write(f"mathdial:{MATHDIAL}", limit=12, use_embeddings=False, path=a)
    fit_and_write(f"mathdial:{MATHDIAL}", limit=12, use_embeddings=False, path=b)
    da, db = json.loads(a.read_text()), json.loads(b.read_text())
    assert da["hazard"] == db["hazard"] and da["fit_summary"] == db["fit_summary"]
    assert da["provenance"]["command"].endswith("--fit --limit 12 --lexical")
    assert da["provenance"]["dialogues"] == 12
    assert load_transitions(a).fitted


@needs_data
def test_cli_reports_real_and_simulated(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "fid.json"
    assert main(["fidelity", f"mathdial:{MATHDIAL}", "--limit", "4", "--lexical", "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "real" in text and "simulated" in text and "solved-or-not agreement" in text
    data = json.loads(out.read_text())
    assert data["part"] == "validate" and data["metrics"]["dialogues"] == 4
    assert all(r["part"] == "validate" for r in data["rows"])
    assert data["transitions"]["data_sha256"]


@needs_data
def test_cli_names_the_malformed_record(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    good = MATHDIAL.read_text(encoding="utf-8").splitlines()[0]
    bad = tmp_path / "bad.jsonl"
    bad.write_text(good + "\n" + '{"qid": 5, "conversation": "Teacher: hi|EOM|no speaker here"}\n', encoding="utf-8")
    assert main(["fidelity", f"mathdial:{bad}", "--lexical"]) == 2
    err = capsys.readouterr().err
    assert f"{bad}:2" in err and "speaker" in err
    assert main(["fidelity", f"mathdial:{tmp_path / 'missing.jsonl'}"]) == 2
    assert main(["fidelity", "sdb:" + str(bad), "--fit"]) == 2


def test_fitted_student_keeps_the_design_rule() -> None:
    # no self-correction without teaching, with the fitted transitions switched on: content-free prompts (the null
    # policy's and generic remarks) never move the student, over 12 turns and many seeds; questions that name the
    # problem's numbers do, eventually, for most seeds
    problem = jacket_problem()
    free = [*CHECK_PROMPTS, *GENERICS, "Hi, can you talk me through your solution?", "Thanks.", "Okay, and then?"]
    solved_by_questions = 0
    for seed in range(30):
        for mode in ("typical", "quiet", "confused", "adversarial"):
            s = StudentSession.start(problem, builtin(mode), seed=seed, use_embeddings=False, fitted=True)
            before = [(n.status, n.resolved_by) for n in s.hidden_state.nodes]
            for turn in range(12):
                s.respond(free[(seed + turn) % len(free)])
            assert [(n.status, n.resolved_by) for n in s.hidden_state.nodes] == before and not s.solved, (seed, mode)
        s = StudentSession.start(problem, builtin("typical"), seed=seed, use_embeddings=False, fitted=True)
        for node in (s.tree.nodes * 3)[:12]:
            s.respond(node.questions.focus[0])
        solved_by_questions += s.solved and not s.told
    assert solved_by_questions >= 20, solved_by_questions


def test_fitted_students_of_one_seed_do_not_move_in_lockstep() -> None:
    # a run gives every problem's student the same seed; the hazard draws must still differ between problems
    firsts = set()
    for problem in [p for p in load_starter() if p.domain == "math"][:20]:
        s = StudentSession.start(problem, builtin("typical"), seed=0, use_embeddings=False, fitted=True)
        for turn, node in enumerate((s.tree.nodes * 12)[:12], start=1):
            s.respond(node.questions.focus[0])
            if s.solved:
                firsts.add(turn)
                break
    assert len(firsts) >= 3, firsts


def test_stage3_trades_a_little_curve_for_agreement_when_the_teacher_stops_at_the_answer() -> None:
    # real dialogues end at the turn the student gets it (or after 8 turns): the stopping is informative, which the
    # stage-1 likelihood ignores. Stage 3 must raise the expected solved-or-not agreement over stage 2, keep every
    # worst success@k misfit lower (it trades the early curve for the late one), lower the gap and never score worse
    # on its own objective
    rng = random.Random(11)
    index = {f: i for i, f in enumerate(FEATURES)}
    obs = []
    for d in range(300):
        turns = []
        for t in range(1, 9):
            x = [0.0] * len(FEATURES)
            x[index["fresh_values"]] = float(rng.randrange(3))
            real = rng.random() < sigmoid(-1.5 + 0.4 * x[index["fresh_values"]])
            turns.append({"x": x, "gated": True, "bucket": bucket(t), "mech": False, "real": real})
            if real:
                break
        obs.append({"dialogue": f"d{d}", "turns": turns})
    two, three = fit(obs, stage3=False), fit(obs)
    assert three["fit_curves"]["agreement"] > two["fit_curves"]["agreement"] + 0.01
    assert three["fit_curves"]["first_correct_gap"] < two["fit_curves"]["first_correct_gap"]

    def worst(f):
        return max(abs(a - b) for a, b in zip(f["fit_curves"]["real"], f["fit_curves"]["sim"], strict=True))

    assert worst(three) < worst(two)

    def theta(f):
        return np.array([f["intercept"], *f["weights"].values(), *f["turn_offsets"].values()])

    assert objective(theta(three), observation_arrays(obs)) <= objective(theta(two), observation_arrays(obs)) + 1e-6
