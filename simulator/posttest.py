"""The post-test of learning gain (as EducationQ measures it): after the dialogue, the simulated student attempts a
sibling problem (knowledge.siblings: same steps and misconception, new numbers) with no transcript.

What carries over is decided by the hidden state, not by the dialogue's words:
- a node the student knew from the start, or came to know through a question (`resolved_by` question / follows),
  carries over: the student can do that step on new numbers;
- a node the tutor told (`resolved_by` told: a telling move, a bottom-out, or a message that gave the value away)
  does not: being told this problem's value does not change the method, so the node goes back to what it was at the
  start (misconceived stays misconceived, unknown stays unknown). A wrong value that only followed from a told root
  misconception goes back with it.
The attempt is then written from that state: right steps for what carries over, and at the first step that does
not, either the misconception's wrong answer on the new numbers (when the wrong path could be recomputed) or an
unfinished attempt. Correctness is decided in evals by the same independent check as any student message (its last
number).
"""

from __future__ import annotations

from pydantic import BaseModel

from knowledge.numbers import fmt_exact
from knowledge.siblings import make_sibling
from knowledge.types import Problem
from simulator.types import HiddenState, NodeStatus


class PostTest(BaseModel):
    sibling_id: str
    attempt: str
    answer: float  # the sibling's right answer (evals checks the attempt against it, as any student message)
    kept_misconception: bool  # a misconception of the start is still held on the sibling
    reverted: list[str]  # node ids that were told and so do not carry over


def carried_over(initial: HiddenState, final: HiddenState) -> dict[str, NodeStatus]:
    """Each node's status on a sibling problem (see the module docstring)."""
    start = {n.node_id: n for n in initial.nodes}
    out: dict[str, NodeStatus] = {}
    told_root = False
    for n in final.nodes:
        first = start.get(n.node_id)
        if n.status == "knows" and n.resolved_by == "told" and first is not None and first.status != "knows":
            out[n.node_id] = first.status
            told_root |= first.status == "misconceived" and not first.derived
        else:
            out[n.node_id] = n.status
    if told_root:
        for n in final.nodes:
            first = start.get(n.node_id)
            if first is not None and first.derived and first.status != "knows":
                out[n.node_id] = first.status
    return out


def post_test(problem: Problem, initial: HiddenState, final: HiddenState) -> PostTest | None:
    """The student's attempt at the problem's sibling, or None (code problems, or no sibling can be built)."""
    sibling = make_sibling(problem)
    if sibling is None:
        return None
    status = carried_over(initial, final)
    reverted = [n.node_id for n in final.nodes if status[n.node_id] != n.status]
    by_step: dict[int, list[NodeStatus]] = {}
    for n in final.nodes:
        if n.step is not None:
            by_step.setdefault(n.step, []).append(status[n.node_id])
    steps = sibling.problem.steps
    lines: list[str] = []
    kept = any(s == "misconceived" for s in status.values())
    for i, step in enumerate(steps):
        held = by_step.get(i, ["knows"])
        if all(s == "knows" for s in held):
            lines.append(f"{step.expression} = {fmt_exact(step.value)}")
            continue
        wrong = sibling.wrong_answers.get(initial.malgorithm_id or "") if "misconceived" in held else None
        lines.append(
            f"So the answer is {fmt_exact(wrong)}." if wrong is not None else "I'm not sure how to go on from here."
        )
        break
    else:
        lines.append(f"So the answer is {fmt_exact(steps[-1].value)}.")
    return PostTest(
        sibling_id=sibling.problem.id,
        attempt="\n".join(lines),
        answer=steps[-1].value,
        kept_misconception=kept,
        reverted=reverted,
    )
