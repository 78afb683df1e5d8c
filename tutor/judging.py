"""Step 2 for math: judge the student's message and update the knowledge state from it.

The verdict (`Evidence.judgement`, shown to teachers and measured by `python -m evals replay`):
- `none`  - no checkable claim: a question, "I'm stuck", a greeting; a fact restated from the problem ("Donuts cost
  $68 per dozen.") is acknowledged as true and is never a failed attempt; an extraction or override attempt
  ("you are allowed to break the rules ... 10 minutes") is no answer, whatever numbers it carries;
- `right` - every value it states that the verifier can place is a step value or the final answer (said again or
  new); new ones resolve their nodes;
- `partly` - a right value and a wrong one in the same message (typically a worked attempt with a right
  intermediate and a wrong final value): the right ones are credited to their nodes, the wrong one is an attempt
  at the next open node, with its diagnosis, and the reply names what is still wrong - never praise;
- `wrong` - stated values, none of them right;
- `unsure` - the evidence does not decide: an explanation in words that meets no node's check, or a message that
  merely lists numbers (or hedges "10 or 12"). Nothing is credited or counted as a failure; the tutor asks for one
  value it can check.

What a message's numbers are offered as (claimed, listed, restated, quoted, true unit facts) is read in
`tutor.mathclaims`; a step's value said for another quantity, in `tutor.misread`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.numbers import stands_for
from knowledge.types import Diagnosis, Problem, QuestionTree
from tutor.mathclaims import (
    claimed,
    derived_operands,
    is_given,
    lists_numbers,
    percent_of_step,
    quotes_givens,
    restates_given,
    result_positions,
    statement_numbers,
    true_conversions,
)
from tutor.misread import misattributed, misread_note
from tutor.planner import Evidence
from tutor.state import AttemptWrong, KnowledgeState, NodeResolved, Solved, Stuck, ValuesProduced
from tutor.understand import Understanding
from tutor.verify import check_math, node_value

Diagnose = Callable[[Understanding, list[Diagnosis], float | None], list[Diagnosis]]


def _bare(text: str) -> float:
    """A concept pattern's hit that is the value itself ("72"), as a number; nan for anything else."""
    m = re.fullmatch(r"\$?(\d+(?:\.\d+)?)", text.replace(",", "").strip())
    return float(m.group(1)) if m else float("nan")


def partly_note(right: list[str], wrong: list[str]) -> str:
    """What is right and what is still wrong, in the student's own numbers (nothing they did not say)."""
    got, off = list(dict.fromkeys(right)), list(dict.fromkeys(wrong))
    return (
        f"You have {' and '.join(got)} right, but {' and '.join(off)} {'is' if len(off) == 1 else 'are'} not right yet."
    )


def update_math(
    u: Understanding,
    problem: Problem,
    tree: QuestionTree,
    state: KnowledgeState,
    turn: int,
    cur: str | None,
    diagnose: Diagnose,
) -> Evidence:
    """Judge one math message and append what it shows to the state; returns the planner's evidence."""
    ev = Evidence(node_id=cur)
    if u.intent in ("override", "extraction"):
        ev.detail = f"{u.intent} attempt: its numbers are no answer"
        return ev
    if lists_numbers(u):
        ev.judgement, ev.detail = "unsure", "lists numbers without choosing one: asked for a single value"
        return ev
    produced = [r for n in u.numbers if n.kind != "computed" for r in n.readings()]
    if produced:
        state.append(ValuesProduced(turn=turn, values=produced))
    check = check_math(u, problem, tree)
    if misread := misattributed(u, problem, check):  # a step's value for another quantity: no credit, a wrong value
        check.right = [m for m in check.right if round(m.value if m.by == "value" else _bare(m.text), 9) not in misread]
        check.wrong += [v for v in sorted(misread) if v not in check.wrong]
        check.final_right = False  # a value said for what it is not: the message is no right answer (GUIDE rule 1)
    if u.intent == "off_topic":
        check.right = [m for m in check.right if m.by == "value"]  # words in an aside are no evidence
    facts = true_conversions(u, problem) if check.wrong else set()
    check.wrong = [v for v in check.wrong if round(v, 9) not in facts]
    if facts and not check.wrong:
        check.final_right = any(m.final for m in check.right)
    if check.wrong and all(percent_of_step(v, u, problem) for v in check.wrong):
        check.wrong = []  # "6/10 = 0.6 x 100% = 60%": one value in three forms
        check.final_right = any(m.final for m in check.right)
    if check.final_right:
        evidence = f"final answer {check.right[0].text if check.right else ''}".strip()
        for n in state.node_ids:
            if not state.is_resolved(n):
                state.append(NodeResolved(turn=turn, node_id=n, evidence=evidence, by="implied"))
        state.append(Solved(turn=turn, evidence=evidence))
        if cur:
            state.observe(turn, cur, True)
        ev.outcome, ev.judgement, ev.detail = "solved", "right", "stated the final answer"
        return ev
    if not any(m.by == "value" for m in check.right) and restates_given(u, problem, check):
        ev.restated, ev.detail = True, "restates a given fact of the problem"
        return ev
    if quotes_givens(u, problem, check):
        ev.judgement, ev.detail = "unsure", "only numbers of the problem, none given as an answer: asked for a value"
        return ev
    positions = result_positions(u)
    quoted = {
        round(n.value, 9)
        for i, n in enumerate(u.numbers)
        if n.kind != "computed" and is_given(n, problem) and not positions.get(i, False)
    }
    if len(claimed(u)) > 1:
        # a given quoted while reasoning ("we subtract 3 from 23") is no wrong answer, even when a wrong path has it
        check.wrong = [v for v in check.wrong if round(v, 9) not in quoted or round(v, 9) in misread]
    if check.wrong and check.diagnosis:
        # a number already credited, said again beside a wrong value that the diagnosed wrong path also explains
        # with that number ("each box has 24, so 3 boxes"), is that path's number here, not a right sub-result
        path = [
            v
            for m in problem.malgorithms
            if m.id in {d.malgorithm_id for d in check.diagnosis}
            for v in (m.wrong_answer, *m.step_values.values())
            if v is not None
        ]
        check.right = [
            m
            for m in check.right
            if m.by != "value" or not state.has_produced(m.value) or not any(stands_for(m.value, v) for v in path)
        ]
    values = {round(v, 9) for v in check.wrong}
    wrong_numbers = [n for n in claimed(u) if round(n.value, 9) in values]
    resolved = [n for n in check.resolved_nodes if not state.is_resolved(n)]
    if resolved:
        last = max(state.node_ids.index(n) for n in resolved)
        for n in state.node_ids[: last + 1]:
            if not state.is_resolved(n):
                value = node_value(tree.node(n), problem)
                said = f"said {value:g}" if value is not None and u.values else f"text: {u.text[:80]}"
                state.append(
                    NodeResolved(turn=turn, node_id=n, evidence=said, by="student" if n in resolved else "implied")
                )
        ev.resolved = [n for n in state.node_ids[: last + 1] if n in resolved or n == cur]
        if cur:
            state.observe(turn, cur, True)
    if check.wrong:
        value = check.wrong[-1]
        ev.wrong_numbers = wrong_numbers
        ev.diagnosis = diagnose(u, check.diagnosis, value)
        now = state.current_node()
        operands = derived_operands(u, problem)
        right_texts = [m.text for m in check.right if m.by == "value"] + [n.text for n in operands]
        # the note never repeats the final answer, even the student's own (the guard would rightly refuse it)
        shown = [m.text for m in check.right if m.by == "value" and not m.final] + [
            n.text for n in operands if problem.answer is None or not stands_for(n.value, problem.answer)
        ]
        # a right value, not a right-looking formula (GUIDE rule 11), and not a number the statement already gives
        # unless the student computes it ("4 x $25 = $100"): "he started with $10 ... so 5 games" is no sub-result
        results = {n.text for n in u.numbers if n.kind == "result"}
        givens = statement_numbers(problem)
        derived = [
            m
            for m in check.right
            if m.by == "value"
            and (m.text in results or not any(stands_for(m.value, g) and stands_for(g, m.value) for g in givens))
        ]
        partly = bool(derived or operands)
        detail = (
            f"said {value:g} for another quantity than its step's"
            if round(value, 9) in misread
            else f"said {value:g}, which matches no step"
        )
        if now is not None:
            top = ev.diagnosis[0].malgorithm_id if ev.diagnosis else None
            state.append(AttemptWrong(turn=turn, node_id=now, evidence=detail, value=value, malgorithm_id=top))
            state.observe(turn, now, False)
        if partly:
            ev.outcome, ev.judgement = "partly", "partly"
            ev.detail = f"right {', '.join(right_texts) or 'reasoning'}, but {detail}"
            ev.note = (
                partly_note(shown, [n.text for n in wrong_numbers])
                if shown and wrong_numbers
                else f"{' and '.join(dict.fromkeys(n.text for n in wrong_numbers))} is not right yet."
                if wrong_numbers
                else ""
            )
        else:
            ev.outcome, ev.judgement, ev.detail = "wrong", "wrong", detail
            misplaced = [n for n in wrong_numbers if round(n.value, 9) in misread]
            if misplaced:  # "Rick has 24 dollars": the words it was said for, not "24 doesn't match the story"
                ev.note = misread_note(misplaced[-1], misread[round(misplaced[-1].value, 9)], turn)
        return ev
    if check.right or facts:
        ev.judgement = "right"
        if resolved:
            ev.outcome = "right"
        else:
            ev.detail = "repeated results already found" if check.right else "a true unit fact of a given"
        return ev
    if cur is None:
        return ev
    if u.intent == "stuck":
        state.append(Stuck(turn=turn, node_id=cur, evidence=u.text[:120]))
        state.observe(turn, cur, False)
        ev.outcome, ev.detail = "stuck", "says they are stuck"
    elif u.intent == "answer" and len(u.text.split()) >= 3:
        ev.judgement, ev.detail = "unsure", "an explanation that meets no check: asked for a value"
    return ev
