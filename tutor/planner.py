"""Step 3 of a turn: decide what to do next. Three policies share one interface.

- `tree` (TreeInstruct): walk the question tree's nodes in order. Right -> the node is resolved, ask the next
  node's focus question. Wrong -> an easier question on the same node (focus -> probing -> hint), using the node's
  probe for a diagnosed malgorithm. Stuck -> the next depth. After `fails_before_bottom_out` failed questions on a
  node -> bottom-out of that node only (never of the final answer or the fix unless `allow_final_bottom_out`).
  Extraction/override attempts and off-topic messages -> a redirect to the current node. Stop on success or
  `max_turns`.
- `vanilla`: the papers' baseline, one Socratic LLM prompt over the dialogue (phrase.py writes it); with no
  model it falls back to the tree's current question and says so in the reason.
- `telling`: tells the answer (MathDial's telling move): its first reply is the worked solution of every unresolved
  node through the final answer or the fix (the final node alone when the state has every node resolved but the
  problem unsolved); once told, it asks for the final answer. Its guard only reports.
- `null`: a content-free baseline ("Can you check your work?"): no node, no value, no diagnosis. An evaluation that
  cannot tell `tree` from `null` cannot tell good tutoring from bad (the validity panel of evals.report).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from errors import ConfigError
from knowledge.types import DEPTHS, Depth, Diagnosis, Node, Problem, QuestionTree
from tutor.numbers import Number
from tutor.probes import choose_probe
from tutor.sandbox import TestRun
from tutor.state import KnowledgeState, NodeResolved
from tutor.understand import Understanding
from tutor.verify import node_value
from vocabulary import Judgement, Move, PolicyName

TurnOutcome = Literal["right", "partly", "wrong", "stuck", "none", "solved"]
PlanKind = Literal["question", "bottom_out", "redirect", "success", "out_of_turns", "tell", "llm", "check"]


class Evidence(BaseModel):
    """What the update step concluded from this message (inputs to the planner)."""

    outcome: TurnOutcome = "none"
    judgement: Judgement = "none"  # how the message was judged (TurnTrace.judgement)
    node_id: str | None = None  # the node that was current when the message arrived
    resolved: list[str] = Field(default_factory=list)
    diagnosis: list[Diagnosis] = Field(default_factory=list)
    detail: str = ""
    wrong_numbers: list[Number] = Field(default_factory=list)  # stated numbers that match no step (math)
    restated: bool = False  # the message restates a given fact of the problem (acknowledged, no attempt)
    note: str = ""  # what the reply must say about the attempt (partly: what is right and what is still wrong)


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: PlanKind
    node_id: str | None
    move: Move
    depth: Depth | None = None
    reason: str
    feedback: Literal[
        "right", "partly", "wrong", "stuck", "question", "redirect", "off_topic", "greeting", "given", "unsure", "none"
    ] = "none"
    probe: str | None = None  # the probing question chosen for a diagnosed malgorithm
    next_node_id: str | None = None  # after a bottom-out: the node asked next
    told: list[str] = Field(default_factory=list)  # a tell: the nodes it discloses, in tree order (node_id first)
    done: bool = False
    solved: bool = False
    guard_mode: Literal["enforce", "report"] = "enforce"


class PlanContext(BaseModel):
    model_config = ConfigDict(arbitrary_types_allowed=True)
    problem: Problem
    tree: QuestionTree
    state: KnowledgeState
    understanding: Understanding
    evidence: Evidence
    tests: TestRun | None = None
    turn: int
    max_turns: int
    fails_before_bottom_out: int = 2
    allow_final_bottom_out: bool = False
    llm_available: bool = False


def is_final_node(node: Node, problem: Problem, tree: QuestionTree) -> bool:
    """Bottoming out this node would give away the final answer or the fix."""
    if problem.domain == "code":
        return node.kind == "fix" or node.check.kind == "tests"
    if node.kind == "conceptual":
        return False  # the operation to use, not the value: its bottom-out is guarded like any message
    value = node_value(node, problem)
    if value is not None and problem.answer is not None and abs(value - problem.answer) <= 1e-9 * max(1, abs(value)):
        return True
    return node.step is not None and node.step == len(problem.steps) - 1


def _next_depth(depth: Depth | None) -> Depth:
    if depth is None:
        return "probing"
    return DEPTHS[min(DEPTHS.index(depth) + 1, 2)]  # never beyond hint: bottom-out is decided by failures


class Policy(ABC):
    name: str = "base"
    guard_mode: Literal["enforce", "report"] = "enforce"

    @abstractmethod
    def plan(self, ctx: PlanContext) -> Plan: ...

    def _terminal(self, ctx: PlanContext) -> Plan | None:
        cur = ctx.state.current_node()
        if ctx.state.solved:
            return Plan(
                kind="success",
                node_id=None,
                move="generic",
                reason=f"solved: {ctx.evidence.detail}".strip(),
                feedback="right",
                done=True,
                solved=True,
                guard_mode=self.guard_mode,
            )
        if ctx.turn >= ctx.max_turns:
            return Plan(
                kind="out_of_turns",
                node_id=cur,
                move="generic",
                reason=f"max turns ({ctx.max_turns}) reached",
                done=True,
                guard_mode=self.guard_mode,
            )
        return None


class TreePolicy(Policy):
    name = "tree"

    def plan(self, ctx: PlanContext) -> Plan:
        if (end := self._terminal(ctx)) is not None:
            return end
        state, understanding, evidence = ctx.state, ctx.understanding, ctx.evidence
        cur = state.current_node()
        if cur is None:  # every node resolved but no success yet: ask to put it together
            last = ctx.tree.nodes[-1].id
            feedback = {"right": "right", "partly": "partly", "wrong": "wrong", "unsure": "unsure"}.get(
                evidence.judgement, "given" if evidence.restated else "none"
            )
            return Plan(
                kind="question",
                node_id=last,
                move="focus",
                depth="hint",
                feedback=feedback,  # type: ignore[arg-type]
                reason=f"all nodes resolved ({evidence.judgement}); asking for the final answer / a passing program",
            )
        node = ctx.tree.node(cur)
        last_depth = state.last_depth(cur)
        if understanding.intent in ("extraction", "override"):
            return Plan(
                kind="redirect",
                node_id=cur,
                move="generic",
                depth=last_depth or "focus",
                reason=f"{understanding.intent} attempt ({understanding.rule[:60]}): not complying; back to node {cur}",
                feedback="redirect",
            )
        if understanding.intent == "off_topic" and evidence.outcome == "none":
            return Plan(
                kind="redirect",
                node_id=cur,
                move="generic",
                depth=last_depth or "focus",
                reason=f"off-topic message; redirect to node {cur}",
                feedback="off_topic",
            )
        if understanding.intent == "greeting" and evidence.outcome == "none":
            return Plan(
                kind="question",
                node_id=cur,
                move="focus",
                depth=last_depth or "focus",
                reason=f"greeting; ask node {cur}",
                feedback="greeting",
            )
        if evidence.outcome == "right":
            return Plan(
                kind="question",
                node_id=cur,
                move="focus",
                depth="focus",
                reason=f"right: resolved {', '.join(evidence.resolved)}; next node {cur} ({node.concept[:60]})",
                feedback="right",
            )
        if evidence.outcome in ("wrong", "partly", "stuck"):
            failed = state.failed_count(cur)
            if failed >= ctx.fails_before_bottom_out:
                if ctx.allow_final_bottom_out or not is_final_node(node, ctx.problem, ctx.tree):
                    next_node = next((n for n in state.node_ids if n != cur and not state.is_resolved(n)), None)
                    return Plan(
                        kind="bottom_out",
                        node_id=cur,
                        move="telling",
                        depth="bottom_out",
                        next_node_id=next_node,
                        reason=f"{evidence.outcome}: {failed} failed questions on {cur} (limit "
                        f"{ctx.fails_before_bottom_out}); bottom-out of this node only",
                        feedback=evidence.outcome,
                    )
                return Plan(
                    kind="question",
                    node_id=cur,
                    move="probing",
                    depth="hint",
                    feedback=evidence.outcome,
                    reason=f"{evidence.outcome}: {failed} failed on {cur}, but bottom-out withheld (it would "
                    "give the final answer/fix); hint instead",
                )
            depth = _next_depth(last_depth)
            diagnosis = next((d for d in evidence.diagnosis if d.malgorithm_id in node.probes), None)
            seen = ""
            if evidence.outcome in ("wrong", "partly") and diagnosis is not None:
                # the label goes to the trace (teachers read it), never to the student: naming it would be telling
                seen = (
                    f"; diagnosed {diagnosis.malgorithm_id} by {diagnosis.reason} (misconception to check: "
                    f"{diagnosis.label})"
                )
                probe, note = choose_probe(
                    node, diagnosis, ctx.problem, understanding.value_readings(), evidence.wrong_numbers
                )
                if probe is not None:
                    return Plan(
                        kind="question",
                        node_id=cur,
                        move="probing",
                        depth="probing",
                        probe=probe,
                        reason=f"{evidence.outcome}{seen}; its probe on {cur}: {note}",
                        feedback=evidence.outcome,
                    )
                seen += f"; {note}"
            why = f"{evidence.outcome} ({evidence.detail})" if evidence.outcome != "stuck" else "stuck"
            return Plan(
                kind="question",
                node_id=cur,
                move="focus" if depth == "focus" else "probing",
                depth=depth,
                reason=f"{why}{seen}: easier question on {cur} ({last_depth or 'none'} -> {depth})",
                feedback=evidence.outcome,
            )
        if evidence.restated or evidence.judgement in ("unsure", "right"):
            depth = last_depth or "focus"
            feedback = "given" if evidence.restated else evidence.judgement
            return Plan(
                kind="question",
                node_id=cur,
                move="focus" if depth == "focus" else "probing",
                depth=depth,
                reason=f"{evidence.detail or evidence.judgement}; ask {cur} again ({depth})",
                feedback=feedback,
            )
        if understanding.intent == "question":
            depth = _next_depth(last_depth) if last_depth else "focus"
            return Plan(
                kind="question",
                node_id=cur,
                move="probing" if depth != "focus" else "focus",
                depth=depth,
                reason=f"student asked a question; guide with a {depth} question on {cur}",
                feedback="question",
            )
        depth = last_depth or "focus"
        return Plan(
            kind="question",
            node_id=cur,
            move="focus" if depth == "focus" else "probing",
            depth=depth,
            reason=f"no evidence on {cur} ({understanding.intent}); ask again in other words",
            feedback="none",
        )


class VanillaPolicy(Policy):
    """One Socratic prompt over the dialogue; the LLM writes the reply. Without a model: the tree's question."""

    name = "vanilla"

    def plan(self, ctx: PlanContext) -> Plan:
        if (end := self._terminal(ctx)) is not None:
            return end
        cur = ctx.state.current_node() or ctx.tree.nodes[-1].id
        if ctx.llm_available:
            return Plan(
                kind="llm",
                node_id=cur,
                move="generic",
                reason="vanilla: single Socratic LLM prompt over the dialogue (move not decided by a planner)",
            )
        depth = ctx.state.last_depth(cur) or "focus"
        return Plan(
            kind="question",
            node_id=cur,
            move="focus",
            depth=depth,
            reason="vanilla: no model available (backend none); fell back to the tree's current question",
            feedback=ctx.evidence.outcome if ctx.evidence.outcome in ("right", "wrong", "stuck") else "none",
        )


class TellingPolicy(Policy):
    """Tells the answer: the worked solution of every unresolved node, through the final answer or the fix, in one
    reply (the reference baseline that finishes the problem by telling). Guard in report-only mode."""

    name = "telling"
    guard_mode = "report"

    def plan(self, ctx: PlanContext) -> Plan:
        if (end := self._terminal(ctx)) is not None:
            return end.model_copy(update={"guard_mode": "report"})
        told_before = any(isinstance(step, NodeResolved) and step.by == "told" for step in ctx.state.log)
        if ctx.state.current_node() is None and told_before:
            return Plan(
                kind="question",
                node_id=ctx.tree.nodes[-1].id,
                move="generic",
                depth="hint",
                reason="telling: the solution was told; asking for the final answer",
                guard_mode="report",
            )
        # every unresolved node; when the tutor's state has them all resolved (read off the student's numbers) but
        # the problem is not solved, the final node: the answer is told either way
        told = [n.id for n in ctx.tree.nodes if not ctx.state.is_resolved(n.id)] or [ctx.tree.nodes[-1].id]
        return Plan(
            kind="tell",
            node_id=told[0],
            move="telling",
            depth="bottom_out",
            guard_mode="report",
            told=told,
            reason=f"telling: the worked solution from node {told[0]} through the final answer ({len(told)} nodes)",
            feedback=ctx.evidence.outcome if ctx.evidence.outcome in ("right", "wrong", "stuck") else "none",
        )


class NullPolicy(Policy):
    """Asks the student to check their own work, whatever they said: the baseline with no tutoring content."""

    name = "null"

    def plan(self, ctx: PlanContext) -> Plan:
        if (end := self._terminal(ctx)) is not None:
            return end
        return Plan(
            kind="check",
            node_id=None,
            move="generic",
            reason="null: a content-free prompt (baseline; no node, value or diagnosis used)",
        )


# by each policy's own name; tests/test_vocabulary.py checks that these are exactly vocabulary.POLICY_NAMES, in order
POLICIES: dict[PolicyName, type[Policy]] = {
    policy.name: policy  # type: ignore[misc]
    for policy in (TreePolicy, VanillaPolicy, TellingPolicy, NullPolicy)
}


def get_policy(name: str) -> Policy:
    try:
        return POLICIES[name]()
    except KeyError:
        raise ConfigError(f"Unknown tutor policy {name!r}. Valid: {', '.join(POLICIES)}.") from None
