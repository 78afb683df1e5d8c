"""A step's value said for another quantity, or offered as the final answer, and the note that says it back.

"30 minutes to run half a mile" when 30 is the walk's time, "so the answer is 18" when 18 is a step on the way:
the value earns no credit and counts as wrong (`tutor.judging`), and the reply quotes the student's own words it
was attached to (`misread_note`).
"""

from __future__ import annotations

import re

from knowledge.numbers import canonical_unit, stands_for
from knowledge.types import Problem
from tutor.mathclaims import is_given
from tutor.numbers import Number, extract
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


_GENERIC = {"number", "amount", "result", "total", "value", "answer", "does", "will", "would"}


def _question(problem: Problem) -> str:
    """The statement's question: its last sentence that ends with "?" (else its last sentence)."""
    sentences = [x for x in re.split(r"(?<=[.?!])\s+", problem.statement.strip()) if x]
    asked = [x for x in sentences if x.rstrip().endswith("?")]
    return asked[-1] if asked else (sentences[-1] if sentences else "")


def _said(before: str, n: Number, clause_after: str) -> str:
    """The student's words around a number: five before, seven after."""
    return (
        re.search(r"(?:\S+\s+){0,5}\S*$", before).group(0)
        + n.text
        + re.match(r"\S*(?:\s+\S+){0,7}", clause_after).group(0)
    )


def _has_value(text: str, n: Number) -> bool:
    return any(
        stands_for(r, g) and stands_for(g, r) for g in (x.value for x in extract(text).numbers) for r in n.readings()
    )


_ASKED_HEAD = re.compile(
    r"\bhow\s+(?:many|much)\s+(?:more\s+|fewer\s+|less\s+|extra\s+)?([a-z]+)"
    r"|\bwhat\s+(?:is|was|are|were|will\s+be)\s+(?:the\s+|his\s+|her\s+|their\s+)?([a-z]+(?:\s+[a-z]+)?)",
    re.IGNORECASE,
)


def _asked_heads(question: str) -> set[str]:
    """The words naming what the question asks for ("How many cards ..." -> card; "What is the total weight, in
    ounces, ..." -> weight); empty when it names none."""
    m = _ASKED_HEAD.search(question)
    return _stems(next((g for g in m.groups() if g), "")) - _GENERIC if m else set()


def said_as_answer(u: Understanding, problem: Problem) -> dict[float, str]:
    """Values the student offers as the answer to the problem's question in the question's own words ("so Kenny
    started with 100 cards" to "How many cards did he start with?"; "Bert will have as many ... in 20 days"), when
    the value is a step on the way or a given, not the answer. The words next to it (its clause, and four words
    on) hold the question's distinctive words (those of no other sentence of the statement nor of the value's
    own step or given sentence: all of them, or two), nothing only its own step or sentence says, and the noun
    right after it (if it is one of the statement's) is what the question asks for or a unit ("9 eggs remain" is
    no answer to "What is the total weight of the remaining eggs?"). Returns each such value (rounded) with the
    student's words around it."""
    question = _question(problem)
    sentences = [x for x in re.split(r"(?<=[.?!])\s+", problem.statement.strip()) if x and x != question]
    asked = _stems(question)
    elsewhere = set().union(*(_stems(x) for x in sentences)) if sentences else set()
    heads, nouns = _asked_heads(question), _stems(problem.statement)
    out: dict[float, str] = {}
    for n, before, clause_after in _clauses(u):
        if (
            n.mention
            or n.kind == "word"
            or (problem.answer is not None and any(stands_for(r, problem.answer) for r in n.readings()))
        ):
            continue  # a number word in prose ("dividing by three") is no claim here
        own_steps = [s for s in problem.steps if any(stands_for(r, s.value) for r in n.readings())]
        if own_steps:
            own = set().union(*(_stems(s.description) for s in own_steps))
        elif is_given(n, problem):
            if _has_value(question, n):
                continue  # a given of the question sentence itself belongs to the question, it is no answer
            own = set().union(*(_stems(x) for x in sentences if _has_value(x, n)))
        else:
            continue
        noun = re.match(r"\s*([a-z]+)", clause_after)
        word = noun.group(1) if noun else ""
        if word and _stem(word) in nouns and heads and not _stems(word) & heads and not canonical_unit(word):
            continue  # "9 eggs": a count of something the question does not ask for
        distinctive = asked - elsewhere - own - _GENERIC
        # the noun right after it is left out: "2100 pixels" names the answer's kind, it does not claim the answer
        words = _stems(before + " " + _NOUN_AFTER.sub("", " ".join(clause_after.split()[:4]), count=1))
        if len(words & distinctive) >= min(2, len(distinctive)) > 0 and not words & (own - asked):
            out.setdefault(round(n.value, 9), _said(before, n, clause_after))
    return out


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
    in_question_words = said_as_answer(u, problem)
    for n, before, clause_after in _clauses(u):
        after = _NOUN_AFTER.sub("", " ".join(clause_after.split()[:4]), count=1)
        key = round(n.value, 9)
        if key in credited and key in in_question_words:  # said as the answer to the question (said_as_answer)
            answered.add(key)
            words_of.setdefault(key, in_question_words[key])
            continue
        if key not in credited or is_given(n, problem):
            continue
        if problem.answer is not None and any(stands_for(r, problem.answer) for r in n.readings()):
            continue
        mine = [k for k, s in enumerate(problem.steps) if any(stands_for(r, s.value) for r in n.readings())]
        if not mine:
            continue
        said = _said(before, n, clause_after)
        if _AS_ANSWER_BEFORE.search(before) or _AS_ANSWER_AFTER.search(after):
            answered.add(key)
            words_of[key] = said  # the student's answer to the problem: wrong, whatever else they said of it
            continue
        words = _stems(before + " " + after)
        pairs = [(k, j) for k in mine for j in range(len(steps)) if j not in mine and _parallel(steps[k], steps[j])]
        if any(words & (steps[k] - steps[j]) for k, j in pairs):
            own.add(key)
        elif all(any(words & (steps[j] - steps[k]) for kk, j in pairs if kk == k) for k in mine):
            other.add(key)
            words_of.setdefault(key, said)
    givens = {k: w for k, w in in_question_words.items() if k not in credited}  # a given said as the answer
    return {key: words_of[key] for key in (other - own) | answered} | givens


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
