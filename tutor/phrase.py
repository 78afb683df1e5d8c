"""Step 4 of a turn: template words for the decided plan (no model).

Templates come from the tree's questions for node + depth. The choice rotates deterministically with the number of
questions already asked there, and skips any wording whose sentences the tutor has already said in this dialogue
(`said`): same depth first, then the neighbouring depths, so no sentence repeats while the node has an unused
variant. The reply quotes the student's own numbers back (`Heard`: the values judged right with what they are,
the wrong ones, the givens restated; sorted in `tutor.quoting`), never a number they did not say. The fixed
sentences themselves are the tables of `tutor.phrasebook`. What a language model may do with the template (prompts,
generation, the quality gate) lives in `tutor.voice`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from knowledge.numbers import fmt
from knowledge.types import Node, Problem, QuestionTree
from tutor.phrasebook import (
    AFTER_BOTTOM_OUT,
    CHECK_PROMPTS,
    FALLBACK_Q,
    FEEDBACK,
    FINAL_ASK,
    GENERICS,
    PROBE_ASK,
    SUCCESS,
    UNSURE,
    VOICE,
)
from tutor.planner import Plan
from tutor.probes import strip_label_notes
from tutor.quoting import Heard
from tutor.state import KnowledgeState
from tutor.verify import node_value

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_NEAR = {"focus": ("probing", "hint"), "probing": ("focus", "hint"), "hint": ("probing", "focus"), "bottom_out": ()}


def generic(said: set[str] | None = None) -> str:
    """The last-resort question (no node content), one not said before when possible."""
    return _fresh(GENERICS, 0, said)


def sentences(text: str) -> list[str]:
    return [x.strip() for x in _SENTENCE.split(text.strip()) if x.strip()]


def norm(sentence: str) -> str:
    return re.sub(r"\s+", " ", sentence.strip().lower())


def said_sentences(messages: Iterable[str]) -> set[str]:
    """The normalized sentences of earlier tutor messages."""
    return {norm(x) for m in messages for x in sentences(m)}


def _fresh(options: Sequence[str], start: int, said: set[str] | None) -> str:
    """The option at `start` (rotating), or the next one none of whose sentences was said before."""
    if not options:
        return ""
    n = len(options)
    if said:
        for k in range(n):
            text = options[(start + k) % n]
            if not any(norm(x) in said for x in sentences(text)):
                return text
    return options[start % n]


def _values(texts: Iterable[str]) -> str:
    out = list(dict.fromkeys(t.strip() for t in texts if t.strip()))[:2]
    return " and ".join(out)


def revoice(plan: Plan, h: Heard | None, turn: int, said: set[str] | None = None) -> str:
    """One sentence with the student's own numbers, for the decided feedback ('' when there is nothing to quote,
    or when every wording of it was said before)."""
    if h is None:
        return ""
    fb = plan.feedback
    options: list[str] = []
    if fb in ("right", "none", "question") and h.right:  # a value said again is still true, and the student's own
        options = (
            [t.format(v=h.topic_value, topic=h.topic) for t in VOICE["right"]]
            if h.topic
            else [t.format(v=_values(h.right)) for t in VOICE["right_bare"]]
        )
    elif fb == "partly" and h.right and h.wrong:
        options = [t.format(r=h.right[-1], w=h.wrong[-1]) for t in VOICE["partly"]]
    elif fb in ("wrong", "partly") and h.wrong and h.how:
        options = [t.format(v=h.wrong[-1], how=h.how) for t in VOICE["wrong_how"]]
    elif fb in ("wrong", "partly") and h.wrong:  # the last wrong number: usually the answer the attempt reached
        options = [t.format(v=h.wrong[-1]) for t in VOICE["wrong"]]
    elif fb == "unsure" and len(h.other + h.rest) >= 2:
        options = [t.format(v=_values(h.other + h.rest)) for t in VOICE["unsure"]]
    elif fb in ("given", "none", "right", "question") and h.other:
        options = [t.format(v=_values(h.other)) for t in VOICE["given"]]
    elif fb not in ("redirect", "off_topic") and (h.rest or h.other or h.quoted):  # quoted, not judged
        options = [t.format(v=_values(h.rest or h.other or h.quoted)) for t in VOICE["heard"]]
    text = _fresh(options, turn, said)
    return "" if said and norm(text) in said else text


def _mentions(text: str, values: Iterable[str]) -> bool:
    return any(re.search(rf"(?<![\w.]){re.escape(v)}(?![\w]|\.\d)", text) for v in values if v)


def question(node: Node, depth: str, state: KnowledgeState, said: set[str] | None = None) -> str:
    """The node's question at this depth; one not said before in the dialogue when the node has one (same depth
    first, then the neighbouring depths)."""
    options = node.questions.at(depth)  # type: ignore[arg-type]
    if options:
        first = _fresh(options, state.questions_at(node.id, depth), said)  # type: ignore[arg-type]
        if said and any(norm(x) in said for x in sentences(first)):
            for other in _NEAR.get(depth, ()):
                alt = _fresh(
                    node.questions.at(other),  # type: ignore[arg-type]
                    state.questions_at(node.id, other),
                    said,
                )  # type: ignore[arg-type]
                if alt and not any(norm(x) in said for x in sentences(alt)):
                    return strip_label_notes(alt)
        return strip_label_notes(first)
    return FALLBACK_Q.get(depth, FALLBACK_Q["focus"]).format(concept=node.concept)


def template(
    plan: Plan,
    problem: Problem,
    tree: QuestionTree,
    state: KnowledgeState,
    turn: int,
    test_note: str = "",
    *,
    heard: Heard | None = None,
    said: set[str] | None = None,
) -> str:
    """The template text for a plan (the LLM may rewrite it; the guard checks both). `heard`: the student's own
    numbers to quote; `said`: earlier tutor sentences (normalized) that the wording avoids repeating."""
    domain = "code" if problem.domain == "code" else "math"
    fb = _fresh(UNSURE[domain] if plan.feedback == "unsure" else FEEDBACK.get(plan.feedback, ("",)), turn, said)
    voiced = revoice(plan, heard, turn, said)
    if voiced and plan.feedback == "given":
        fb = ""  # "The problem does say 3." is the acknowledgement
    if said and norm(test_note) in said:
        test_note = ""  # the same note (same numbers) was said before
    if said and norm(fb) in said and (voiced or test_note or plan.feedback not in ("right", "wrong", "partly")):
        fb = ""  # every wording was said before: the student's own numbers carry the verdict, or none is needed
    if plan.kind == "success":
        return _fresh(SUCCESS[domain], turn, said)
    if plan.kind == "out_of_turns":
        concept = tree.node(plan.node_id).concept if plan.node_id else "the last step"
        return (
            f"We've reached the end of this session. Good effort! Next time, start again from {concept}; "
            "you're closer than you think."
        )
    if plan.kind == "check":
        return _fresh(CHECK_PROMPTS, turn, said)
    if plan.kind == "tell":
        return _tell([tree.node(n) for n in plan.told or [plan.node_id]], problem)  # type: ignore[list-item]
    node = tree.node(plan.node_id) if plan.node_id else tree.nodes[-1]
    if plan.kind == "bottom_out":
        body = _join(voiced, question(node, "bottom_out", state, said))
        if plan.next_node_id:
            nxt = tree.node(plan.next_node_id)
            body = f"{body} {question(nxt, 'focus', state, said)}"
        else:
            body = f"{body} {_fresh(AFTER_BOTTOM_OUT[domain], turn, said)}"
        return _join(fb if plan.feedback == "stuck" else "", body)
    # partly: the verdict's note says what is right and what is wrong in the student's numbers; the revoicing
    # sentence replaces it only when it says both too
    note = test_note
    if plan.feedback == "partly" and domain == "math" and voiced and note:
        if heard is not None and heard.right and heard.wrong:
            note = ""
        else:
            voiced = ""
    if plan.feedback == "wrong" and heard is not None and _mentions(note, heard.wrong):
        voiced = ""  # the verdict's note says the student's number back already (a value said for another quantity)
    if plan.probe:
        probe = strip_label_notes(plan.probe)
        if said and all(norm(x) in said for x in sentences(probe)):  # asked before: another probing question
            probe = question(node, "probing", state, said)
        elif said:  # a sentence said before: a statement goes, a question is asked in other words
            parts = [
                x if norm(x) not in said else _fresh(PROBE_ASK, turn, said) if "?" in x else ""
                for x in sentences(probe)
            ]
            probe = _join(*parts)
        if heard is not None and _mentions(probe, heard.wrong + heard.right):
            voiced = ""  # the probe already says the student's number
        return _join(fb, note, voiced, probe)
    depth = plan.depth or "focus"
    note = note if plan.feedback in ("wrong", "partly") else ""
    if plan.kind == "question" and plan.node_id == tree.nodes[-1].id and state.current_node() is None:
        return _join(fb, note, voiced, _fresh(FINAL_ASK[domain], turn, said))
    return _join(fb, note, voiced, question(node, depth, state, said))


def alternatives(plan: Plan, tree: QuestionTree, said: set[str] | None = None) -> list[str]:
    """Other questions on the plan's node (same depth first, then easier-to-harder), for when a template leaks;
    those not said before in the dialogue first."""
    if not plan.node_id or plan.kind in ("success", "out_of_turns", "tell", "check"):
        return []
    node = tree.node(plan.next_node_id or plan.node_id)
    order = [plan.depth or "focus", "focus", "probing", "hint"]
    out: list[str] = []
    for depth in dict.fromkeys(d for d in order if d != "bottom_out"):
        out += node.questions.at(depth)  # type: ignore[arg-type]
    out = [q for q in dict.fromkeys(out) if q]
    return sorted(out, key=lambda q: any(norm(x) in (said or set()) for x in sentences(q)))


def _tell(nodes: Sequence[Node], problem: Problem) -> str:
    """A telling's words: one sentence per step or bug of `nodes` (a unit's nodes share it), then, in math, the final
    answer stated outright: the worked solution of what is left, not one step at a time."""
    parts = list(dict.fromkeys(_tell_one(n, problem) for n in nodes))
    if problem.domain == "math" and problem.answer is not None:
        unit = problem.answer_unit or (problem.steps[-1].unit if problem.steps else "")
        parts.append(f"So the answer is {_number(problem.answer)}{' ' + unit if unit else ''}.")
    return _join(*parts)


def _tell_one(node: Node, problem: Problem) -> str:
    if problem.domain == "math" and node.step is not None:
        step = problem.steps[node.step]
        value = node_value(node, problem)
        v = _number(value) if value is not None else ""
        unit = f" {step.unit}" if step.unit else ""
        expr = f"{step.expression} = {v}{unit}" if step.expression else f"{v}{unit}"
        return f"{step.description[0].upper() + step.description[1:]}: {expr}."
    if node.bug is not None and node.bug < len(problem.bugs):
        bug = problem.bugs[node.bug]
        fix = bug.fixes[0]
        line = f" Change line {bug.lines[0]} to `{fix.lines[0].strip()}`." if fix.lines else f" {fix.description}"
        return f"The bug: {bug.description.strip()}{line}"
    return node.questions.bottom_out[0] if node.questions.bottom_out else f"Here is the idea: {node.concept}."


def _number(value: float) -> str:
    """A value as the tutor writes it: whole numbers in full (1500000, not 1.5e+06), others to 6 digits."""
    return fmt(value) if abs(value - round(value)) < 1e-9 else f"{value:g}"


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())
