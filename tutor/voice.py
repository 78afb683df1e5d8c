"""The LLM's part of step 4: prompts for the model's job, generation, and the strict quality gates.

The default job (`revoice`) is one a small model can do: one short sentence restating what the student said, in
their numbers and words, placed between the decided feedback and the decided question, which stay verbatim
(`revoice_messages`, `revoice_parts`; its quality gates: tutor.revoice_checks). Whether a model gets the job for a
move kind is measured, not assumed (`may_voice`, `tutor/voice_measured.json`). The older `rewrite` job (the whole
template rewritten) is kept for comparison.

`tutor.phrase` builds the template text for a decided plan (no model). This module asks the model to voice it
(`rephrase_messages`, `telling_messages`, `vanilla_messages`), generates, and decides whether the model's text is
usable (`reject_reason`: it must keep the decided question, add no number, not repeat an earlier tutor message and
not talk about its instructions). The rewrite prompt keeps a stable prefix (system + problem) and puts the per-turn
part last, so llama.cpp can reuse its cached prefix; it does not carry earlier tutor turns, which small models copy.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from difflib import SequenceMatcher
from functools import lru_cache
from pathlib import Path
from typing import Any

from errors import RecoverableError
from inference.base import Backend, Message, Options
from knowledge.numbers import close
from knowledge.types import Problem
from tutor import phrasebook, prompts
from tutor.numbers import extract

log = logging.getLogger("tutor.voice")


def dialogue_messages(system: str, history: list[tuple[str, str]]) -> list[Message]:
    """Stable prefix: system (with the problem), then the dialogue in order. history: (role, text)."""
    messages = [Message(role="system", content=system)]
    for role, text in history:
        messages.append(Message(role="assistant" if role == "tutor" else "user", content=text))
    return messages


def decided_question(template_text: str) -> str:
    """The question the plan decided on: the template's text from its first question on ('' when none)."""
    sentences = [part.strip() for part in re.split(r"(?<=[.!?])\s+", template_text.strip()) if part.strip()]
    first = next((i for i, sentence in enumerate(sentences) if sentence.endswith("?")), None)
    return "" if first is None else " ".join(sentences[first:])


def rephrase_messages(problem: Problem, student: str, template_text: str) -> list[Message]:
    """System (problem) + one user turn with the student's latest message and this turn's decided message. The
    dialogue history is deliberately not sent: small models copy the previous tutor turn (see prompts.REPHRASE_TURN);
    the decision (node, move, depth) is already in the template."""
    system = prompts.REPHRASE_SYSTEM.format(statement=problem.statement.strip())
    return [
        Message(role="system", content=system),
        Message(role="user", content=prompts.REPHRASE_TURN.format(student=student[:2000], template=template_text)),
    ]


def telling_messages(problem: Problem, history: list[tuple[str, str]], student: str, explanation: str) -> list[Message]:
    system = prompts.TELLING_SYSTEM.format(statement=problem.statement.strip())
    return [
        *dialogue_messages(system, history),
        Message(role="user", content=prompts.TELLING_TURN.format(student=student[:2000], explanation=explanation)),
    ]


def vanilla_messages(problem: Problem, history: list[tuple[str, str]], student: str) -> list[Message]:
    system = prompts.VANILLA_SYSTEM.format(statement=problem.statement.strip())
    return [*dialogue_messages(system, history), Message(role="user", content=student[:2000])]


def generate(
    backend: Backend,
    messages: list[Message],
    *,
    temperature: float = 0.2,
    seed: int | None = 0,
    max_tokens: int = 120,
    wait_s: float | None = None,
) -> tuple[str, float | None]:
    """Stream the backend's text to completion (the guard needs the whole text); returns (text, ttft seconds)."""
    start = time.monotonic()
    ttft = None
    parts: list[str] = []
    stream = backend.stream(
        messages, Options(temperature=temperature, seed=seed, max_tokens=max_tokens, actor="tutor", wait_s=wait_s)
    )
    for delta in stream:
        if ttft is None:
            ttft = time.monotonic() - start
        parts.append(delta)
    return clean("".join(parts)), ttft


def strip_echo(text: str, student: str) -> str:
    """Small models often start by repeating the student's message: drop that prefix."""
    head = student.strip().rstrip(".!?").lower()
    reply = text.strip()
    if head and reply.lower().startswith(head):
        reply = reply[len(head) :].lstrip(" .!?,:;-\n")
    return reply


_CONTENT = re.compile(r"[a-z]{4,}")
_FILLER = {
    "what",
    "which",
    "that",
    "this",
    "with",
    "your",
    "have",
    "there",
    "they",
    "them",
    "then",
    "from",
    "about",
    "would",
    "could",
    "should",
    "think",
    "let's",
    "lets",
    "take",
    "part",
    "next",
    "step",
    "help",
    "here",
    "does",
    "when",
    "where",
    "into",
    "more",
    "some",
    "just",
    "like",
    "make",
    "want",
    "know",
    "tell",
    "look",
}
META = re.compile(
    r"\b(?:rewrit(?:e|ten|ing)|planned message|decided (?:message|question)|the tutor's message|"
    r"(?:these|my|the) instructions)\b",
    re.IGNORECASE,
)
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
    first, second = " ".join(a.lower().split()), " ".join(b.lower().split())
    if not first or not second:
        return 0.0
    words_a, words_b = content_words(first), content_words(second)
    jaccard = len(words_a & words_b) / len(words_a | words_b) if words_a and words_b else 0.0
    return max(SequenceMatcher(None, first, second, autojunk=False).ratio(), jaccard)


def new_numbers(text: str, allowed: list[float]) -> list[str]:
    """Numbers written with digits (not words: "one batch") in `text` that match none of the allowed values."""
    out = []
    for n in extract(text).numbers:
        if n.kind != "word" and not any(close(r, a) for r in n.readings() for a in allowed):
            out.append(n.text)
    return out


def allowed_numbers(*texts: str) -> list[float]:
    """Every reading of every number in the given texts (the plan, the student's message, the statement)."""
    return [r for text in texts for n in extract(text).numbers for r in n.readings()]


def reject_reason(
    text: str,
    student: str,
    needs_question: bool,
    plan_text: str = "",
    *,
    previous: list[str] | tuple[str, ...] = (),
    allowed: list[float] | None = None,
) -> str | None:
    """Why an LLM rewrite is unusable (so the template is shown instead), or None when it is fine.

    previous: the tutor's earlier messages (a rewrite that repeats one of them rather than the plan is rejected);
    allowed: the values a rewrite may mention (None: no number check)."""
    reply = text.strip()
    if re.match(r"(?:i'?m|i am)\s+(?:stuck|confused|lost|not sure)\b", reply, re.IGNORECASE):
        return "speaks as the student"
    if len(reply) < 8:
        return "empty or too short"
    if len(reply) > 500:
        return "too long"
    if re.search(r"</?\s*[a-z_]+\s*>", reply, re.IGNORECASE):
        return "echoes prompt tags"
    if META.search(reply):
        return "talks about its instructions"
    if student and len(student) > 12 and student.strip().lower()[:40] in reply.lower():
        return "echoes the student's message"
    if needs_question and "?" not in reply:
        return "not a question"
    for prev in previous:
        sim = similarity(reply, prev)
        if sim >= REPEAT_SIMILARITY and (not plan_text or sim > similarity(reply, plan_text) + 0.05):
            return f"repeats an earlier tutor message (similarity {sim:.2f}): {prev[:60]!r}"
    if allowed is not None and (extra := new_numbers(reply, allowed)):
        return f"adds a number not in the plan or the student's message: {', '.join(extra[:3])}"
    if plan_text:
        asked = decided_question(plan_text) if needs_question else ""
        planned = content_words(asked or plan_text)
        if planned:
            kept = planned & {_stem(w) for w in re.findall(r"[a-z']+", reply.lower())}
            need = max(1, math.ceil(QUESTION_KEPT * len(planned))) if asked else 1
            if len(kept) < need:
                what = "the decided question" if asked else "the planned message"
                return f"off the plan (keeps {len(kept)} of {len(planned)} content words of {what}; needs {need})"
    return None


def clean(text: str) -> str:
    """Trim model output to the tutor's message: strip quotes/role labels, keep at most three sentences."""
    reply = text.strip()
    reply = re.sub(r"^(?:tutor|assistant|teacher)\s*:\s*", "", reply, flags=re.IGNORECASE)
    reply = reply.strip().strip('"').strip()
    reply = re.split(r"\n\s*(?:student|user)\s*:", reply, flags=re.IGNORECASE)[0].strip()
    sentences = re.split(r"(?<=[.!?])\s+", reply)
    return " ".join(sentences[:3]).strip()


# --- the revoice job: one sentence in the student's own words, then the decided message verbatim --------------
def revoice_messages(student: str) -> list[Message]:
    """The shared prefix (instructions + our worked examples, the same for every problem and student) and the
    student's message; see prompts.REVOICE_SYSTEM."""
    messages = [Message(role="system", content=prompts.REVOICE_SYSTEM)]
    for said, revoiced in prompts.REVOICE_EXAMPLES:
        messages += [
            Message(role="user", content=prompts.REVOICE_TURN.format(student=said)),
            Message(role="assistant", content=revoiced),
        ]
    return [*messages, Message(role="user", content=prompts.REVOICE_TURN.format(student=student[:600]))]


WARM_STUDENT = "ok"  # a message for reading the shared prefix (`warm`)


def warm(backend: Backend) -> None:
    """Read the revoice prompt's shared prefix (instructions and worked examples) once, when the model loads, so
    the first student's call reads only their own message. One token is generated; a failure is logged only."""
    if not backend.available:
        return
    try:
        backend.chat(revoice_messages(WARM_STUDENT), Options(temperature=0.0, max_tokens=1, actor="app"))
    except RecoverableError as exc:
        log.warning("warming the revoice prompt failed: %s", exc.log_message)


def first_sentence(text: str) -> str:
    """The text up to its first sentence end (all of it when none)."""
    return re.split(r"(?<=[.!?])\s+", text.strip(), maxsplit=1)[0]


def split_head(text: str, feedback_options: tuple[str, ...] | list[str]) -> tuple[str, str]:
    """(the decided feedback sentence the text starts with, the rest). No known feedback at the start: ("", text)."""
    for feedback in sorted((f for f in feedback_options if f), key=len, reverse=True):
        if text.startswith(feedback) and len(text) > len(feedback):
            return feedback, text[len(feedback) :].strip()
    return "", text


def revoice_parts(text: str, plan: object) -> tuple[str, str]:
    """(the decided words shown before the revoicing sentence, the rest), so the student reads decided words at once
    while the model writes and the decided question comes last: the feedback sentence the text starts with; else,
    on a success or the end of turns, the whole text; else its first sentence when that is no question and more
    follows. Neither: ("", text), and the model gets no sentence to write."""
    head, tail = split_head(text, phrasebook.FEEDBACK.get(getattr(plan, "feedback", ""), ()))
    if head:
        return head, tail
    if getattr(plan, "kind", "") in ("success", "out_of_turns"):
        return text, ""
    first = first_sentence(text)
    if len(first) < len(text.strip()) and not first.endswith("?"):
        return first, text.strip()[len(first) :].strip()
    return "", text


def move_kind(plan: object) -> str:
    """The key the measured acceptance is kept under: the plan kind, with questions split by what they ask
    (a misconception probe, or the depth: focus / probing / hint)."""
    kind = getattr(plan, "kind", "")
    if kind != "question":
        return kind
    return "probe" if getattr(plan, "probe", None) else (getattr(plan, "depth", None) or "focus")


# --- which move kinds a model may voice: measured acceptance (tutor/voice_measured.json) ------------------------
MEASURED_PATH = Path(__file__).with_name("voice_measured.json")
ACCEPT_AT = 0.6  # the model is called for a move kind only when at least this share of its texts was accepted
MIN_MEASURED = 5  # ... measured on at least this many pairs of that kind


@lru_cache(maxsize=1)
def measured() -> dict[str, Any]:
    """The measured acceptance by model, job and move kind (written by `python -m evals.bench phrasing --write`)."""
    if not MEASURED_PATH.exists():
        return {}
    return json.loads(MEASURED_PATH.read_text(encoding="utf-8")).get("models", {})


def may_voice(backend: Backend, job: str, kind: str) -> tuple[bool, str]:
    """(call the model?, why) for this backend's model, job and move kind. The scripted `fake` backend is not
    gated (its texts are the test's); any other model must have been measured at >= ACCEPT_AT on >= MIN_MEASURED
    pairs of this kind."""
    if backend.name == "fake":
        return True, "scripted backend (not gated)"
    row = measured().get(backend.model, {}).get(job, {}).get("kinds", {}).get(kind)
    if row is None:
        return False, f"{job} not measured for move kind {kind!r} on {backend.model}: templates"
    rate, pairs = row.get("acceptance") or 0.0, row.get("n", 0)
    if pairs < MIN_MEASURED or rate < ACCEPT_AT:
        return False, (
            f"{job} on {backend.model}, move kind {kind!r}: measured acceptance {rate:.2f} (n={pairs}) < {ACCEPT_AT}"
        )
    return True, f"{job} on {backend.model}, move kind {kind!r}: measured acceptance {rate:.2f} (n={pairs})"
