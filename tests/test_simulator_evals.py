"""The simulator's measurement scripts: evals.moves and evals.simfidelity (and one real-model phrasing test)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import moves as move_eval
from evals import simfidelity
from knowledge.numbers import parse_numbers
from simulator import StudentSession, builtin
from tests.problems import jacket_problem

DATA = Path(__file__).parents[1].parent / "shared" / "data"
MATHDIAL = DATA / "mathdial" / "dev.jsonl"
needs_mathdial = pytest.mark.skipif(not MATHDIAL.is_file(), reason=f"MathDial data not found at {MATHDIAL}")


def test_teacher_turns_and_metrics_on_a_small_file(tmp_path: Path) -> None:
    rows = [
        {
            "conversation": "Teacher: (generic)Hi Sam, talk me through your solution|EOM|Student: I got 4."
            "|EOM|Teacher: (probing)Why did you subtract 3?|EOM|Student: Because.|EOM|Teacher: (telling)The answer "
            "is 10."
        },
        {"conversation": "Teacher: (focus)How many spoons did she have altogether?|EOM|Student: 15"},
    ]
    path = tmp_path / "mini.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    pairs = move_eval.teacher_turns(path)
    assert pairs == [
        ("generic", "Hi Sam, talk me through your solution"),
        ("probing", "Why did you subtract 3?"),
        ("telling", "The answer is 10."),
        ("focus", "How many spoons did she have altogether?"),
    ]
    result = move_eval.evaluate(pairs)
    assert result["n"] == 4 and result["accuracy"] == 1.0 and result["macro_f1"] == 1.0
    wrong = move_eval.evaluate([("focus", "The answer is 10."), ("telling", "The answer is 10.")])
    assert wrong["confusion"]["focus"]["telling"] == 1
    assert wrong["per_class"]["telling"]["precision"] == 0.5
    assert wrong["per_class"]["focus"]["recall"] == 0.0


@needs_mathdial
def test_move_classifier_on_mathdial(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "moves.json"
    assert move_eval.main([str(MATHDIAL), "--json", str(out)]) == 0
    text = capsys.readouterr().out
    assert "macro-F1" in text and "confusion" in text
    data = json.loads(out.read_text())
    assert data["n"] > 2000
    assert data["macro_f1"] > 0.45  # measured 0.53 (rules developed on this file); chance is ~0.25
    assert data["per_class"]["generic"]["f1"] > 0.7


@needs_mathdial
def test_simfidelity_templates(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    out = tmp_path / "fid.json"
    code = simfidelity.main([str(MATHDIAL), "--limit", "25", "--lexical", "--json", str(out)])
    assert code == 0
    summary = json.loads(out.read_text())["summary"]
    assert summary["students"] == 25
    assert summary["opening_wrong"] == 1.0
    assert summary["first_reply_wrong"] >= 0.95
    assert summary["self_correct_early"] == 0.0
    assert summary["phrasings_tried"] == 0
    assert "opening carries the assigned wrong answer" in capsys.readouterr().out


@needs_mathdial
def test_simfidelity_counts_rejections(tmp_path: Path) -> None:
    out = tmp_path / "fid.json"
    # the fake backend with an empty queue answers "" every time: every phrasing is rejected as empty
    assert simfidelity.main([str(MATHDIAL), "--backend", "fake", "--limit", "5", "--lexical", "--json", str(out)]) == 0
    summary = json.loads(out.read_text())["summary"]
    assert summary["phrasings_tried"] > 5
    assert summary["rejection_rate"] == 1.0
    assert summary["rejection_reasons"] == {"empty": summary["phrasings_tried"]}
    assert summary["opening_wrong"] == 1.0  # templates still carry the value


@pytest.mark.model
def test_real_model_phrasings_keep_the_decided_value(smollm2_backend) -> None:
    s = StudentSession.start(
        jacket_problem(),
        builtin("typical"),
        seed=0,
        backend=smollm2_backend,
        malgorithm_id="sim-jacket-adds-percents",
        use_embeddings=False,
    )
    s.respond("Hi, can you talk me through your solution?")
    s.respond(s.tree.node("s0-value").questions.focus[0])
    for turn in s.turns:
        assert turn.verdict is not None  # a phrasing was tried for every reply
        for value in turn.content.values:  # accepted or not, what was sent carries the decided value
            assert any(abs(x - value) < 1e-6 for x in parse_numbers(turn.text)), (turn.text, turn.verdict)
        assert turn.used_llm == turn.verdict.ok
