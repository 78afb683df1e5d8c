"""LLM rewrites and probes: a rewrite that repeats an earlier tutor turn or leaves the decided question is replaced
by the template; value-bearing probes only when the student said that value; the misconception's label stays in
the trace, out of the student-facing text; the rephrase prompt carries the decision, not earlier tutor turns."""

from __future__ import annotations

import pytest

from inference import FakeBackend, NoneBackend
from knowledge.bank import starter_problem
from knowledge.types import Diagnosis, Problem
from tutor import TutorSession, TutorSettings
from tutor.numbers import extract
from tutor.probes import choose_probe, strip_label
from tutor.voice import decided_question, reject_reason


@pytest.fixture(scope="module")
def trail_mix() -> Problem:
    return starter_problem("math-trail-mix")


ECHO = (
    "You found 0.4 cups for one batch. What does that number stand for in the problem, and how did you decide "
    "which operation to use?"
)


def test_a_rewrite_that_repeats_the_previous_turn_is_replaced(trail_mix: Problem) -> None:
    """The reported bug: the LLM's second reply was a copy of its first although the student answered 7/8."""
    fake = FakeBackend()
    fake.enqueue(ECHO, ECHO)  # a model that copies its previous turn
    s = TutorSession.start(trail_mix, TutorSettings(classify_with_llm=False, voice="rewrite"), fake)
    first = "".join(s.reply("1/2 + 3/8 = 4/10"))
    assert s.last.used_llm and first == ECHO  # a fine rewrite of the decided probe
    second = "".join(s.reply("7/8"))
    t = s.last
    assert t.outcome == "right" and t.node_id == "s1-concept"
    assert second != first and not t.used_llm and second == t.template_text
    assert t.llm_rejected and t.llm_rejected.startswith("repeats an earlier tutor message")
    assert t.guard.action == "llm_rejected"


def test_the_rephrase_prompt_has_the_decision_and_no_earlier_tutor_turn(trail_mix: Problem) -> None:
    fake = FakeBackend()
    s = TutorSession.start(trail_mix, TutorSettings(classify_with_llm=False, voice="rewrite"), fake)
    "".join(s.reply("1/2 + 3/8 = 4/10"))
    "".join(s.reply("7/8"))
    msgs = fake.history[-1]
    assert [m.role for m in msgs] == ["system", "user"] and trail_mix.statement in msgs[0].content
    turn = msgs[-1].content
    assert "7/8" in turn and s.last.template_text in turn
    assert decided_question(s.last.template_text) in turn and f"<tutor_message>{s.last.template_text}" in turn
    earlier = [s.opening, s.trace[0].text]
    assert not any(e in m.content for e in earlier for m in msgs)
    assert "0.4" not in turn  # nothing from the earlier turn that a small model could copy


def test_rewrite_quality_checks_are_strict() -> None:
    plan = (
        "Good, that's correct. Let's take one part at a time: the cups of trail mix in 4 batches. "
        "Which numbers from the problem do we need for this part?"
    )
    ok = "Nice work on one batch! For 4 batches, which numbers from the problem do we need?"
    allowed = [0.875, 4.0, 0.5, 0.375]
    assert reject_reason(ok, "7/8", True, plan, previous=["Hi! Which numbers do we need?"], allowed=allowed) is None
    # a number that is neither in the plan, the student's message nor the statement
    why = reject_reason(
        "You found 0.4 cups. Which numbers from the problem do we need for 4 batches?",
        "7/8",
        True,
        plan,
        allowed=allowed,
    )
    assert why and "0.4" in why
    # 0.4 must not pass as a rounding of 3/8
    assert (
        reject_reason("So 0.4 then? Which numbers do we need from the problem?", "", True, plan, allowed=[0.375])
        is not None
    )
    # the decided question dropped for another one
    assert reject_reason(
        "Great! How many cups of trail mix are in one batch?", "7/8", True, plan, allowed=allowed
    ).startswith("off the plan")
    # meta talk about the prompt
    assert (
        reject_reason(
            "Here is the rewritten message: which numbers do we need from the problem?",
            "7/8",
            True,
            plan,
            allowed=allowed,
        )
        == "talks about its instructions"
    )
    # a near-copy of an earlier turn, even with small edits
    prev = "You got 0.4 for this part. What does that number stand for in the problem?"
    why = reject_reason(
        "You got 0.4 for this part! What does this number stand for in the problem?", "", True, plan, previous=[prev]
    )
    assert why and why.startswith("repeats")
    # a repeated question the plan itself decided to ask again is not a copy of the earlier turn
    same = "Which numbers from the problem do we need for this part?"
    assert (
        reject_reason("Which numbers from the problem do we need for this part?", "", True, same, previous=[same])
        is None
    )


def test_value_probe_only_when_the_student_said_that_value(trail_mix: Problem) -> None:
    tree = TutorSession.start(trail_mix).tree
    node = tree.node("s0-concept")
    mid = "math-trail-mix-adds-across"
    assert "0.4" in node.probes[mid]  # the tree's probe names the malgorithm's value
    by_value = Diagnosis(
        malgorithm_id=mid, label="adds numerators and adds denominators", confidence=0.9, reason="value"
    )
    by_text = by_value.model_copy(update={"reason": "similarity", "confidence": 0.4})
    said = extract("4/10").values
    text, _ = choose_probe(node, by_value, trail_mix, [r for n in said for r in n.readings()], said)
    assert text and "0.4" in text
    # similarity, no value said: the misconception's probe without the sentence that quotes its value
    text, note = choose_probe(node, by_text, trail_mix, [], [])
    assert text and "0.4" not in text and "?" in text and "without the value" in note
    # similarity, the student said another wrong value: their own value replaces the tree's
    mine = extract("1/3").values
    text, _ = choose_probe(node, by_text, trail_mix, [r for n in mine for r in n.readings()], mine)
    assert text and "1/3" in text and "0.4" not in text
    # diagnosed by value, but by a value of another step (1.6): the probe's 0.4 was never said
    other = extract("1.6").values
    text, note = choose_probe(node, by_value, trail_mix, [1.6], other)
    assert text and "0.4" not in text and text.startswith("You got 1.6 for the cups of trail mix in one batch.")
    assert note == "probe with the student's own value 1.6 (the tree's value was never said)"


def test_similarity_diagnosis_never_shows_the_malgorithms_value(trail_mix: Problem) -> None:
    s = TutorSession.start(trail_mix, TutorSettings(), NoneBackend())
    text = "".join(s.reply("I added the tops and added the bottoms, so one batch is 4/12 or 1/3 cup"))
    t = s.last
    assert t.outcome == "wrong" and t.move == "probing" and t.node_id == "s0-concept"
    assert [(d.malgorithm_id, d.reason) for d in t.diagnosis] == [("math-trail-mix-adds-across", "similarity")]
    assert "0.4" not in text and "You got" not in text
    assert t.diagnosis[0].label in t.reason and "its probe" in t.reason


def test_the_misconception_label_is_in_the_trace_not_in_the_text(trail_mix: Problem) -> None:
    s = TutorSession.start(trail_mix, TutorSettings(), NoneBackend())
    text = "".join(s.reply("1/2 + 3/8 = 4/10"))
    t = s.last
    label = t.diagnosis[0].label
    assert t.plan_kind == "question" and t.move == "probing" and "0.4" in text
    assert "something to check" not in text.lower() and label.lower() not in text.lower()
    assert "something to check" not in t.template_text.lower()
    assert label in t.reason


def test_strip_label() -> None:
    label = "adds numerators and adds denominators"
    probe = "You got 0.4. What does it stand for? (Something to check: adds numerators and adds denominators.)"
    assert strip_label(probe, label) == "You got 0.4. What does it stand for?"
    assert (
        strip_label("Did you maybe add numerators? Is it that he adds numerators and adds denominators?", label)
        == "Did you maybe add numerators?"
    )
