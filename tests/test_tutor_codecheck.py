"""Code claims judged by what the buggy program really does (tutor.codecheck, real bwrap sandbox), not keywords."""

from __future__ import annotations

import pytest

from knowledge.bank import load_starter
from knowledge.types import Problem
from tutor import TutorSession, TutorSettings, codecheck
from tutor.codecheck import buggy_run, claims, judge_behaviour, judge_locate
from tutor.codewords import judge_calls, judge_expressions, judge_fix, judge_words
from tutor.examples import example_code

PRAISE = ("Exactly, well done", "Yes, that's right", "Good, that's correct")
CODE = [p for p in load_starter() if p.domain == "code"]


def bank(problem_id: str) -> Problem:
    return next(p for p in load_starter() if p.id == problem_id)


def first_turn(problem: Problem, text: str) -> tuple[TutorSession, str]:
    s = TutorSession.start(problem, TutorSettings(max_turns=40), backend=None)
    return s, "".join(s.reply(text))


def behaviour_resolved(s: TutorSession) -> bool:
    return s.state.is_resolved(s.tree.nodes[0].id)


@pytest.mark.parametrize("problem", CODE, ids=lambda p: p.id)
@pytest.mark.parametrize(
    "message",
    [
        "I don't know why it fails.",
        "I think the bug is in the return statement.",
        "It gives the wrong output and I'm not sure why.",
    ],
)
def test_keywords_alone_earn_no_credit_on_any_starter_exercise(problem: Problem, message: str) -> None:
    s, reply = first_turn(problem, message)
    assert s.last.judgement != "right" and not behaviour_resolved(s)
    assert not reply.startswith(PRAISE)


def test_a_false_returned_value_is_rejected_when_the_code_raises() -> None:
    s, reply = first_turn(bank("code-count-evens-scope"), "It returns 1 instead of 2.")
    assert s.last.judgement == "wrong" and not behaviour_resolved(s)
    assert not reply.startswith(PRAISE)


@pytest.mark.parametrize(
    "message", ["It raises UnboundLocalError.", "It's throwing an `UnboundLocalError`. I'm not sure why."]
)
def test_the_real_exception_is_credited_even_when_hedged(message: str) -> None:
    s, _ = first_turn(bank("code-count-evens-scope"), message)
    assert s.last.judgement == "right" and behaviour_resolved(s)


def test_returned_values_are_compared_with_the_real_result() -> None:
    run = buggy_run(example_code())  # total([1, 2, 3]) really returns 5
    assert judge_behaviour("I should get a 6, but I am getting a 5.", run) == "right"
    assert judge_behaviour("total([1, 2, 3]) gives me 6", run) == "unsure"  # not what it gives: checkable, ask
    assert judge_behaviour("I should get a 3, but I am getting a 4.", run) == "unsure"  # maybe their own input
    assert judge_behaviour("It raises an IndexError.", run) == "wrong"
    assert judge_behaviour("It returns something weird.", run) == "unsure"
    assert judge_behaviour("I don't know why it fails.", run) is None
    assert judge_behaviour("Why does it return 5?", run) is None  # a question claims nothing


def test_an_uncheckable_behaviour_claim_is_unsure_and_asks_again() -> None:
    s, reply = first_turn(example_code(), "It returns something weird.")
    assert s.last.judgement == "unsure" and not behaviour_resolved(s)
    assert reply.rstrip().endswith("?") and not reply.startswith(PRAISE)


def test_a_second_uncheckable_claim_in_a_row_counts_as_stuck_and_the_ladder_goes_on() -> None:
    """A student who keeps saying "it returns the wrong value" is not asked the same thing forever: the second
    unsure turn on one node is recorded as stuck, so the next question is easier and the hint ladder advances."""
    s, _ = first_turn(example_code(), "It returns the wrong value for the test.")
    first = s.last
    second = "".join(s.reply("It returns the wrong value for the test."))
    assert first.judgement == "unsure" and first.outcome != "stuck"
    assert s.last.judgement == "unsure" and s.last.outcome == "stuck" and not behaviour_resolved(s)
    assert second.rstrip().endswith("?") and not second.startswith(PRAISE)


def test_return_as_a_noun_is_no_claim() -> None:
    assert claims("I think the bug is in the return statement.") == []
    assert claims("my output looks off") == []


def test_the_locate_node_is_judged_by_the_bug_lines() -> None:
    p = example_code()  # the bug is on line 3
    assert judge_locate("I think line 3 is wrong.", p, 0) == "right"
    assert judge_locate("The bug is on line 5.", p, 0) == "wrong"
    assert judge_locate("Line 5.", p, 0) == "wrong"
    assert judge_locate("Line 2 sets s to 0.", p, 0) is None  # describing a line blames nothing
    assert judge_locate("No, I don't see any problems on line 1.", p, 0) is None
    # was right: the bug's line named as handled, not blamed (the student thinks it is correct)
    assert judge_locate("We want every number, and I handled that on lines 3 and 4.", p, 0) is None
    assert judge_locate("Line 3.", p, 0) == "right"
    assert judge_locate("That's on line 3.", p, 0) == "right"


def test_words_around_a_failing_submission_earn_no_credit() -> None:
    p = example_code()
    s = TutorSession.start(p, TutorSettings(max_turns=40), backend=None)
    code = p.buggy_code.replace("range(1, len(nums))", "range(2, len(nums))")
    "".join(s.reply(f"I fixed line 3, it returns 6 instead of 5 now:\n```python\n{code}```"))
    assert s.last.judgement == "wrong" and not any(s.state.is_resolved(n.id) for n in s.tree.nodes)


def test_a_function_named_in_backticks_is_no_code_submission() -> None:
    s, _ = first_turn(example_code(), "Hello! I was working on my `total()` function and I can't see the issue.")
    assert s.last.tests is None and s.last.judgement != "wrong"


def test_a_line_quoted_after_its_number_is_no_code_submission() -> None:
    """ "It's line 1, `def add_item(item, basket=[]):`" points at the bug's line; run as a patch it was answered with
    an IndentationError, the locate node never resolved and the tree tutor fell back to telling the bug."""
    p = bank("code-basket-default-list")
    line = p.buggy_code.splitlines()[p.bugs[0].lines[0] - 1].strip()
    s, reply = first_turn(p, f"It's line {p.bugs[0].lines[0]}, `{line}`.")
    assert s.last.tests is None and "IndentationError" not in reply


def test_the_bug_lines_include_the_lines_the_fix_rewrites() -> None:
    p = next(p for p in CODE if p.id == "code-remove-negatives")  # names lines 2 and 4; the fix rewrites 3 and 5 too
    assert judge_locate("The problem is line 5, it returns the list I was removing from.", p, 0) == "right"
    q = next(p for p in CODE if p.id == "code-count-evens-scope")  # the def line moves unchanged: not a bug line
    assert judge_locate("I think the bug is on line 3.", q, 0) == "wrong"


# --- claims in words, run (tutor.codewords) --------------------------------------------------------------------
def test_the_students_own_call_is_run_and_its_claimed_value_compared() -> None:
    p = example_code()  # total([1, 2, 3]) returns 5, total([4, 5]) returns 5, the fixed program 9
    assert judge_calls("When I call `total([4, 5])` it gives me 5 instead of 9.", p, 0) == "right"
    assert judge_calls("When I call `total([4, 5])` it gives me 4.", p, 0) == "wrong"  # it returns 5
    assert judge_calls("`total([4, 5])` returns 5 but it should be 10.", p, 0) == "wrong"  # the fix gives 9
    assert judge_calls("With `nums` as [7] the output is 0.", p, 0) == "right"  # a parameter bound in words
    assert judge_calls("Why does `total([4, 5])` return 5?", p, 0) is None  # a question claims nothing
    assert judge_calls("I called `total([4, 5])` to see.", p, 0) is None


def test_a_true_claim_about_an_own_call_resolves_the_behaviour_node() -> None:
    """8 is no failing test's value, so "with `nums` as [7, 8] the output is 8" was `unsure` and asked again."""
    s, reply = first_turn(example_code(), "When I run it with `nums` as [7, 8] the output is 8 instead of 15.")
    assert s.last.judgement == "right" and behaviour_resolved(s) and not reply.startswith("Not quite")


def test_a_tuple_value_is_read_and_compared() -> None:
    assert [c.value for c in claims("I am returning ('D', 70) for test 4.")] == ["('D', 70)"]
    assert claims("It should give me 6, but it gives me 5.")[0].value == "5"  # "should give": expected, not got


def test_a_fix_put_in_words_is_patched_into_the_bug_line_and_run() -> None:
    p = example_code()  # line 3: for i in range(1, len(nums)):
    assert judge_fix("Oh, so I would have to use `range(0, len(nums))`, right?", p, 0) == "right"
    assert judge_fix("I think it should be `range(1, len(nums) + 1)` instead.", p, 0) == "wrong"  # IndexError
    assert judge_fix("Should I use `range(1, len(nums) + 1)`?", p, 0) is None  # asked, not stated
    assert judge_fix("The loop uses `range(1, len(nums))`.", p, 0) is None  # the code as it is
    assert judge_fix("I should change the 1 to 0 on line 3.", p, 0) == "right"
    assert judge_fix("It should be `[1, 2, 3]` instead.", p, 0) is None  # a value, not a fix
    assert judge_fix("It should be `range(x, y + 1)`.", p, 0) is None  # names the program does not have


def test_a_fix_in_words_is_judged_in_the_dialogue() -> None:
    """Both were `unsure` (asked for a value) before: nothing checked a fix put in words."""
    s, reply = first_turn(example_code(), "Oh, so I would have to use `range(0, len(nums))`, right?")
    assert s.last.judgement == "right" and not reply.startswith("Not quite")
    s, reply = first_turn(example_code(), "I think I need to use `range(1, len(nums) + 1)` instead.")
    assert s.last.judgement == "wrong" and not reply.startswith(PRAISE)


def test_a_stated_expression_value_is_evaluated_with_the_sentences_bindings() -> None:
    p = example_code()
    assert (
        judge_expressions("When `i` is 1, `i < 0` returns False. When `i` is -1, `i < 0` returns True.", p) == "right"
    )
    assert judge_expressions("When `i` is 3, `i % 2` is 0.", p) == "wrong"
    assert judge_expressions("`nums` is 0 at first.", p) is None  # a bare name: nothing to evaluate


def test_the_run_cache_is_bounded() -> None:
    p = example_code()
    kept = codecheck.RUNS_KEPT
    try:
        codecheck.RUNS_KEPT = 2
        for k in range(3):
            codecheck.run_cached(p.buggy_code + f"\n# {k}\n", p)
        assert len(codecheck._RUNS) == 2
    finally:
        codecheck.RUNS_KEPT = kept


# --- what a line or a loop does (tutor.codelines, through codewords.judge_words) ---------------------------------
@pytest.mark.parametrize(
    ("message", "verdict"),
    [
        ("The loop starts at 0.", "wrong"),  # range(1, len(nums)): it starts at 1 (an SDB student: "loops from 1")
        ("The for loop goes from 0 to `len(nums) - 1`.", "wrong"),
        ("When I call `total([4, 5])` the loop runs 2 times.", "wrong"),  # once: i is 1 only
        ("Line 2 creates an empty list.", "wrong"),  # s = 0
        ("Line 4 returns `s`.", "wrong"),  # line 4 adds to s; line 5 returns it
        ("Line 3 is a while loop.", "wrong"),
        ("The loop starts at 1.", "right"),
        ("The for loop goes from 1 to `len(nums) - 1`.", "right"),
        ("When I call `total([4, 5])` the loop runs once.", "right"),
        ("With `nums` as [7, 8, 9] the loop iterates 2 times.", "right"),
        ("Line 3 makes a for loop.", "right"),
    ],
)
def test_claims_about_what_a_line_or_loop_does_are_checked_against_the_program(message: str, verdict: str) -> None:
    """These were `unsure` (or credited by keywords): nothing checked what the student said a line or loop does."""
    assert judge_words(message, example_code(), 0, kind="behaviour") == verdict


@pytest.mark.parametrize(
    "message", ["The loop starts at 1.", "Line 3 makes a for loop.", "When I call `total([4, 5])` the loop runs once."]
)
def test_a_true_bug_line_description_is_credited_only_on_behaviour_and_locate_nodes(message: str) -> None:
    p = example_code()  # line 3 is the bug's line
    assert judge_words(message, p, 0, kind="behaviour") == "right"
    assert judge_words(message, p, 0, kind="locate") == "right"
    assert judge_words(message, p, 0, kind="fix") is None
    assert judge_words(message, p, 0) is None  # no kind: today's checks only


@pytest.mark.parametrize(
    "message",
    [
        "Should the loop start at 0?",
        "The loop should start at 0.",
        "Line 5 returns `s`.",
        "Line 2 sets `s` to 0.",
        "I think `s` starts at 0.",
    ],
)
def test_questions_expectations_and_true_claims_about_other_lines_get_no_verdict(message: str) -> None:
    assert judge_words(message, example_code(), 0, kind="behaviour") is None


# --- the locate node: a bug line named with a false description of it -------------------------------------------
def locate_turn(message: str) -> tuple[TutorSession, str]:
    s, _ = first_turn(bank("code-sum-up-to"), "sum_up_to(4) returns 6 instead of 10.")  # the behaviour node
    assert behaviour_resolved(s)
    return s, "".join(s.reply(message))


@pytest.mark.parametrize(
    "message",
    ["Line 3 returns the total.", "The loop on line 3 starts at 1.", "The bug is on line 3, it creates an empty list."],
)
def test_a_false_description_of_the_named_bug_line_is_wrong(message: str) -> None:
    """Was credited ("Good, that's correct."): the bug line was named, so what was said of it was never read."""
    s, reply = locate_turn(message)  # line 3 is `for i in range(n):`, a loop from 0
    assert not s.state.is_resolved("b0-locate")
    assert not reply.startswith(PRAISE)


@pytest.mark.parametrize(
    "message",
    [
        "The bug is on line 3.",
        "Line 3 makes a for loop.",
        "The loop on line 3 starts at 0.",
        "Line 3 is the bug, it should be `range(2, n)`.",
    ],
)  # a wrong fix: the fix node's
def test_the_bug_line_named_with_a_true_description_or_none_is_credited(message: str) -> None:
    s, _ = locate_turn(message)
    assert s.state.is_resolved("b0-locate")


def test_fixes_in_words_can_be_left_out_of_judge_words() -> None:
    p = bank("code-sum-up-to")
    message = "Line 3 is the bug, it should be `range(2, n)`."
    assert judge_words(message, p, 0, kind="locate") == "wrong"
    assert judge_words(message, p, 0, kind="locate", fixes=False) is None


# --- behaviour claims as real students put them (Socratic Debugging style, made up) ----------------------------
def small_problem(buggy: str, fixed: str, tests: list[str], entry: str) -> Problem:
    from knowledge.types import Bug, Fix

    return Problem(
        id=f"test-{entry}",
        domain="code",
        title=entry,
        statement=f"`{entry}` as the tests say.",
        buggy_code=buggy,
        entry_point=entry,
        unit_tests=tests,
        bugs=[Bug(lines=[2], description="The bug.", fixes=[Fix(description="Fix it.", code=fixed)])],
    )


def keep_small() -> Problem:  # loops over the empty result list, so it always returns []
    buggy = (
        "def keep_small(xs, k):\n    out = []\n    for x in out:\n        if x < k:\n            out.append(x)\n"
        "    return out\n"
    )
    return small_problem(
        buggy, buggy.replace("in out:", "in xs:"), ["assert keep_small([1, 5], 3) == [1]"], "keep_small"
    )


def double() -> Problem:  # computes and drops the value: returns None
    return small_problem(
        "def double(x):\n    x * 2\n", "def double(x):\n    return x * 2\n", ["assert double(2) == 4"], "double"
    )


def first_cell() -> Problem:  # indexes an int: TypeError
    return small_problem(
        "def first_cell(grid):\n    return grid[0][0][0]\n",
        "def first_cell(grid):\n    return grid[0][0]\n",
        ["assert first_cell([[1, 2]]) == 1"],
        "first_cell",
    )


@pytest.mark.parametrize(
    ("problem", "message", "verdict"),
    [
        # were None: a statement followed by a help request was read as a question; "an empty list" was no value
        (keep_small, "Hi! My code seems to always return an empty list, can you help?", "right"),
        (keep_small, "It returns an empty string every time.", "unsure"),  # a value no failing test returns
        # was unsure: the printed text "None" was compared with the value None as a string
        (double, 'When I run it, it just prints out "None". Shouldn\'t it print a number?', "right"),
        # was None: "TypeErrors" (plural) was no exception name
        (first_cell, "At first the answer was wrong and now I'm getting TypeErrors.", "right"),
        (first_cell, "Now I'm getting KeyErrors.", "wrong"),
        # was None: the value before "instead of" and the expected one after, checked against the failing test
        (example_code, "Oh! It's 5 which is what I am returning instead of 6! But why is that?", "right"),
        (example_code, "It's 4 which is what I am returning instead of 6!", None),  # no failing test gives 4
        # "raise to a power" is no exception
        (example_code, "It means to raise the number to a power.", None),
    ],
)
def test_behaviour_claims_in_students_words(problem, message: str, verdict: str | None) -> None:
    p = problem()
    assert judge_behaviour(message, buggy_run(p)) == verdict


def test_a_true_behaviour_claim_on_the_fix_node_is_a_true_fact() -> None:
    """Was `unsure`: what the buggy program returns was only checked on the behaviour node."""
    s, _ = first_turn(example_code(), "total([1, 2, 3]) returns 5 instead of 6.")
    "".join(s.reply("The bug is on line 3."))
    assert s.state.current_node() == "b0-fix"
    "".join(s.reply("Oh! It's 5 which is what I am returning instead of 6! But why is that?"))
    assert s.last.judgement == "right" and not s.state.is_resolved("b0-fix")
    "".join(s.reply("It raises an IndexError when the list is empty."))
    assert s.last.judgement == "wrong"
