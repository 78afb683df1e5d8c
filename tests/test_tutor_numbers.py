"""Number reading: operator words, number words as answers vs prose, references, mixed numbers, units, and the
verifier's use of them (no unevaluated expression or prose quantifier is marked as a wrong answer)."""

from __future__ import annotations

import pytest

from knowledge.numbers import canonical_unit, convert
from knowledge.trees import tree_for
from knowledge.types import Problem, Step
from tutor.numbers import extract
from tutor.understand import classify
from tutor.verify import check_math


def claimed(text: str) -> list[float]:
    """Values the text states (what the verifier grades): no operands, mentions or unevaluated expressions."""
    return [n.value for n in extract(text).values if n.kind != "computed"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4 times 7/8?", 3.5),
        ("12 divided by 3", 4),
        ("12 plus 3", 15),
        ("5 minus 2", 3),
        ("3 x 4?", 12),
        ("half of 12", 6),
        ("20% of 50", 10),
        ("2/3 of 12", 8),
        ("one third of 12", 4),
        ("ten minus three", 7),
        ("I think it's 7/8 times 4", 3.5),
    ],
)
def test_operator_words_make_an_unevaluated_expression(text: str, value: float) -> None:
    ex = extract(text)
    computed = [n for n in ex.values if n.kind == "computed"]
    assert [n.value for n in computed] == pytest.approx([value])
    assert claimed(text) == []  # the operands are mentioned, not claimed


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("4 times 7/8 is 3.5", 3.5),
        ("4 times 7/8 = 3.5", 3.5),
        ("12 plus 3 is 15", 15),
        ("20% of 50 is 10", 10),
        ("I multiplied 4 by 7/8 and got 3.5", 3.5),
        ("I divided 12 by 3 and got 5", 5),
        ("half of 12 makes 6", 6),
    ],
)
def test_expression_with_a_result_counts_as_that_result(text: str, value: float) -> None:
    assert claimed(text) == pytest.approx([value])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I got ten", [10]),
        ("the answer is twenty-five", [25]),
        ("it's one and a half", [1.5]),
        ("ten", [10]),
        ("one", [1]),
        ("maybe ten?", [10]),
        ("two thirds", [2 / 3]),
        ("one batch", []),
        ("each one", []),
        ("one more time", []),
        ("a couple", []),
        ("I made one batch and it used 3/8 cup", [0.375]),
        ("for one batch you need three cups", [3]),  # prose "one"; "three cups" at the end of the sentence
        ("let me try one more time: 15", [15]),
        ("the third one is 7", [7]),
        ("this is one way to do it", []),
        ("the answer is one", [1]),
        ("I will try 5", [5]),
        ("line 3 is wrong", []),
        ("lines 3-5 look wrong", []),
        ("on line 3 and line 5 the loop stops", []),
        ("step 2 is confusing", []),
        ("test #2 fails", []),
        ("I got 7 on question 2", [7]),
        ("the 2nd step gives 9", [9]),
    ],
)
def test_number_words_count_only_when_they_carry_the_answer(text: str, expected: list[float]) -> None:
    assert claimed(text) == pytest.approx(expected)


def test_prose_number_words_stay_visible_to_the_guard() -> None:
    """Mentions are not claims, but the leak guard reads every number, so they are still in `numbers`."""
    ex = extract("one batch needs twenty cups of water")
    mentions = [n for n in ex.numbers if n.mention]
    assert [(n.value, n.text) for n in mentions] == [(1, "one"), (20, "twenty")]
    assert ex.values == [] and len(ex.numbers) == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("4 5/4", [5.25]),
        ("3 1/2", [3.5]),
        ("1,000", [1000]),
        ("1, 2, 3", [1, 2, 3]),
        ("$1.50", [1.5]),
        ("50 %", [50]),
        ("-3", [-3]),
        ("0.5", [0.5]),
        (".5", [0.5]),
        ("it's .75.", [0.75]),
        ("2/3 of the way", [2 / 3]),
        ("100 cents", [100]),
        ("3 hours", [3]),
    ],
)
def test_formats(text: str, expected: list[float]) -> None:
    assert claimed(text) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("100 cents", "cents"),
        ("3 hours", "hours"),
        ("$1.50", "dollars"),
        ("3 1/2 hours", "hours"),
        ("I paid $1,000", "dollars"),
        ("$40 - $20 is $20", "dollars"),
        ("it takes 90 min", "minutes"),
        ("one dollar", "dollars"),
        ("3 in the box", ""),
        ("7 apples", ""),
    ],
)
def test_units_are_recorded(text: str, unit: str) -> None:
    (n,) = extract(text).values
    assert n.unit == unit


def test_unit_conversion_is_exact_and_dimension_safe() -> None:
    assert convert(100, "cents", "dollars") == pytest.approx(1)
    assert convert(90, "minutes", "hours") == pytest.approx(1.5)
    assert convert(3, "hours", "minutes") == pytest.approx(180)
    assert convert(3, "hours", "dollars") is None
    assert convert(3, "hours", "dollars per ounce") is None
    assert canonical_unit("hrs") == "hours" and canonical_unit("apples") == ""


def _problem(unit: str = "dollars") -> Problem:
    return Problem(
        id="t-num",
        domain="math",
        title="Cookies",
        statement="Ana bakes 4 batches of cookies. One batch needs 7/8 cup of sugar and costs $0.75 to make. "
        "How much sugar does she need, and what do the batches cost?",
        skills=["fractions"],
        steps=[
            Step(description="sugar for 4 batches", expression="4*7/8", value=3.5, unit="cups"),
            Step(description="cost of 4 batches", expression="4*0.75", value=3.0, unit=unit),
        ],
        answer=3.0,
        answer_unit=unit,
    )


def _check(text: str, problem: Problem | None = None):
    p = problem or _problem()
    return check_math(classify(text, p.statement), p, tree_for(p))


def test_an_expression_posed_as_a_question_is_not_a_wrong_answer() -> None:
    u = classify("4 times 7/8?", _problem().statement)
    assert u.intent == "question"
    check = _check("4 times 7/8?")
    assert check.wrong == [] and check.right == []
    assert _check("4 times 7/8 is 3.5").right[0].step == 0
    assert _check("4 times 7/8 is 3.6").wrong == [3.6]


def test_prose_quantifier_is_not_a_wrong_answer() -> None:
    check = _check("for one batch I need 7/8 cup, so I multiply")
    assert 1.0 not in check.wrong
    assert _check("I got ten").wrong == [10]


def test_given_numbers_quoted_while_reasoning_are_not_wrong_attempts() -> None:
    check = _check("4 batches need 3.5 cups")
    assert check.wrong == [] and check.right[0].step == 0
    assert _check("4").wrong == [4]  # a given offered alone as the answer is still an attempt


def test_units_convert_to_the_steps_unit() -> None:
    check = _check("it costs 300 cents")
    assert check.final_right and check.wrong == []
    assert not _check("it costs 300").final_right
    minutes = _problem(unit="hours")
    assert _check("180 minutes", minutes).final_right
    assert not _check("180 dollars", minutes).final_right


def test_operands_of_an_equation_whose_result_was_a_percent_stay_mentioned() -> None:
    # "is 35%" turns into "=" and the percent leaves the chain; 25 and 10 are still numbers the student wrote
    numbers = extract("is it 52 dollars? 25+10 is 35% off").numbers
    assert {(n.value, n.operand) for n in numbers} >= {(25.0, True), (10.0, True), (35.0, False)}
    assert [n.value for n in extract("is it 52 dollars? 25+10 is 35% off").values if n.kind == "computed"] == [35.0]
