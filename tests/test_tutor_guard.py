"""The leak guard: final answers in any form, step values, fix lines, and no false alarms on safe text."""

from __future__ import annotations

import pytest

from knowledge.types import Problem, Step
from tutor.examples import example_code, example_math
from tutor.guard import GuardVerdict, reveals
from tutor.state import KnowledgeState, ValuesProduced


@pytest.fixture
def money() -> Problem:
    return Problem(
        id="money",
        domain="math",
        title="Money",
        statement="Ann has 4 coins worth 3 dollars and 25 cents each; she spends 3 dollars. How much is left?",
        steps=[
            Step(description="total", expression="4 * 3.25", value=13),
            Step(description="left", expression="13 - 3", value=10),
        ],
        answer=10,
    )


@pytest.mark.parametrize(
    "message",
    [
        "The answer is 10.",
        "So she has ten dollars left.",
        "the answer is ten dollars",
        "You should end up with $10.",
        "That gives 10.0 in the end.",
        "Let me show you:\n```python\nleft = 13 - 3  # 10\nprint(10)\n```",
        "13 - 3 = 10, right?",
    ],
)
def test_final_answer_in_any_form_leaks(money: Problem, message: str) -> None:
    v = reveals(message, money)
    assert v.leaks and any("final answer" in r for r in v.reasons)
    assert v.spans and v.spans[0]


def test_fractions_and_percents(money: Problem) -> None:
    half = money.model_copy(update={"answer": 0.5, "steps": [Step(description="x", expression="1/2", value=0.5)]})
    assert reveals("it is 1/2 of the bar", half).leaks
    assert reveals("that's 50% of it", half).leaks
    assert reveals("about 0.5", half).leaks
    assert not reveals("think about the 4 coins", half).leaks


def test_step_values_leak_until_the_student_produced_them(money: Problem) -> None:
    assert reveals("First, 4 coins make 13 dollars.", money).leaks
    state = KnowledgeState(node_ids=["a"])
    state.append(ValuesProduced(turn=1, values=[13.0]))
    assert not reveals("Yes, 13 dollars in total. What is left after spending?", money, state).leaks
    assert not reveals("Yes, 13 dollars in total.", money, produced=[13.0]).leaks


def test_statement_numbers_and_unevaluated_expressions_are_not_leaks(money: Problem) -> None:
    assert not reveals("She has 4 coins and spends 3 dollars. What do you do first?", money).leaks
    assert not reveals("What is 13 - 3?", money, produced=[13.0]).leaks  # operands, not the value
    assert not reveals("Which operation would you use here?", money).leaks


def test_answer_in_statement_leaks_only_as_a_stated_result() -> None:
    p = Problem(
        id="p",
        domain="math",
        title="t",
        statement="There are 5 cats and 3 leave, then 3 come back. How many?",
        steps=[Step(description="a", expression="5-3", value=2), Step(description="b", expression="2+3", value=5)],
        answer=5,
    )
    assert not reveals("There were 5 cats at the start. What happens next?", p, produced=[2.0]).leaks
    assert reveals("So the answer is 5.", p).leaks


def test_paraphrased_math_answer_on_a_real_style_problem() -> None:
    p = example_math()
    assert reveals("They need nine boxes in total.", p).leaks
    assert reveals("So the boxes come to 9!", p).leaks
    assert not reveals("How many pencils are in one box?", p).leaks


def test_code_fix_lines_and_corrected_code_leak() -> None:
    p = example_code()
    assert reveals("Change line 3 to `for i in range(len(nums)):`", p).leaks
    assert reveals("Try this:\n```python\n" + p.bugs[0].fixes[0].code + "```", p).leaks
    assert reveals("for i in range( len(nums) ) :", p).leaks  # whitespace-normalised
    # quoting the buggy line or describing the idea is fine
    assert not reveals("Look at line 3: `for i in range(1, len(nums)):`. Which index does it start at?", p).leaks
    assert not reveals("What is the first index of a Python list?", p).leaks


def test_code_the_student_wrote_is_not_a_leak() -> None:
    p = example_code()
    state = KnowledgeState(node_ids=["a"])
    state.append(ValuesProduced(turn=1, code_lines=["for i in range(len(nums)):"]))
    assert not reveals("You wrote `for i in range(len(nums)):` — run the tests again?", p, state).leaks


def test_verdict_round_trip() -> None:
    v = reveals(
        "The answer is 10.",
        Problem(id="x", domain="math", title="t", statement="s", steps=[Step(description="d", value=10)], answer=10),
    )
    assert GuardVerdict.model_validate_json(v.model_dump_json()) == v


def test_one_as_a_word_in_prose_is_not_the_answer_one():
    problem = Problem(
        id="p-one",
        domain="math",
        title="t",
        statement="Ann has 3 apples and eats 2. How many are left?",
        steps=[Step(description="Find what is left.", expression="3 - 2", value=1)],
        answer=1,
    )
    assert not reveals("Let's take it one step at a time. What happens to the apples?", problem).leaks
    assert not reveals("Which one of the numbers changes?", problem).leaks
    assert reveals("The answer is one apple.", problem).leaks
    assert reveals("So 1 apple is left.", problem).leaks
