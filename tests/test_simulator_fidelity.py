"""The fidelity check on LLM phrasings, and that every template passes it."""

from __future__ import annotations

import pytest

from knowledge.bank import load_starter
from simulator import StudentSession, builtin
from simulator.fidelity import check, numbers_in
from simulator.types import Content
from vocabulary import PERSONA_MODES

STEP = Content(kind="step", node="s0-value", values=[28.0], forbidden=[20.0, 54.0], template="I think it's 28 dollars.")
STATEMENT = "A jacket costs $80. The store takes 25% off, then 10% off the sale price. What does it cost?"


@pytest.mark.parametrize(
    "text",
    [
        "I think it's 28 dollars.",
        "um, I'm pretty sure it comes out to $28",
        "28. I took 35% of the $80.",  # numbers from the statement / template are allowed
        "I got 28.0",
    ],
)
def test_accepts_faithful_phrasings(text: str) -> None:
    verdict = check(text, STEP, statement=STATEMENT + " 35%")
    assert verdict.ok, verdict.reasons


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("I think it's about thirty dollars.", "drops the decided value 28"),
        ("I think it's 20 dollars.", "states the forbidden value 20"),
        ("It's 28, so the jacket is 54 in the end.", "states the forbidden value 54"),
        ("I think it's 28, or maybe 31.", "introduces the number 31"),
        ("Let's see, it's 28.", "speaks as a tutor"),
        ("Great job! It's 28.", "speaks as a tutor"),
        ("Can you tell me if 28 is right?", "speaks as a tutor"),
        ("Tutor: it's 28", "speaks as a tutor"),
        ("As an AI, I would say 28.", "mentions being an AI"),
        ("I'm a language model but 28.", "mentions being an AI"),
        ("It's 28:\n```python\nprint(28)\n```", "contains code"),
        ("It's 28. " + "blah " * 200, "too long"),
    ],
)
def test_rejects(text: str, reason: str) -> None:
    verdict = check(text, STEP, statement=STATEMENT)
    assert not verdict.ok
    assert any(r.startswith(reason) for r in verdict.reasons), verdict.reasons


def test_values_are_compared_with_tolerance_and_formats() -> None:
    money = Content(kind="step", values=[1200.0], template="It's 1200.")
    assert check("It comes to $1,200.00", money).ok
    percent = Content(kind="step", values=[0.25], template="It's 0.25.")
    assert check("I think it's 25%", percent).ok
    assert numbers_in("I had three apples and 2.5 pears") == [2.5, 3.0]


def test_forbidden_value_in_the_template_itself_is_not_a_violation() -> None:
    # the wrong solution quoted in a template may contain the right answer as an intermediate number
    content = Content(
        kind="opening", values=[26.0], forbidden=[6.0], template="10% of 60 is 6, so the discount is 20 + 6 = 26."
    )
    assert check("10% of 60 is 6 so I got a discount of 26", content).ok


def test_tutor_numbers_may_be_repeated() -> None:
    content = Content(kind="step", values=[28.0], template="It's 28.")
    assert check("You said 35, and I got 28.", content, tutor_message="Why 35?").ok
    assert not check("You said 35, and I got 28.", content, tutor_message="Why?").ok


def test_every_template_passes_its_own_check() -> None:
    """Over the whole starter bank, every mode and a scripted tutor, no template would be rejected."""
    problems = load_starter()
    checked = 0
    for problem in problems:
        for m in problem.malgorithms or [None]:
            for mode in PERSONA_MODES:
                s = StudentSession.start(
                    problem, builtin(mode), seed=1, malgorithm_id=m.id if m else None, use_embeddings=False
                )
                msgs = ["Hi, can you talk me through your solution?"]
                for node in s.tree.nodes:
                    msgs += [node.questions.focus[0], node.questions.probing[0]]
                for msg in msgs:
                    s.respond(msg)
                for turn in s.turns:
                    if turn.content.kind == "extraction":
                        continue
                    verdict = check(
                        turn.content.template,
                        turn.content,
                        statement=problem.statement,
                        tutor_message=turn.tutor_message,
                    )
                    assert verdict.ok, (problem.id, mode, turn.content.template, verdict.reasons)
                    checked += 1
    assert checked > 500


def test_tutor_words_quoted_from_the_attempt_are_allowed() -> None:
    content = Content(kind="opening", values=[4.0], template="Let's call the number of spoons x. x + 5 = 9, so x = 4.")
    assert check("Let's call the spoons x, and x + 5 = 9 so x = 4", content).ok
    assert not check("Great job me! Let's call the spoons x, and x + 5 = 9 so x = 4", content).ok
