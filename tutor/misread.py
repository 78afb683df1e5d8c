"""A step's value said for another quantity, or offered as the final answer, and the note that says it back.

"30 minutes to run half a mile" when 30 is the walk's time, "so the answer is 18" when 18 is a step on the way:
the value earns no credit and counts as wrong (`tutor.judging`), and the reply quotes the student's own words it
was attached to (`misread_note`).
"""

from __future__ import annotations

import re

from knowledge.numbers import stands_for
from knowledge.types import Problem
from tutor.mathclaims import is_given
from tutor.numbers import Number
from tutor.understand import Understanding, vocabulary
from tutor.verify import MathCheck

_NOT_QUANTITY = {"many", "much"}
_AS_ANSWER_BEFORE = re.compile(
    r"\b(?:final\s+)?answer(?:\s+(?:is|was|would be|will be|should be|of|=|:))?\s*"
    r"(?:about|approximately|exactly|just)?\s*\$?\s*$",
    re.IGNORECASE,
)
_AS_ANSWER_AFTER = re.compile(
    r"^\S*\s+(?:is|as|would be|will be)\s+(?:my|the|our)\s+(?:final\s+)?answer\b", re.IGNORECASE
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    word = word[:-1] if word.endswith("e") and len(word) > 3 else word
    return word[:-1] if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou" else word


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in vocabulary(text) if w not in _NOT_QUANTITY}


_CLAUSE = re.compile(r"[.;:!?,\n()=]|\b(?:and|so|but|then|which|because|since|while|or|if|when)\b", re.IGNORECASE)
_NOUN_AFTER = re.compile(r"^\s*(?:(?:more|extra|additional|other|new)\s+)?[a-z]+", re.UNICODE)


def _clauses(u: Understanding) -> list[tuple[Number, str, str]]:
    """Each claimed result (no operand) with the words next to it in its clause: back to the clause start or the
    previous number, and on to the clause end ("So it would take Cindy | 30 | minutes to run half a mile")."""
    spans, cursor = [], 0
    for n in u.numbers:
        m = re.search(rf"(?<![\w.]){re.escape(n.text)}(?![\w])", u.text[cursor:]) if n.text else None
        if m is not None:
            spans.append((n, cursor + m.start(), cursor + m.end()))
            cursor += m.end()
    out = []
    for i, (n, start, end) in enumerate(spans):
        if n.kind == "computed" or n.operand:
            continue
        before = _CLAUSE.split(u.text[spans[i - 1][2] if i else 0 : start])[-1]
        out.append((n, before, _CLAUSE.split(u.text[end:])[0]))
    return out


def _parallel(a: set[str], b: set[str]) -> bool:
    """Two steps that ask the same thing of different people or things ("minutes to run half a mile" / "to walk
    half a mile"; "how much Sean has" / "how much Rick has")."""
    return bool(a - b) and bool(b - a) and len(a & b) >= max(1, len(a | b) // 2)


def misattributed(u: Understanding, problem: Problem, check: MathCheck) -> dict[float, str]:
    """Step values the student gives for something else: as the final answer ("so the answer is 18" when 18 is a
    step on the way), or for the parallel quantity or person of another step ("30 minutes to run half a mile" when
    30 is the walk's time): the words next to it name the other step's own words and none of its step's (four
    words on, the noun right after it left out: the unit is shared by parallel quantities). A value also said once
    for its own quantity keeps its credit, unless it is offered as the answer. Returns each such value (rounded)
    with the student's own words it was attached to ("Rick has 24 dollars"), for the reply to say back."""
    steps = [_stems(s.description) for s in problem.steps]
    credited = {round(m.value, 9) for m in check.right if m.by == "value" and not m.final}
    other: set[float] = set()
    own: set[float] = set()
    answered: set[float] = set()
    words_of: dict[float, str] = {}
    for n, before, clause_after in _clauses(u):
        after = _NOUN_AFTER.sub("", " ".join(clause_after.split()[:4]), count=1)
        key = round(n.value, 9)
        if key not in credited or is_given(n, problem):
            continue
        if problem.answer is not None and any(stands_for(r, problem.answer) for r in n.readings()):
            continue
        mine = [k for k, s in enumerate(problem.steps) if any(stands_for(r, s.value) for r in n.readings())]
        if not mine:
            continue
        said = (
            re.search(r"(?:\S+\s+){0,5}\S*$", before).group(0)
            + n.text
            + re.match(r"\S*(?:\s+\S+){0,7}", clause_after).group(0)
        )  # their words: five before, seven after
        if _AS_ANSWER_BEFORE.search(before) or _AS_ANSWER_AFTER.search(after):
            answered.add(key)
            words_of[key] = said  # the student's answer to the problem: wrong, whatever else they said of it
            continue
        words = _stems(before + " " + after)
        pairs = [(k, j) for k in mine for j in range(len(steps)) if j not in mine and _parallel(steps[k], steps[j])]
        if any(words & (steps[k] - steps[j]) for k, j in pairs):
            own.add(key)
        elif mine and all(any(words & (steps[j] - steps[k]) for kk, j in pairs if kk == k) for k in mine):
            other.add(key)
            words_of.setdefault(key, said)
    return {key: words_of[key] for key in (other - own) | answered}


MISREAD_NOTE = (
    'You gave {v} for "{said}"; let\'s check which quantity {v} belongs to.',
    'Your {v} goes with "{said}" in your message; let\'s see which quantity it really is.',
    'You wrote "{said}"; let\'s check what {v} stands for in the problem.',
    'I read "{said}"; let\'s make sure {v} goes with the right quantity.',
)


def misread_note(value: Number, said: str, turn: int) -> str:
    """A step's value said for another quantity, said back with the student's own words it was attached to and
    an invitation to place it (the value is the student's; nothing of the problem is revealed)."""
    return MISREAD_NOTE[turn % len(MISREAD_NOTE)].format(v=value.text, said=said.strip(" .,;:!?\"'"))
