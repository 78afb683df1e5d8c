"""Step 4 of a turn: template words for the decided plan (no model).

Templates come from the tree's questions for node + depth. The choice rotates deterministically with the number of
questions already asked there, and skips any wording whose sentences the tutor has already said in this dialogue
(`said`): same depth first, then the neighbouring depths, so no sentence repeats while the node has an unused
variant. The reply quotes the student's own numbers back (`Heard`: the values judged right with what they are,
the wrong ones, the givens restated), never a number they did not say. What a language model may do with the
template (prompts, generation, the quality gate) lives in `tutor.voice`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pydantic import BaseModel, Field

from knowledge.numbers import close
from knowledge.trees import topic_of
from knowledge.types import Node, Problem, QuestionTree
from tutor.numbers import extract
from tutor.planner import Evidence, Plan
from tutor.probes import strip_label_notes
from tutor.state import KnowledgeState
from tutor.understand import Understanding
from tutor.verify import node_value

FEEDBACK = {
    "right": ("Yes, that's right.", "Exactly, well done.", "Good, that's correct.", "Yes, that works.",
              "Nicely done.", "That's correct."),
    "wrong": ("Not quite.", "Hmm, let's check that.", "Let's look at that again.", "That's not it yet.",
              "Close, but not yet.", "Let's rethink that."),
    "stuck": ("That's okay, let's take a smaller step.", "No problem, let's break it down.",
              "That's fine, we'll work it out together.", "It's fine to be stuck; let's go slower.",
              "Being stuck is part of it.", "Okay, one small piece at a time."),
    "question": ("Good question.", "Let's think about that together.", "Let's figure that out.",
                 "Fair question."),
    "redirect": ("I can't just give you the answer, but I can help you find it yourself.",
                 "I'll stick to helping you work it out, step by step.",
                 "I won't hand over the answer, but you can get there yourself.",
                 "Let's keep working it out together instead."),
    "off_topic": ("Let's get back to the problem.", "Let's keep our focus on the problem for now.",
                  "Back to our problem for now.", "Let's return to the problem."),
    "greeting": ("Hi! Let's work on this together.", "Hello! Let's get started.", "Hi there! Let's begin.",
                 "Hello! Glad to work on this with you."),
    "none": ("", "Let me ask it another way.", "Let's try it from another angle.", "Here's another way to see it."),
    "partly": ("Part of that is right.", "Some of that is right.", "You're partly there.", "That's a good start.",
               "Some of your work holds up.", "You're on the way there."),
    "given": ("Yes, that's what the problem tells us.", "Right, the problem says so.", "True, that's given.",
              "Yes, that's a fact from the story."),
}
# unsure: what to check is a number (math) or what a call returns or a line (code); FEEDBACK holds both, so a
# revoiced reply finds its decided sentence whatever the domain
UNSURE = {"math": ("I can't check that yet, so let's pin it down with a number.",
                   "Let's make that concrete with a number we can check.",
                   "I need a number to check that.", "Let's turn that into a number we can test."),
          "code": ("I can't check that yet: let's pin it to one call and what it returns.",
                   "Let's make that concrete: name a line, or the value a call gives back.",
                   "I need something I can run or point to, like a call's result or a line.",
                   "Let's turn that into something we can test: one call and its result.")}
FEEDBACK["unsure"] = UNSURE["math"] + UNSURE["code"]
# The `null` policy's content-free prompts: they name no number, step or line of the problem.
CHECK_PROMPTS = ("Can you check your work?", "Are you sure?", "Can you look over your work once more?",
                 "What do you think? Take another look.")
GENERIC = "Let's take it one step at a time. What do you think the next step is?"
GENERICS = (GENERIC, "Let's slow down. What could we work out next?", "One piece at a time: what would you find first?",
            "Let's look at the story again. What do we know, and what is still missing?",
            "Which part of the problem could we work on now?")


def generic(said: set[str] | None = None) -> str:
    """The last-resort question (no node content), one not said before when possible."""
    return _fresh(GENERICS, 0, said)

# the student's own numbers said back ({v}: their text; {topic}: what a right value is)
VOICE = {
    "right": ("{v} is {topic}.", "You found {topic}: {v}.", "So {topic} is {v}.", "{v} is exactly {topic}."),
    "right_bare": ("{v} checks out.", "{v} is correct.", "Your {v} is right.", "{v} is the number we need."),
    "wrong_how": ("You got {v} after {how}.", "I see {v}; you got there by {how}.", "So {v} comes from {how}.",
                  "You reached {v} by {how}."),
    "wrong": ("You said {v}, and that doesn't fit yet.", "{v} doesn't match the story yet.",
              "I see {v} in your work; let's check where it comes from.", "Let's test your {v} against the story."),
    "partly": ("{r} is right, but {w} is not yet.", "You have {r} right; {w} still needs a look.",
               "{r} checks out; {w} does not yet.", "Good work on {r}, but {w} doesn't fit yet."),
    "given": ("{v} is indeed in the problem.", "The problem does say {v}.", "Yes, {v} is one of the facts we know.",
              "{v} comes straight from the story."),
    "heard": ("You mention {v}.", "I see {v} in your message.", "You bring up {v}.", "Let's keep {v} in mind."),
    "unsure": ("I see {v} in your message, but not which one is your answer.",
               "You mention {v}; let's settle on one number.", "I can't tell yet which of {v} is your result.",
               "Tell me which of {v} is your answer."),
}
SUCCESS = {  # never the number itself: the answer is not echoed, even once the student has said it
    "math": ("Yes, that's the right answer. Well done: you solved it yourself!",
             "That's it: your answer is right, and you worked it out yourself!",
             "Correct! You solved the whole problem yourself.",
             "Well done: that answer is right, and it's all your own work.",
             "Yes, that's the answer. You got there on your own!",
             "Right answer! You solved it step by step yourself."),
    "code": ("All the tests pass. Well done: you found and fixed the bug yourself!",
             "Every test passes now. You found and fixed the bug yourself!",
             "All green: the tests pass. Well done on finding the bug yourself!",
             "The tests all pass. Great work fixing it yourself!"),
}
FINAL_ASK = {
    "math": ("Put it all together: what is your final answer?", "Now combine what you found: what is the answer?",
             "You have all the parts. What is your final answer?", "So, what does the whole problem come to?",
             "What answer do your parts add up to?", "Which number answers the question the problem asks?",
             "Read the question again: what number does it ask for?", "What is your answer to the whole problem?"),
    "code": ("Put it all together: can you send the whole corrected function?",
             "Can you send the whole function with your fix in it?",
             "Now send the complete corrected function, please.", "Can you paste the whole fixed function?"),
}
AFTER_BOTTOM_OUT = {
    "math": ("What do you get for the final answer?", "Now, what is your final answer?",
             "So what does the problem come to?", "What answer do you get now?"),
    "code": ("Can you fix the code now?", "How would you change the code now?", "Can you try the fix now?",
             "What would your corrected code look like?"),
}

_FALLBACK_Q = {
    "focus": "Let's think about {concept}. What do you get?",
    "probing": "What do you already know that could help with {concept}?",
    "hint": "Here is a hint: focus on {concept}. What is your next step?",
    "bottom_out": "Here is how this part works: {concept}.",
}
PROBE_ASK = ("Where does that number come from in the story?", "Which operation gave you that, and why that one?",
             "What did you do to get it, step by step?", "Does that fit what the problem describes?")
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_NEAR = {"focus": ("probing", "hint"), "probing": ("focus", "hint"), "hint": ("probing", "focus"),
         "bottom_out": ()}


class Heard(BaseModel):
    """The student's own numbers this turn that the reply may quote (their text as written)."""

    right: list[str] = Field(default_factory=list)  # values that are a step's value (or the final answer)
    topic: str = ""  # what `topic_value` is (the concept phrase of its step)
    topic_value: str = ""
    wrong: list[str] = Field(default_factory=list)  # values that match no step
    other: list[str] = Field(default_factory=list)  # other claimed values (givens restated, a list to choose from)
    rest: list[str] = Field(default_factory=list)  # claimed values that are none of these (quoted, not judged)
    how: str = ""  # the student's own wrong step in words ("adding 25 and 10"), from an expression they wrote
    # code: numbers said back as the student's own (a test call they quote, what they say the code gives), never
    # offered as candidate answers to choose from
    quoted: list[str] = Field(default_factory=list)


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


def heard(u: Understanding, ev: Evidence, problem: Problem, tree: QuestionTree, state: KnowledgeState) -> Heard:
    """What of the student's message the reply may quote; never an extraction or override attempt.
    Right: a value of a node that is resolved now (never the final answer before it is solved: saying it back
    would confirm a guess); wrong: the values that match no step; other: givens of the statement."""
    if u.intent in ("extraction", "override"):
        return Heard()
    if problem.domain != "math":  # code: numbers are quoted (what the student says the code gives), not judged
        return Heard(quoted=list(dict.fromkeys(n.text for n in u.values if n.kind != "computed")))
    claimed = [n for n in u.values if n.kind != "computed"]
    wrong = list(dict.fromkeys(n.text for n in ev.wrong_numbers))
    solved = ev.outcome == "solved"
    right, topic, topic_value = [], "", ""
    if ev.judgement != "wrong":
        for n in claimed:
            if problem.answer is not None and any(close(r, problem.answer) for r in n.readings()):
                if solved:
                    right.append(n.text)
                continue
            for node in tree.nodes:
                value = node_value(node, problem)
                if value is None or not state.is_resolved(node.id) or not any(close(r, value) for r in n.readings()):
                    continue
                right.append(n.text)
                if node.step is not None and 0 <= node.step < len(problem.steps):
                    topic = topic_of(problem.steps[node.step], node.step, problem.statement)
                    topic_value = n.text
                break
    given = [r for g in extract(problem.statement).numbers for r in g.readings()]
    other = [n.text for n in claimed if n.text not in right and n.text not in wrong
             and any(close(r, g) for r in n.readings() for g in given)]
    final = [n.text for n in claimed if problem.answer is not None and not solved
             and any(close(r, problem.answer) for r in n.readings())]  # never quoted before it is solved
    other = [x for x in other if x not in final]
    rest = [n.text for n in claimed if n.text not in right + wrong + other + final]
    return Heard(right=list(dict.fromkeys(right)), topic=topic, topic_value=topic_value, wrong=wrong,
                 other=list(dict.fromkeys(other)), rest=list(dict.fromkeys(rest)),
                 how=wrong_step(u.expressions, problem, [r for n in u.numbers if n.kind != "computed"
                                                         for r in n.readings()] + given) if wrong else "")


_EXPR = re.compile(r"^\s*\$?(\d[\d,]*(?:\.\d+)?|\.\d+)\s*([-+*/])\s*\$?(\d[\d,]*(?:\.\d+)?|\.\d+)\s*=\s*"
                   r"(?:\$?(\d[\d,]*(?:\.\d+)?|\.\d+))?\s*$")
_HOW = {"+": "adding {a} and {b}", "-": "subtracting {b} from {a}", "*": "multiplying {a} by {b}",
        "/": "dividing {a} by {b}"}


def wrong_step(expressions: Iterable[str], problem: Problem, allowed: list[float] | None = None) -> str:
    """The student's last two-number step whose result is no step value, in words ("adding 25 and 10"); '' when
    there is none. A step of the solution itself (its operands) is never restated, nor an operand outside
    `allowed` (numbers the student stated or the statement gives; None: any)."""
    def nums(text: str) -> list[float]:
        return sorted(float(t.replace(",", "")) for t in re.findall(r"\d[\d,]*(?:\.\d+)?|\.\d+", text))

    steps = [nums(s.expression) for s in problem.steps]
    values = [s.value for s in problem.steps] + ([problem.answer] if problem.answer is not None else [])
    out = ""
    for e in expressions:
        m = _EXPR.match(e)
        if not m:
            continue
        a, op, b = m.group(1), m.group(2), m.group(3)
        x, y = float(a.replace(",", "")), float(b.replace(",", ""))
        result = {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else float("nan")}[op]
        if any(close(result, v) for v in values) or any(sorted([x, y]) == ops for ops in steps):
            continue
        if allowed is not None and not all(any(close(z, g) for g in allowed) for z in (x, y)):
            continue
        if problem.answer is not None and any(close(z, problem.answer) for z in (x, y)):
            continue  # the final answer is never said back
        out = _HOW[op].format(a=a, b=b)
    return out


def revoice(plan: Plan, h: Heard | None, turn: int, said: set[str] | None = None) -> str:
    """One sentence with the student's own numbers, for the decided feedback ('' when there is nothing to quote,
    or when every wording of it was said before)."""
    if h is None:
        return ""
    fb = plan.feedback
    options: list[str] = []
    if fb in ("right", "none", "question") and h.right:  # a value said again is still true, and the student's own
        options = [t.format(v=h.topic_value, topic=h.topic) for t in VOICE["right"]] if h.topic else \
            [t.format(v=_values(h.right)) for t in VOICE["right_bare"]]
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
                alt = _fresh(node.questions.at(other),  # type: ignore[arg-type]
                             state.questions_at(node.id, other), said)  # type: ignore[arg-type]
                if alt and not any(norm(x) in said for x in sentences(alt)):
                    return strip_label_notes(alt)
        return strip_label_notes(first)
    return _FALLBACK_Q.get(depth, _FALLBACK_Q["focus"]).format(concept=node.concept)


def template(plan: Plan, problem: Problem, tree: QuestionTree, state: KnowledgeState, turn: int,
             test_note: str = "", *, heard: Heard | None = None, said: set[str] | None = None) -> str:
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
        return (f"We've reached the end of this session. Good effort! Next time, start again from {concept}; "
                "you're closer than you think.")
    if plan.kind == "check":
        return _fresh(CHECK_PROMPTS, turn, said)
    if plan.kind == "tell":
        return _tell(tree.node(plan.node_id), problem)  # type: ignore[arg-type]
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
            parts = [x if norm(x) not in said else _fresh(PROBE_ASK, turn, said) if "?" in x else ""
                     for x in sentences(probe)]
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
