"""evals.replay: real student turns through the tutor, verdicts against rule-derived and hand labels."""

from __future__ import annotations

import json

import pytest

from errors import ValidationError
from evals.__main__ import main
from evals.hand_labels import LABELS_DIR
from evals.hand_labels import load as load_labels
from evals.replay import default_label_paths, read_hand_labels, score, write_atomic
from evals.replay_reference import mathdial_label, sdb_label
from knowledge.dialogues import RealDialogue, RealTurn, read_source
from knowledge.types import Bug, Fix, Problem
from tests.shared_data import MATHDIAL, SDB, needs_sdb

needs_data = pytest.mark.skipif(not MATHDIAL.exists(), reason="shared MathDial data not present")


def _dialogue(*student: str) -> RealDialogue:
    # made up: 4 trays of 9 rolls, 20 sold; 36 made, 16 left; the wrong path adds (4 + 9 = 13, 13 - 20 ...)
    turns = [RealTurn(index=i, role="student", text=t, student_turn=i + 1) for i, t in enumerate(student)]
    return RealDialogue(
        id="mathdial-x-0",
        source="mathdial",
        problem_id="mathdial-x",
        part="fit",
        turns=turns,
        question="A baker makes 4 trays of 9 rolls and sells 20. How many rolls are left?",
        ground_truth="She makes 4*9=36 rolls.\nShe has 36-20=16 left.\n16",
        incorrect_solution="She makes 4+9=13 rolls.\nShe has 20-13=7 left.\n7",
    )


@pytest.mark.parametrize(
    "text, label",
    [
        ("4 x 9 = 36 rolls, minus 20 is 14.", "partly"),
        ("She has 16 rolls left.", "right"),
        ("4 * 9 = 36 rolls", "right"),
        ("There are 4 trays of 9 rolls.", "none"),
        ("4 + 9 = 13 rolls, so 7 are left.", "wrong"),
        ("Should I multiply 4 and 9?", None),
        ("I think it is 52.", None),
    ],
)
def test_mathdial_rule_labels(text, label):
    d = _dialogue(text)
    assert mathdial_label(d, d.turns[0])[0] == label


def test_sdb_rule_labels_code_and_named_lines():
    problem = Problem(
        id="p",
        domain="code",
        title="t",
        statement="s",
        buggy_code="def f(x):\n    return x\n",
        entry_point="f",
        unit_tests=["assert f(1) == 2"],
        bugs=[Bug(lines=[2], description="returns x", fixes=[Fix(description="return 2 * x")])],
    )
    turn = RealTurn(index=0, role="student", text="I think the bug is on line 2.")
    assert sdb_label(problem, turn, None)[0] == "right"
    assert sdb_label(problem, turn.model_copy(update={"text": "The issue is in line 1."}), None)[0] == "wrong"
    assert sdb_label(problem, turn.model_copy(update={"text": "Is the bug on line 1?"}), None)[0] is None
    assert sdb_label(problem, turn, True)[0] == "right" and sdb_label(problem, turn, False)[0] == "wrong"


def test_score_comta_figures():
    pairs = [
        ("right", "right"),
        ("wrong", "right"),
        ("right", "partly"),
        ("partly", "partly"),
        ("partly", "wrong"),
        ("wrong", "wrong"),
        ("unsure", "wrong"),
        ("none", "none"),
        ("wrong", "none"),
        (None, "right"),
        ("right", None),
    ]
    s = score(pairs)
    assert s["n"] == 9
    assert s["accuracy_when_right"] == {"value": 0.5, "n": 2}
    assert s["accuracy_when_wrong"] == {"value": 0.4, "n": 5}  # partly->partly, wrong->wrong
    assert s["false_affirmation"] == {"value": 0.4, "n": 5}  # right on partly, partly on wrong
    assert s["false_rejection"] == {"value": 0.5, "n": 4}
    assert s["unsure_share"]["value"] == round(1 / 9, 4)
    assert s["macro_f1"]["per_class"]["none"] == round(2 * 1 * 0.5 / 1.5, 4)


def test_hand_labels_reader_names_the_bad_line(tmp_path):
    path = tmp_path / "hand.jsonl"
    path.write_text(
        '{"dialogue_id": "a", "turn": 1, "label": "right", "reason": "correct_final"}\n'
        '{"dialogue_id": "a", "turn": 2, "label": "maybe"}\n'
    )
    with pytest.raises(ValidationError, match=r"hand.jsonl:2: label"):
        read_hand_labels(path)
    path.write_text('{"dialogue_id": "a", "turn": 1, "label": "unclear", "reason": "unclear"}\n')
    assert read_hand_labels(path) == {("a", 1): "unclear"}


def test_hand_labels_of_two_files_are_merged_and_a_key_in_both_is_refused(tmp_path):
    a, b = tmp_path / "validate.jsonl", tmp_path / "fit.jsonl"
    a.write_text('{"dialogue_id": "a", "turn": 1, "label": "right", "reason": "correct_final"}\n')
    b.write_text('{"dialogue_id": "b", "turn": 1, "label": "none", "reason": "thanks"}\n')
    assert read_hand_labels(a, b) == {("a", 1): "right", ("b", 1): "none"}
    b.write_text('{"dialogue_id": "a", "turn": 1, "label": "wrong", "reason": "wrong_final"}\n')
    with pytest.raises(ValidationError, match=r"fit.jsonl: a turn 1 is labelled in an earlier file"):
        read_hand_labels(a, b)


def test_the_default_labels_are_every_replay_hand_file_but_the_relabel(tmp_path):
    for name in ("replay_hand.jsonl", "replay_hand_fit_sdb.jsonl", "replay_hand_relabel.jsonl", "other.jsonl"):
        (tmp_path / name).write_text("")
    assert [p.name for p in default_label_paths(tmp_path)] == ["replay_hand.jsonl", "replay_hand_fit_sdb.jsonl"]
    assert LABELS_DIR / "replay_hand_fit_sdb.jsonl" in default_label_paths()


@needs_sdb
def test_the_sdb_fit_labels_are_text_free_fit_student_turns():
    path = LABELS_DIR / "replay_hand_fit_sdb.jsonl"
    for line in path.read_text(encoding="utf-8").splitlines():
        assert set(json.loads(line)) == {"dialogue_id", "turn", "label", "reason"}
    labels = load_labels(path)
    assert len(labels) >= 150
    fit = {(d.id, t.student_turn) for d in read_source(f"sdb:{SDB}") if d.part == "fit" for t in d.student_turns}
    assert {x.key for x in labels} <= fit


def test_write_atomic_leaves_nothing_half_written(tmp_path):
    target = tmp_path / "out.json"
    write_atomic(target, {"turns": [], "metrics": {}})
    with pytest.raises(TypeError):
        write_atomic(target, {"turns": [object()]})
    assert json.loads(target.read_text()) == {"turns": [], "metrics": {}}  # the old file stands
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_malformed_dialogue_file_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps({"qid": 1, "conversation": "Teacher: (generic)Hi|EOM|Student: 4"}) + "\n{oops\n")
    out = tmp_path / "replay.json"
    assert main(["replay", f"mathdial:{bad}", "--json", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "bad.jsonl:2" in err
    assert not out.exists()


@needs_data
def test_replay_real_dialogues_records_every_student_turn(tmp_path, capsys):
    out = tmp_path / "replay.json"
    assert (
        main(
            [
                "replay",
                f"mathdial:{MATHDIAL}",
                "--limit",
                "3",
                "--part",
                "fit",
                "--json",
                str(out),
                "--labels",
                str(tmp_path / "none.jsonl"),
            ]
        )
        == 2
    )  # an explicit labels path must exist
    assert "hand-label file" in capsys.readouterr().err
    assert main(["replay", f"mathdial:{MATHDIAL}", "--limit", "3", "--part", "fit", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    turns = data["turns"]
    assert len({t["dialogue_id"] for t in turns}) == 3 and all(t["part"] == "fit" for t in turns)
    keys = {"dialogue_id", "turn", "student", "verdict", "node", "reply", "reference", "hand"}
    assert all(keys <= set(t) for t in turns)
    judged = [t for t in turns if t["verdict"] is not None]
    assert judged and all(t["verdict"] in ("right", "partly", "wrong", "none", "unsure") and t["reply"] for t in judged)
    assert data["metrics"]["rule"]["fit"]["n"] > 0 and "false_affirmation" in data["metrics"]["rule"]["all"]
