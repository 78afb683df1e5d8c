"""The LLM's part of step 4: prompts for the model's job, generation, and the strict quality gate.

`tutor.phrase` builds the template text for a decided plan (no model). This module asks the model to voice it
(`rephrase_messages`, `telling_messages`, `vanilla_messages`), generates, and decides whether the model's text is
usable (`reject_reason`: it must keep the decided question, add no number, not repeat an earlier tutor message and
not talk about its instructions). The rewrite prompt keeps a stable prefix (system + problem) and puts the per-turn
part last, so llama.cpp can reuse its cached prefix; it does not carry earlier tutor turns, which small models copy.
"""

from __future__ import annotations

import math
import re

from inference.base import Backend, Message, Options
from knowledge.types import Problem
from tutor import prompts


def dialogue_messages(system: str, history: list[tuple[str, str]]) -> list[Message]:
    """Stable prefix: system (with the problem), then the dialogue in order. history: (role, text)."""
    msgs = [Message(role="system", content=system)]
    for role, text in history:
        msgs.append(Message(role="assistant" if role == "tutor" else "user", content=text))
    return msgs


def decided_question(template_text: str) -> str:
    """The question the plan decided on: the template's text from its first question on ('' when none)."""
    sentences = [x.strip() for x in re.split(r"(?<=[.!?])\s+", template_text.strip()) if x.strip()]
    first = next((i for i, x in enumerate(sentences) if x.endswith("?")), None)
    return "" if first is None else " ".join(sentences[first:])


def rephrase_messages(problem: Problem, student: str, template_text: str) -> list[Message]:
    """System (problem) + one user turn with the student's latest message and this turn's decided message. The
    dialogue history is deliberately not sent: small models copy the previous tutor turn (see prompts.REPHRASE_TURN);
    the decision (node, move, depth) is already in the template."""
    system = prompts.REPHRASE_SYSTEM.format(statement=problem.statement.strip())
    return [Message(role="system", content=system),
            Message(role="user", content=prompts.REPHRASE_TURN.format(student=student[:2000], template=template_text))]


def telling_messages(problem: Problem, history: list[tuple[str, str]], student: str, explanation: str) -> list[Message]:
    system = prompts.TELLING_SYSTEM.format(statement=problem.statement.strip())
    return [*dialogue_messages(system, history), Message(role="user", content=prompts.TELLING_TURN.format(
        student=student[:2000], explanation=explanation))]


def vanilla_messages(problem: Problem, history: list[tuple[str, str]], student: str) -> list[Message]:
    system = prompts.VANILLA_SYSTEM.format(statement=problem.statement.strip())
    return [*dialogue_messages(system, history), Message(role="user", content=student[:2000])]


def generate(backend: Backend, messages: list[Message], *, temperature: float = 0.2, seed: int | None = 0,
             max_tokens: int = 120) -> tuple[str, float | None]:
    """Stream the backend's text to completion (the guard needs the whole text); returns (text, ttft seconds)."""
    import time

    start = time.monotonic()
    ttft = None
    parts: list[str] = []
    stream = backend.stream(messages, Options(temperature=temperature, seed=seed, max_tokens=max_tokens, actor="tutor"))
    for delta in stream:
        if ttft is None:
            ttft = time.monotonic() - start
        parts.append(delta)
    return clean("".join(parts)), ttft


def strip_echo(text: str, student: str) -> str:
    """Small models often start by repeating the student's message: drop that prefix."""
    head = student.strip().rstrip(".!?").lower()
    t = text.strip()
    if head and t.lower().startswith(head):
        t = t[len(head):].lstrip(" .!?,:;-\n")
    return t


_CONTENT = re.compile(r"[a-z]{4,}")
_FILLER = {"what", "which", "that", "this", "with", "your", "have", "there", "they", "them", "then", "from", "about",
           "would", "could", "should", "think", "let's", "lets", "take", "part", "next", "step", "help", "here",
           "does", "when", "where", "into", "more", "some", "just", "like", "make", "want", "know", "tell", "look"}
_META = re.compile(r"\b(?:rewrit(?:e|ten|ing)|planned message|decided (?:message|question)|the tutor's message|"
                   r"(?:these|my|the) instructions)\b", re.IGNORECASE)
REPEAT_SIMILARITY = 0.75  # a rewrite this close to an earlier tutor message (and not to the plan) is a repeat
QUESTION_KEPT = 0.4  # share of the decided question's content words a rewrite must keep (at least 1)


def _stem(word: str) -> str:
    for end in ("ses", "xes", "ches", "shes"):
        if word.endswith(end) and len(word) > 4:
            return word[:-2]
    return word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 4 else word


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in _CONTENT.findall(text.lower()) if w not in _FILLER}


def similarity(a: str, b: str) -> float:
    """How alike two messages are: the larger of a character-level ratio and the content-word overlap (Jaccard)."""
    from difflib import SequenceMatcher

    x, y = " ".join(a.lower().split()), " ".join(b.lower().split())
    if not x or not y:
        return 0.0
    wa, wb = content_words(x), content_words(y)
    jaccard = len(wa & wb) / len(wa | wb) if wa and wb else 0.0
    return max(SequenceMatcher(None, x, y, autojunk=False).ratio(), jaccard)


def new_numbers(text: str, allowed: list[float]) -> list[str]:
    """Numbers written with digits (not words: "one batch") in `text` that match none of the allowed values."""
    from tutor.numbers import extract
    from tutor.probes import same

    out = []
    for n in extract(text).numbers:
        if n.kind != "word" and not any(same(r, a) for r in n.readings() for a in allowed):
            out.append(n.text)
    return out


def allowed_numbers(*texts: str) -> list[float]:
    """Every reading of every number in the given texts (the plan, the student's message, the statement)."""
    from tutor.numbers import extract

    return [r for t in texts for n in extract(t).numbers for r in n.readings()]


def reject_reason(text: str, student: str, needs_question: bool, plan_text: str = "", *,
                  previous: list[str] | tuple[str, ...] = (), allowed: list[float] | None = None) -> str | None:
    """Why an LLM rewrite is unusable (so the template is shown instead), or None when it is fine.

    previous: the tutor's earlier messages (a rewrite that repeats one of them rather than the plan is rejected);
    allowed: the values a rewrite may mention (None: no number check)."""
    t = text.strip()
    if re.match(r"(?:i'?m|i am)\s+(?:stuck|confused|lost|not sure)\b", t, re.IGNORECASE):
        return "speaks as the student"
    if len(t) < 8:
        return "empty or too short"
    if len(t) > 500:
        return "too long"
    if re.search(r"</?\s*[a-z_]+\s*>", t, re.IGNORECASE):
        return "echoes prompt tags"
    if _META.search(t):
        return "talks about its instructions"
    if student and len(student) > 12 and student.strip().lower()[:40] in t.lower():
        return "echoes the student's message"
    if needs_question and "?" not in t:
        return "not a question"
    for prev in previous:
        sim = similarity(t, prev)
        if sim >= REPEAT_SIMILARITY and (not plan_text or sim > similarity(t, plan_text) + 0.05):
            return f"repeats an earlier tutor message (similarity {sim:.2f}): {prev[:60]!r}"
    if allowed is not None and (extra := new_numbers(t, allowed)):
        return f"adds a number not in the plan or the student's message: {', '.join(extra[:3])}"
    if plan_text:
        asked = decided_question(plan_text) if needs_question else ""
        planned = content_words(asked or plan_text)
        if planned:
            kept = planned & {_stem(w) for w in re.findall(r"[a-z']+", t.lower())}
            need = max(1, math.ceil(QUESTION_KEPT * len(planned))) if asked else 1
            if len(kept) < need:
                what = "the decided question" if asked else "the planned message"
                return (f"off the plan (keeps {len(kept)} of {len(planned)} content words of {what}; needs {need})")
    return None


def clean(text: str) -> str:
    """Trim model output to the tutor's message: strip quotes/role labels, keep at most three sentences."""
    t = text.strip()
    t = re.sub(r"^(?:tutor|assistant|teacher)\s*:\s*", "", t, flags=re.IGNORECASE)
    t = t.strip().strip('"').strip()
    t = re.split(r"\n\s*(?:student|user)\s*:", t, flags=re.IGNORECASE)[0].strip()
    sentences = re.split(r"(?<=[.!?])\s+", t)
    return " ".join(sentences[:3]).strip()
