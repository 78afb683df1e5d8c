"""evals.fidelity (teacher forcing) and evals.calibrate (the fitted transitions) on the real MathDial dev file."""

from __future__ import annotations

import hashlib
import json
import random
from pathlib import Path

import pytest

from errors import ValidationError
from evals.__main__ import main
from evals.calibrate import fit, fit_and_write
from evals.fidelity import classify, exchanges, force_mathdial, load, metrics
from knowledge.dialogues import read_mathdial
from simulator.transitions import PATH, load_transitions, odds_shift, parse

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MATHDIAL = DATA / "mathdial" / "dev.jsonl"
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
        from evals.replay_reference import _givens

        real = [classify(e.reply, answer, _givens(d.question))[0] for e in ex]
        first = next((i + 1 for i, c in enumerate(real) if c == "right"), None)
        if first is not None and first >= 4 and answer not in set(_nums(ex[0].teacher)):
            rows.append(force_mathdial(d, p, use_embeddings=False))
        if len(rows) == 12:
            break
    assert len(rows) == 12
    assert all(r["real_first"] >= 4 for r in rows)
    at_once = sum(1 for r in rows if r["sim_first"] == 1)
    assert at_once <= 3, [(r["dialogue"], r["sim_first"]) for r in rows]
    assert any(r["sim_first"] is None or r["sim_first"] >= 3 for r in rows)


def _nums(text: str) -> list[float]:
    from evals.replay_reference import numbers

    return numbers(text)


def test_metrics_from_rows() -> None:
    rows = [
        {"real": ["wrong", "right"], "sim": ["right", "right"], "real_values": [3.0, 5.0], "sim_values": [5.0, 5.0],
         "real_first": 2, "sim_first": 1},
        {"real": ["wrong", "wrong"], "sim": ["wrong", "none"], "real_values": [3.0, 4.0], "sim_values": [3.0, None],
         "real_first": None, "sim_first": None},
    ]
    m = metrics(rows)
    assert m["real"]["success@1"]["value"] == 0.0 and m["real"]["success@2"]["value"] == 0.5
    assert m["sim"]["success@1"]["value"] == 0.5
    assert m["solved_agreement"]["value"] == 1.0
    assert m["first_correct_gap"] == {"value": 1.0, "n": 1}
    assert m["turns"]["paired"] == 4
    assert m["turns"]["both_right"]["value"] == 0.25 and m["turns"]["same_wrong_value"]["value"] == 0.25


def test_transitions_file_loads_with_provenance_and_notice() -> None:
    tr = load_transitions()
    assert tr.fitted, f"{PATH} missing: refit with python -m evals fidelity mathdial:PATH --fit"
    prov = tr.provenance
    for key in ("data", "data_sha256", "split", "command", "date", "dialogues"):
        assert prov.get(key), key
    assert "--fit" in prov["command"] and prov["dialogues"] >= 100
    data = json.loads(PATH.read_text())
    assert "CC BY-SA 4.0" in data["notice"] and "MathDial" in data["notice"]
    if MATHDIAL.exists():
        assert prov["data_sha256"] == hashlib.sha256(MATHDIAL.read_bytes()).hexdigest()
    # the fit is a real one: telling the answer moves students more than a generic remark does
    assert tr.p("typical", "answer", "none") > tr.p("typical", "generic", "none")
    assert 0.0 < tr.never("typical") < 0.5


def test_transitions_reject_bad_values(tmp_path: Path) -> None:
    data = json.loads(PATH.read_text())
    data["resolve"]["typical"]["focus"]["misconceived"] = 1.7
    with pytest.raises(ValidationError, match="outside"):
        parse(data, "x.json")
    del data["never_resolve"]
    with pytest.raises(ValidationError, match="x.json: malformed"):
        parse(data, "x.json")


def test_resistance_shifts_the_odds() -> None:
    assert odds_shift(0.3, 0.5, 0.5) == 0.3
    assert odds_shift(0.3, 0.65, 0.5) < 0.3 < odds_shift(0.3, 0.3, 0.5)


def test_fit_recovers_a_known_cure_model() -> None:
    # observations drawn from a known model: 20% never resolve; focus on the misconception 0.3, generic 0.05,
    # a stated answer 0.9 (for everyone)
    rng = random.Random(7)
    truth = {("typical", "focus", "misconceived"): 0.3, ("typical", "generic", "none"): 0.05,
             ("typical", "answer", "none"): 0.9}
    obs = []
    for _ in range(1500):
        stuck = rng.random() < 0.2
        cells, event = [], False
        for t in range(10):
            c = ("typical", "answer", "none") if t == 9 and rng.random() < 0.3 else (
                ("typical", "focus", "misconceived") if rng.random() < 0.6 else ("typical", "generic", "none"))
            cells.append(c)
            if (not stuck or c[1] == "answer") and rng.random() < truth[c]:
                event = True
                break
        obs.append({"cells": cells, "event": event})
    got = fit(obs)
    assert abs(got["never_resolve"]["typical"] - 0.2) < 0.05
    assert abs(got["resolve"]["typical"]["focus"]["misconceived"] - 0.3) < 0.04
    assert abs(got["resolve"]["typical"]["generic"]["none"] - 0.05) < 0.03
    assert got == fit(obs)  # deterministic


@needs_data
def test_refit_is_deterministic(tmp_path: Path) -> None:
    a, b = tmp_path / "a.json", tmp_path / "b.json"
    fit_and_write(f"mathdial:{MATHDIAL}", limit=12, use_embeddings=False, path=a)
    fit_and_write(f"mathdial:{MATHDIAL}", limit=12, use_embeddings=False, path=b)
    da, db = json.loads(a.read_text()), json.loads(b.read_text())
    assert da["resolve"] == db["resolve"] and da["never_resolve"] == db["never_resolve"]
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
