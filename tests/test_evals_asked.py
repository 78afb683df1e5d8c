"""evals.asked: the answer to a tutor's arithmetic question (made-up turns), for conversations without a solution."""

from __future__ import annotations

import json

import pytest

from evals.asked import asked
from evals.leakguard import evaluate
from evals.reveal import answer_key, reveals_answer


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("What is the sum of 31 and 12?", 43),
        ("Can you find 9*40=?", 360),
        ("How many times does 3 go into 21?", 7),
        ("What times 4 is 36?", 9),
        ("What is the value of 900 subtracted by 15?", 885),
        ("What is 50 minus 8?", 42),
        ("What is the decimal value of 1/3?", 1 / 3),
        ("What is 6 centimeters - 2 centimeters?", 4),
    ],
)
def test_an_arithmetic_question_has_an_answer(question: str, value: float) -> None:
    found = asked([("tutor", "Let's practise."), ("tutor", question), ("student", "12")])
    assert found is not None and found.value == pytest.approx(value)


def test_the_last_arithmetic_question_counts_and_words_are_no_question() -> None:
    turns = [("tutor", "What is 2 + 2?"), ("student", "4"), ("tutor", "What is 5 times 3?"), ("student", "8")]
    found = asked([*turns, ("tutor", "Is this your final answer?"), ("student", "yes")])
    assert found is not None and found.value == 15
    assert asked([("tutor", "What do we call a shape with 6 sides?"), ("student", "a cube")]) is None


def test_a_question_worked_as_a_solution_gives_the_answer_its_unit() -> None:
    found = asked([("tutor", "What is 6 centimeters - 2 centimeters?"), ("student", "62")])
    assert found is not None and found.noun == "centimeters"
    key = answer_key(found.solution(), found.value, found.question)
    assert reveals_answer("Subtracting, 6 centimeters - 2 centimeters is 4 centimeters.", key).leaks
    assert not reveals_answer("How far is it from 2 centimeters to 6 centimeters?", key).leaks


def test_conversations_without_a_solution_are_checked_from_the_question(tmp_path) -> None:
    path = tmp_path / "bridge.json"
    record = {
        "conversation_id": "b1",
        "Data": "Bridge",
        "conversation_history": "Tutor: What is the sum of 31 and 12?\n Student: 19",
        "Ground_Truth_Solution": "Not Available",
        "anno_llm_responses": {
            "A": {"response": "Close! 31 plus 12 is actually 43.", "annotation": {"Revealing_of_the_Answer": "Yes"}},
            "B": {"response": "Try adding the tens first.", "annotation": {"Revealing_of_the_Answer": "No"}},
        },
    }
    path.write_text(json.dumps([record, {**record, "conversation_history": "Tutor: Name a shape?"}]))
    report, items = evaluate(path, mode="mrbench")
    assert [(it.data, it.predicted) for it in items] == [("Bridge", True), ("Bridge", False)]
    assert report.skipped == [("b1", "no ground-truth solution and no arithmetic question")]


def test_a_repeating_decimal_cut_off_with_an_ellipsis_is_its_value() -> None:
    key = answer_key("2/3 = 0.6667\n0.6667", 2 / 3, "What is 2/3 as a decimal?")
    assert reveals_answer("Dividing 2 by 3 gives 0.666...", key).leaks
    assert not reveals_answer("Dividing 2 by 3 gives 0.65 or so.", key).leaks
