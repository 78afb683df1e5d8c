"""The fitted move classifier: its parameter file, a refit, held-out quality, and its use in the simulator."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pytest

from errors import ValidationError
from evals import move_fit
from evals import moves as move_eval
from evals.moves import metrics
from simulator import StudentSession, builtin
from simulator import move_model as mm
from simulator.moves import classify_move
from tests.problems import jacket_problem

MATHDIAL = Path(__file__).parents[1].parent / "shared" / "data" / "mathdial" / "dev.jsonl"
needs_mathdial = pytest.mark.skipif(not MATHDIAL.is_file(), reason=f"MathDial data not found at {MATHDIAL}")


@pytest.fixture(scope="module")
def shipped() -> dict:
    return json.loads(mm.PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def rows() -> list[move_fit.Sample]:
    return move_fit.samples(MATHDIAL)


def test_shipped_file_parses_and_carries_its_license(shipped: dict) -> None:
    model = mm.parse(shipped, "shipped")
    assert "CC BY-SA 4.0" in model.notice and "MathDial" in model.notice
    for key in ("data_sha256", "command", "date", "split", "turns"):
        assert model.provenance[key]
    assert model.provenance["command"].startswith("python -m evals.moves") and "--fit" in model.provenance["command"]
    assert set(model.models) == {"embedding", "lexical"}
    assert model.models["embedding"].coef.shape == (4, mm.EMBEDDING_DIM + len(mm.feature_names()))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.pop("models"), "malformed move model"),
        (lambda d: d["models"]["lexical"]["coef"].pop(), "expected (4,"),
        (lambda d: d["models"]["embedding"]["features"].__setitem__(0, "no_such_feature"), "unknown features"),
        (lambda d: d.__setitem__("classes", ["focus", "probing", "telling", "praise"]), "classes must be"),
        (lambda d: d["models"]["lexical"]["intercept"].__setitem__(0, "NaN"), "non-finite"),
    ],
)
def test_malformed_parameter_file_is_a_clear_error(shipped: dict, tmp_path: Path, mutate, message: str) -> None:
    data = json.loads(json.dumps(shipped))
    mutate(data)
    path = tmp_path / "moves_model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValidationError, match="malformed move model") as info:
        mm.load(path)
    assert message in str(info.value) and str(path) in str(info.value)


def test_unreadable_or_absent_file(tmp_path: Path) -> None:
    assert mm.load(tmp_path / "absent.json") is None
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValidationError, match="cannot read the move model"):
        mm.load(bad)


@needs_mathdial
def test_shipped_parameters_match_a_refit(shipped: dict, rows: list[move_fit.Sample]) -> None:
    assert hashlib.sha256(MATHDIAL.read_bytes()).hexdigest() == shipped["provenance"]["data_sha256"]
    assert shipped["provenance"]["turns"] == len(rows)
    lexical = shipped["models"]["lexical"]
    y = np.array([s.move for s in rows])
    refit = move_fit.fit_linear(move_fit.lexical_matrix(rows), y, lexical["C"], mm.feature_names(), "lexical")
    assert refit["features"] == lexical["features"]
    np.testing.assert_allclose(refit["coef"], lexical["coef"], atol=2e-5)
    np.testing.assert_allclose(refit["intercept"], lexical["intercept"], atol=2e-5)


@needs_mathdial
def test_fitted_classifier_beats_the_rules_on_held_out_problems(rows: list[move_fit.Sample]) -> None:
    fit = [s for s in rows if s.part == "fit"]
    held = [s for s in rows if s.part == "validate"]
    assert len(fit) > 1000 and len(held) > 1000 and not {s.qid for s in fit} & {s.qid for s in held}
    model = move_fit.fit_linear(
        move_fit.lexical_matrix(fit), np.array([s.move for s in fit]), 0.001, mm.feature_names(), "lexical"
    )
    linear = mm.LinearMoves(
        "lexical",
        ("focus", "probing", "telling", "generic"),
        tuple(model["features"]),
        np.array(model["coef"]),
        np.array(model["intercept"]),
    )
    gold = [s.move for s in held]
    fitted = [max((p := linear.probabilities(s.text, s.context)), key=p.__getitem__) for s in held]
    rules = [str(classify_move(s.text)) for s in held]
    f_fitted, f_rules = metrics(gold, fitted), metrics(gold, rules)
    assert f_fitted["macro_f1"] > f_rules["macro_f1"] + 0.03, (f_fitted["macro_f1"], f_rules["macro_f1"])
    assert f_fitted["per_class"]["probing"]["f1"] > f_rules["per_class"]["probing"]["f1"]


def test_classify_in_context_cases() -> None:
    assert mm.classify_in_context("") == "generic"
    assert mm.classify_in_context("Hi Sam, please talk me through your solution") == "generic"
    assert mm.classify_in_context("Why did you divide by 3?", mm.MoveContext(turn=3)) == "probing"
    assert mm.classify_in_context("The answer is 54 dollars, because 27 x 2 = 54.", mm.MoveContext(turn=4)) == "telling"
    with pytest.raises(ValueError, match="384-dimensional"):
        mm.default_model().models["embedding"].probabilities("How many?", None, np.zeros(8))


def test_context_changes_the_features() -> None:
    text = "So what is 15 + 45?"
    alone = mm.lexical_features(text)
    ctx = mm.MoveContext(
        turn=5,
        previous_student="I got 45 ducks.",
        previous_tutor="Why did you add?",
        statement="Kolton bought 15 ducks.",
    )
    placed = mm.lexical_features(text, ctx)
    assert list(alone) == list(placed) == mm.feature_names()
    assert placed["numbers_from_student"] == 1 and placed["numbers_from_statement"] == 1
    assert placed["prev_rule_probe"] == 1 and alone["prev_rule_probe"] == 0 and placed["turn_1"] == 0


def test_session_uses_the_fitted_classifier_with_context() -> None:
    problem = jacket_problem()
    s = StudentSession.start(problem, builtin("typical"), seed=3, use_embeddings=False)
    assert s.move_classifier == "fitted"
    first, second = "Hi, can you talk me through your answer?", "Why did you subtract the discount twice?"
    s.respond(first)
    s.respond(second)
    ctx = mm.MoveContext(turn=2, previous_student=s.turns[1].text, previous_tutor=first, statement=problem.statement)
    assert s.turns[2].move == mm.classify_in_context(second, ctx)
    assert s.mapper.message_vector(second) is None  # a lexical session: the lexical model


def test_session_with_calibrated_transitions_uses_their_classifier() -> None:
    problem = jacket_problem()
    s = StudentSession.start(problem, builtin("typical"), seed=3, use_embeddings=False, fitted=True)
    assert s.transitions is not None and s.transitions.fitted
    recorded = s.transitions.provenance.get("moves", "rules")  # the classifier the transitions were fitted with
    assert s.move_classifier == recorded
    message = "Why did you subtract the discount twice?"
    s.respond(message)
    ctx = mm.MoveContext(turn=1, previous_student=s.opening, statement=problem.statement)
    expected = classify_move(message) if recorded == "rules" else mm.classify_in_context(message, ctx)
    assert s.turns[1].move == expected


@needs_mathdial
def test_fit_and_cv_commands_on_a_slice(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [ln for ln in MATHDIAL.read_text(encoding="utf-8").splitlines() if ln.strip()][:24]
    data = tmp_path / "slice.jsonl"
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "model.json"
    assert move_eval.main([str(data), "--fit", "--out", str(out)]) == 0
    model = mm.load(out)
    assert model is not None and "CC BY-SA 4.0" in model.notice
    assert model.provenance["data_sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert model.provenance["turns"] == len(move_fit.samples(data))
    report = tmp_path / "cv.json"
    assert move_eval.main([str(data), "--cv", "--lexical", "--json", str(report)]) == 0
    text = capsys.readouterr().out
    assert "Fitted classifier (lexical)" in text and "focus+probing merged" in text
    figures = json.loads(report.read_text())
    assert set(figures) == {"rules", "lexical"} and len(figures["lexical"]["C_per_fold"]) == 5
    assert figures["rules"]["n"] == figures["lexical"]["n"] == model.provenance["turns"]


def test_fit_command_refuses_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert move_eval.main([str(tmp_path / "absent.jsonl"), "--fit"]) == 2
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"qid": 1, "conversation": "nobody speaks"}\n', encoding="utf-8")
    out = tmp_path / "model.json"
    assert move_eval.main([str(bad), "--fit", "--out", str(out)]) == 2
    assert not out.exists() and "error:" in capsys.readouterr().err
