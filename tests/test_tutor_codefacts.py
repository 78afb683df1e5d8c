"""tutor.codefacts: true or false facts about the code that are no step of the tree (which tests pass, what another
line does, arithmetic), and code sent to look at the program rather than to fix it. Messages are made up, in the
style of the Socratic Debugging Benchmark's students."""

from __future__ import annotations

import pytest

from tutor import TutorSession, TutorSettings
from tutor.codefacts import claims_fixed, debug_copy, judge_arithmetic, judge_facts, judge_tests, looking, stated_tests
from tutor.examples import example_code

# example_code(): total([1, 2, 3]) returns 5 (fails), total([]) returns 0 (passes), total([5]) returns 0 (fails)


def first_turn(text: str) -> TutorSession:
    s = TutorSession.start(example_code(), TutorSettings(max_turns=40), backend=None)
    "".join(s.reply(text))
    return s


@pytest.mark.parametrize(
    ("message", "verdict"),
    [
        ("Hi, my program passes all test cases except the first and third. Can you help?", "right"),
        ("My code passes all the tests except the second one.", "wrong"),
        ("I'm failing even the first assertion and I can't figure out why.", "right"),
        ("Yes, the second test case passes, but the third one fails.", "right"),
        ("Yes, the first test case passes, but the second one fails.", "wrong"),
        ("None of the test cases are passing.", "wrong"),  # the second passes
        ("Does the first test pass?", None),  # a question claims nothing
        ("It does not work.", None),
    ],
)
def test_which_tests_pass_is_checked_against_the_buggy_programs_run(message: str, verdict: str | None) -> None:
    assert judge_tests(message, example_code()) == verdict


def test_the_last_test_and_a_list_of_ordinals_are_read() -> None:
    assert stated_tests("It passes all the tests except the second and the last.", 4) == [
        (1, True),
        (2, False),
        (3, True),
        (4, False),
    ]


@pytest.mark.parametrize(
    ("message", "verdict"),
    [
        ("I think `b` was 5 and `a` was 3 so `b = 3 + 5` which is 8.", "right"),
        ("Then it would be `b = 5 + 8` which is 12.", "wrong"),
        ("Yes, and 2.5 squared is 6.25.", "right"),
        ("3 squared is 6.", "wrong"),
        ("`b` is 8.", None),  # a name, not arithmetic
    ],
)
def test_arithmetic_on_literals_is_computed(message: str, verdict: str | None) -> None:
    assert judge_arithmetic(message) == verdict


def test_a_true_description_of_a_line_that_is_not_the_bugs_is_a_true_fact() -> None:
    p = example_code()  # line 2 is `s = 0`, line 5 `return s`
    assert judge_facts("Line 5 returns `s`.", p) == "right"
    assert judge_facts("Line 2 creates an empty list.", p) == "wrong"


def test_a_true_fact_is_judged_right_without_resolving_a_node() -> None:
    """Was `none`: a true statement of which tests fail earned no verdict, as nothing checked it."""
    s = first_turn("Hi, my program passes all test cases except the first and third. Can you help?")
    assert s.last.judgement == "right"
    assert not any(s.state.is_resolved(n.id) for n in s.tree.nodes)


def test_a_false_fact_is_a_wrong_attempt() -> None:
    s = first_turn("None of the test cases are passing.")
    assert s.last.judgement == "wrong"


def test_code_with_prints_added_is_no_fix_attempt() -> None:
    """Was `wrong` (the tests fail): the student sent the buggy program with a print in it to look at the loop."""
    p = example_code()
    lines = p.buggy_code.splitlines()
    code = "\n".join(lines[:3] + ["        print(i, s)"] + lines[3:])
    assert debug_copy(code, p) and debug_copy(p.buggy_code, p)
    assert not debug_copy(p.buggy_code.replace("range(1,", "range(2,"), p)
    assert not debug_copy(p.buggy_code.replace("    return s", "        return s"), p)  # indentation is meaning
    assert looking(code, "", p) and looking(p.buggy_code, "I changed it but it still fails.", p)
    assert not looking(p.buggy_code, "", p)  # the bare buggy program, no words: a (failing) submission
    for handed_in in ("Here is my code:", "here's the code I have", "This is my code, what is wrong?"):
        assert not looking(p.buggy_code, handed_in, p)  # handed in as the student's own: run it
    assert looking(code, "Here is my code:", p)  # with prints added it is still a look, whatever the words
    s = first_turn(f"Good idea, let me add a print statement inside the loop.\n```python\n{code}\n```")
    assert s.last.judgement != "wrong" and s.last.tests is None
    s = first_turn(f"I fixed it, it works now!\n```python\n{code}\n```")  # says it is a fix: judged as one
    assert s.last.judgement == "wrong"


def test_a_claimed_fix_is_told_from_a_negated_one() -> None:
    assert claims_fixed("I've now fixed it. Thanks!") and claims_fixed("It works!")
    assert not claims_fixed("It's still not working.") and not claims_fixed("Let me add a print statement.")
