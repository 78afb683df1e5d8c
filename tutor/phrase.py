"""Step 4 of a turn: template words for the decided plan (no model).

Templates come from the tree's questions for node + depth; the choice rotates deterministically with the number of
questions already asked there, so a repeated question is worded differently. What a language model may do with
them (prompts, generation, the quality gate) lives in `tutor.voice`.
"""

from __future__ import annotations

from knowledge.types import Node, Problem, QuestionTree
from tutor.planner import Plan
from tutor.probes import strip_label_notes
from tutor.state import KnowledgeState
from tutor.verify import node_value

FEEDBACK = {
    "right": ("Yes, that's right.", "Exactly, well done.", "Good, that's correct."),
    "wrong": ("Not quite.", "Hmm, let's check that.", "Let's look at that again."),
    "stuck": ("That's okay, let's take a smaller step.", "No problem, let's break it down.",
              "That's fine, we'll work it out together."),
    "question": ("Good question.", "Let's think about that together."),
    "redirect": ("I can't just give you the answer, but I can help you find it yourself.",
                 "I'll stick to helping you work it out, step by step."),
    "off_topic": ("Let's get back to the problem.", "Let's keep our focus on the problem for now."),
    "greeting": ("Hi! Let's work on this together.", "Hello! Let's get started."),
    "none": ("", "Let me ask it another way."),
    "partly": ("Part of that is right.", "Some of that is right."),  # the evidence's note says what is not
    "given": ("Yes, that's what the problem tells us.", "Right, the problem says so."),
    "unsure": ("I can't check that yet, so let's pin it down with a number.",
               "Let's make that concrete with a number we can check."),
}
GENERIC = "Let's take it one step at a time. What do you think the next step is?"

_FALLBACK_Q = {
    "focus": "Let's think about {concept}. What do you get?",
    "probing": "What do you already know that could help with {concept}?",
    "hint": "Here is a hint: focus on {concept}. What is your next step?",
    "bottom_out": "Here is how this part works: {concept}.",
}


def pick(options: list[str] | tuple[str, ...], index: int) -> str:
    return options[index % len(options)] if options else ""


def question(node: Node, depth: str, state: KnowledgeState) -> str:
    options = node.questions.at(depth)  # type: ignore[arg-type]
    if options:
        return strip_label_notes(pick(options, state.questions_at(node.id, depth)))  # type: ignore[arg-type]
    return _FALLBACK_Q.get(depth, _FALLBACK_Q["focus"]).format(concept=node.concept)


def template(plan: Plan, problem: Problem, tree: QuestionTree, state: KnowledgeState, turn: int,
             test_note: str = "") -> str:
    """The template text for a plan (the LLM may rewrite it; the guard checks both)."""
    fb = pick(FEEDBACK.get(plan.feedback, ("",)), turn)
    if plan.kind == "success":
        if problem.domain == "code":
            return "All the tests pass. Well done: you found and fixed the bug yourself!"
        return "Yes, that's the right answer. Well done: you solved it yourself!"
    if plan.kind == "out_of_turns":
        concept = tree.node(plan.node_id).concept if plan.node_id else "the last step"
        return (f"We've reached the end of this session. Good effort! Next time, start again from {concept}; "
                "you're closer than you think.")
    if plan.kind == "tell":
        return _tell(tree.node(plan.node_id), problem)  # type: ignore[arg-type]
    node = tree.node(plan.node_id) if plan.node_id else tree.nodes[-1]
    if plan.kind == "bottom_out":
        body = question(node, "bottom_out", state)
        if plan.next_node_id:
            nxt = tree.node(plan.next_node_id)
            body = f"{body} {question(nxt, 'focus', state)}"
        else:
            body = f"{body} {'What do you get for the final answer?' if problem.domain == 'math' else 'Can you fix the code now?'}"
        return _join(fb if plan.feedback == "stuck" else "", body)
    if plan.probe:
        return _join(fb, test_note, strip_label_notes(plan.probe))
    depth = plan.depth or "focus"
    if plan.kind == "question" and plan.node_id == tree.nodes[-1].id and state.current_node() is None:
        ask = "Put it all together: what is your final answer?" if problem.domain == "math" else \
            "Put it all together: can you send the whole corrected function?"
        return _join(fb, ask)
    return _join(fb, test_note if plan.feedback in ("wrong", "partly") else "", question(node, depth, state))


def alternatives(plan: Plan, tree: QuestionTree) -> list[str]:
    """Other questions on the plan's node (same depth first, then easier-to-harder), for when a template leaks."""
    if not plan.node_id or plan.kind in ("success", "out_of_turns", "tell"):
        return []
    node = tree.node(plan.next_node_id or plan.node_id)
    order = [plan.depth or "focus", "focus", "probing", "hint"]
    out: list[str] = []
    for depth in dict.fromkeys(d for d in order if d != "bottom_out"):
        out += node.questions.at(depth)  # type: ignore[arg-type]
    return [q for q in dict.fromkeys(out) if q]


def _tell(node: Node, problem: Problem) -> str:
    if problem.domain == "math" and node.step is not None:
        step = problem.steps[node.step]
        value = node_value(node, problem)
        v = f"{value:g}" if value is not None else ""
        unit = f" {step.unit}" if step.unit else ""
        expr = f"{step.expression} = {v}{unit}" if step.expression else f"{v}{unit}"
        return f"Next, {step.description[0].lower() + step.description[1:]}: {expr}."
    if node.bug is not None and node.bug < len(problem.bugs):
        bug = problem.bugs[node.bug]
        fix = bug.fixes[0]
        line = f" Change line {bug.lines[0]} to `{fix.lines[0].strip()}`." if fix.lines else f" {fix.description}"
        return f"The bug: {bug.description.strip()}{line}"
    return node.questions.bottom_out[0] if node.questions.bottom_out else f"Here is the idea: {node.concept}."


def _join(*parts: str) -> str:
    return " ".join(p.strip() for p in parts if p and p.strip())
