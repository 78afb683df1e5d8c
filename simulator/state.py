"""The hidden knowledge state: how it is seeded from a malgorithm, and how tutor moves change it.

Units: a math step (all tree nodes with that `step`) or a code bug (all nodes with that `bug`).

Seeding (math, malgorithm m with first corrupted step r = m.step):
- nodes of steps before r: `knows`; nodes of step r: `misconceived` (the root of the misconception);
- nodes of later steps: `misconceived` and `derived` when the wrong path gives them a wrong value (m.step_values, or
  the wrong final answer for the last step); `knows` when the student's wrong solution still contains the step's
  correct value; otherwise `unknown` and `derived` (the wrong path skipped that step).
Seeding (code, malgorithm m on bug b): the failing behaviour is `knows` (the student sees the failing test);
locating is `knows` when the wrong fix edits a bug line, else `misconceived`; the fix node is `misconceived`. Nodes of
other bugs are `unknown`. Without a malgorithm every node the student must find is `unknown`.
Confused students additionally start `unknown` on some units they would otherwise know (seeded).

Transitions (`apply`), math with the fitted file (`simulator.transitions`, MathDial fit half): one hazard draw per
tutor message over its cue (`simulator.cues.cue_of`: what it states, what it is about, how far into the dialogue,
the student's starting point), odds scaled by the persona's resistance; zero until a message has named something of
the problem
(no self-correction without teaching). A hit resolves every pending node, root first (the student redoes the
problem), recorded as told when the message stated the answer or a step value, or was a telling.
Transitions otherwise (code, or no fitted file): hand-set rules:
- focus/probing on a `misconceived` node resolves it with probability 1 - resistance; on an `unknown` node with
  probability 1 - resistance / 2 (an unknown step needs a question, not a change of mind);
- telling on a node resolves it, recorded as told; a tutor message that states the final answer, a step value the
  student has not produced, or an accepted fix line counts as telling for what it reveals, whatever its move;
- generic: nothing changes.
Resolving a node also resolves the earlier nodes of its unit (math: both nodes of a step); resolving the root unit
resolves the derived nodes (their wrong values only followed from the root). A successful question on a derived
misconceived node resolves the root (the student goes back to where the number came from).
"""

from __future__ import annotations

import difflib
import random
import re

from knowledge.numbers import READ_BACK_TOL, close, contains, parse_numbers
from knowledge.types import Malgorithm, Node, Problem, QuestionTree
from simulator.transitions import Cue, Transitions
from simulator.types import Event, HiddenState, NodeState, Persona
from vocabulary import Move


def unit_of(node: Node) -> tuple[str, int] | None:
    if node.step is not None:
        return ("step", node.step)
    if node.bug is not None:
        return ("bug", node.bug)
    return None


def changed_lines(before: str, after: str) -> list[int]:
    """1-based line numbers of `before` that `after` changes (a simple aligned diff)."""
    a, b = before.splitlines(), after.splitlines()
    out: list[int] = []
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            continue
        out.extend(range(i1 + 1, max(i2, i1 + 1) + 1))
    return sorted({n for n in out if 1 <= n <= max(len(a), 1)})


def wrong_solution_results(text: str) -> list[float]:
    """The results of the `... = c` equations in a wrong solution, in order."""
    out: list[float] = []
    for line in text.splitlines():
        for match in re.finditer(r"=\s*(-?\$?\d[\d,]*(?:\.\d+)?|-?\.\d+)", line):
            nums = parse_numbers(match.group(1))
            if nums:
                out.append(nums[0])
    return out


def wrong_step_value(problem: Problem, m: Malgorithm | None, step: int) -> float | None:
    """The value the malgorithm's student believes for a step, when it differs from the right one."""
    if m is None or not problem.steps:
        return None
    correct = problem.steps[step].value
    value = m.step_values.get(step)
    if value is None and step == len(problem.steps) - 1 and m.wrong_answer is not None:
        value = m.wrong_answer
    if value is None and step == m.step and m.wrong_solution:
        results = wrong_solution_results(m.wrong_solution)
        candidates = [r for r in results if not close(r, correct, READ_BACK_TOL)]
        if step < len(results) and not close(results[step], correct, READ_BACK_TOL):
            value = results[step]
        elif candidates:
            value = candidates[0]
    if value is not None and close(value, correct, READ_BACK_TOL):
        return None
    return value


def initial_state(
    problem: Problem, tree: QuestionTree, m: Malgorithm | None, persona: Persona, rng: random.Random
) -> HiddenState:
    nodes = [NodeState(node_id=n.id, status="unknown", step=n.step, bug=n.bug) for n in tree.nodes]
    state = HiddenState(problem_id=problem.id, malgorithm_id=m.id if m else None, nodes=nodes)
    if problem.domain == "math":
        _seed_math(problem, state, m)
    else:
        _seed_code(problem, state, tree, m)
    if persona.mode == "confused":
        units = sorted({(n.step, n.bug) for n in state.nodes if n.status == "knows"}, key=str)
        for unit in units:
            if rng.random() < 0.35:
                for n in state.nodes:
                    if (n.step, n.bug) == unit and n.status == "knows":
                        n.status = "unknown"
                        n.derived = False
    return state


def _seed_math(problem: Problem, state: HiddenState, m: Malgorithm | None) -> None:
    if m is None:
        return
    root = m.step if m.step is not None else (min(m.step_values) if m.step_values else len(problem.steps) - 1)
    wrong_numbers = parse_numbers(m.wrong_solution)
    for n in state.nodes:
        if n.step is None or n.step < root:
            n.status = "knows"
        elif n.step == root:
            n.status, n.malgorithm_id = "misconceived", m.id
        elif wrong_step_value(problem, m, n.step) is not None:
            n.status, n.malgorithm_id, n.derived = "misconceived", m.id, True
        elif wrong_numbers and contains(wrong_numbers, problem.steps[n.step].value, READ_BACK_TOL):
            n.status = "knows"
        else:
            n.status, n.derived = "unknown", True


def _seed_code(problem: Problem, state: HiddenState, tree: QuestionTree, m: Malgorithm | None) -> None:
    bug = (m.bug if m.bug is not None else 0) if m else None
    edited = changed_lines(problem.buggy_code, m.wrong_code) if m and m.wrong_code else []
    for n in state.nodes:
        kind = tree.node(n.node_id).kind
        if n.bug is None or kind == "behaviour":
            n.status = "knows"
        elif bug is None or n.bug != bug:
            n.status = "unknown"
        elif kind == "locate":
            bug_lines = set(problem.bugs[bug].lines)
            if edited and set(edited) & bug_lines:
                n.status = "knows"
            else:
                n.status, n.malgorithm_id = "misconceived", m.id if m else None
        else:
            n.status, n.malgorithm_id = "misconceived", m.id if m else None


def _unit_nodes(state: HiddenState, node: NodeState) -> list[NodeState]:
    if node.step is not None:
        return [n for n in state.nodes if n.step == node.step]
    if node.bug is not None:
        return [n for n in state.nodes if n.bug == node.bug]
    return [node]


def resolve(state: HiddenState, node_id: str, how: str, turn: int, move: Move | None, *, math: bool) -> list[Event]:
    """Mark a node `knows` and cascade (see the module docstring). Returns the `resolved` events."""
    events: list[Event] = []
    target = state.node(node_id)
    unit = _unit_nodes(state, target)
    order = [n.node_id for n in state.nodes]
    cascade: list[NodeState] = []
    for n in unit:
        # math: a step's nodes resolve together; code: resolving a node implies the earlier nodes of its bug
        if math or order.index(n.node_id) <= order.index(node_id):
            cascade.append(n)
    was_root = any(n.status == "misconceived" and not n.derived for n in cascade)
    for n in cascade:
        if n.status != "knows":
            n.status, n.malgorithm_id = "knows", None
            n.resolved_by = "told" if how == "told" else ("question" if n.node_id == node_id else "follows")
            detail = how if n.node_id == node_id else f"follows:{node_id}"
            events.append(Event(turn=turn, kind="resolved", node=n.node_id, move=move, detail=detail))
    if was_root and not any(n.status == "misconceived" and not n.derived for n in state.nodes):
        for n in state.nodes:
            if n.derived and n.status != "knows":
                n.status, n.malgorithm_id, n.resolved_by = "knows", None, "follows"
                events.append(Event(turn=turn, kind="resolved", node=n.node_id, move=move, detail=f"follows:{node_id}"))
    return events


def apply(
    state: HiddenState,
    node_id: str | None,
    move: Move,
    persona: Persona,
    rng: random.Random,
    turn: int,
    *,
    math: bool,
    revealed: list[str] | None = None,
    answer_told: bool = False,
    transitions: Transitions | None = None,
    cue: Cue | None = None,
) -> list[Event]:
    """Apply one tutor move to the state; `revealed` lists node ids whose content the message gave away
    (`answer_told`: the message stated the final answer). Math with fitted `transitions` uses them and the
    message's `cue` (`simulator.cues.cue_of`)."""
    if math and transitions is not None and transitions.fitted:
        if cue is None:
            raise ValueError("fitted transitions need the message's cue (simulator.cues.cue_of)")
        hazard = transitions.hazard(cue, mode=persona.mode, resistance=persona.resistance)
        return _apply_fitted(
            state, node_id, move, turn, cue, hazard, rng, revealed=bool(revealed), answer_told=answer_told
        )
    events: list[Event] = []
    for rid in revealed or []:
        if state.node(rid).status != "knows":
            events.append(Event(turn=turn, kind="told", node=rid, move=move, detail="revealed"))
            events += resolve(state, rid, "told", turn, move, math=math)
    if move == "generic" or node_id is None:
        if move == "generic":
            events.append(Event(turn=turn, kind="generic", node=node_id, move=move))
        return events
    node = state.node(node_id)
    if move == "telling":
        events.append(Event(turn=turn, kind="told", node=node_id, move=move))
        if node.status != "knows":
            events += resolve(state, node_id, "told", turn, move, math=math)
        return events
    events.append(Event(turn=turn, kind="asked", node=node_id, move=move))
    if node.status == "knows":
        return events
    node.questions += 1
    events.append(Event(turn=turn, kind="taught", node=node_id, move=move, detail=node.status))
    resistance = persona.effective_resistance
    p_resolve = 1.0 - resistance if node.status == "misconceived" else 1.0 - resistance / 2
    target = node_id
    if node.status == "misconceived" and node.derived:
        # A wrong value that only follows from an earlier misconception: questioning it sends the student back to
        # the source, so a success resolves the root (and, through it, this node).
        roots = [n.node_id for n in state.nodes if n.status == "misconceived" and not n.derived]
        target = roots[0] if roots else node_id
    if rng.random() < p_resolve:
        events += resolve(state, target, "question", turn, move, math=math)
    else:
        events.append(Event(turn=turn, kind="resisted", node=node_id, move=move, detail=node.status))
    return events


def _root(state: HiddenState) -> str | None:
    roots = [n.node_id for n in state.nodes if n.status == "misconceived" and not n.derived]
    rest = [n.node_id for n in state.nodes if n.status != "knows"]
    return (roots or rest or [None])[0]


def _apply_fitted(
    state: HiddenState,
    node_id: str | None,
    move: Move,
    turn: int,
    cue: Cue,
    hazard: float,
    rng: random.Random,
    *,
    revealed: bool,
    answer_told: bool,
) -> list[Event]:
    """One draw of the message's `hazard` (`Transitions.hazard`, see `simulator.transitions`): a hit resolves every
    pending node (the student redoes the problem from the root); recorded as told when the message stated the answer
    or a value (`answer_told`, `revealed`), or was a telling."""
    events: list[Event] = []
    target = cue.target
    if answer_told or revealed:
        events.append(Event(turn=turn, kind="told", node=node_id, move=move, detail="revealed"))
    elif move == "generic":
        events.append(Event(turn=turn, kind="generic", node=node_id, move=move))
    elif move == "telling":
        events.append(Event(turn=turn, kind="told", node=node_id, move=move))
    elif node_id is not None:
        events.append(Event(turn=turn, kind="asked", node=node_id, move=move))
    if cue.content:
        state.taught += 1
    if state.all_known:
        return events
    if target != "none":
        state.node(node_id).questions += 1  # type: ignore[arg-type]
        if move in ("focus", "probing"):
            events.append(Event(turn=turn, kind="taught", node=node_id, move=move, detail=target))
    if hazard <= 0.0 or rng.random() >= hazard:
        if target != "none" or answer_told:
            events.append(Event(turn=turn, kind="resisted", node=node_id, move=move, detail=target))
        return events
    how = "told" if answer_told or revealed or move == "telling" else "question"
    first = _root(state)
    while first is not None:
        events += resolve(state, first, how, turn, move, math=True)
        first = _root(state)
    return events
