"""What a math message's numbers are offered as, read from its words (no state, no verdict).

Claimed values (not computed ones), a mere list or hedge ("10 or 12"), a number given as a result or quoted in
passing, a given of the statement restated or quoted while reasoning, sub-results worked out on the way, true
unit facts ("3 weeks would be 21 days") and a percent step in another form ("0.6 = 60%"). `tutor.judging` reads
the verdict from them.
"""

from __future__ import annotations

import re

from knowledge.numbers import canonical_unit, convert, safe_eval, stands_for
from knowledge.types import Problem
from tutor.numbers import Number, extract
from tutor.understand import Understanding, vocabulary
from tutor.verify import MathCheck

# "10 or 12" hedges; "(168 / 4), or 21" gives the value of the expression before it, it is no hedge
_HEDGE = re.compile(r"\d(?![\d.]*\),)\S*\s+or\s+(?:maybe\s+|perhaps\s+|even\s+)?\$?-?\d", re.IGNORECASE)
_FILLER = {"and", "or", "maybe", "is", "it", "the", "answer", "then", "so", "um", "uh", "like", "also", "too"}
_DERIVES = re.compile(
    r"[=+*/×÷]|\b(?:so|therefore|thus|hence|means|total|altogether|left|remain\w*|need|needs|"
    r"got|get|gets|answer|equals?|times|plus|minus|divided|multiplied|added|subtracted)\b",
    re.IGNORECASE,
)


def claimed(u: Understanding) -> list[Number]:
    return [n for n in u.values if n.kind != "computed"]


def lists_numbers(u: Understanding) -> bool:
    """A message that merely lists numbers ("1, 2, 3, ... 100") or hedges between values ("10 or 12"): no single
    value is offered, so none can be credited or held against the student."""
    values = claimed(u)
    distinct = {round(n.value, 9) for n in values}
    if len(distinct) >= 2 and _HEDGE.search(u.text):
        return True
    words = [w for w in re.findall(r"[a-z]+", u.text.lower()) if w not in _FILLER]
    return len(distinct) >= 4 and len(words) < len(values)


# what comes right before a number the student gives as a result ("= 8", "is 8", "so 8", "it will take her 8")
_RESULT_BEFORE = re.compile(
    r"(?:=|\b(?:is|was|are|be|get|gets|got|getting|gives?|gave|makes?|equals?|total(?: of)?|comes? to|answer|"
    r"leaves?|left with|need|needs|take|takes|took|so|means|therefore)\b)\s*(?:about|approximately|exactly|only|"
    r"just|at least|a total of|her|him|them|us|me|you|it)?\s*\$?\s*$",
    re.IGNORECASE,
)


def result_positions(u: Understanding) -> dict[int, bool]:
    """For each claimed number (by its index in u.numbers): is it given as a result, not quoted in passing?"""
    out, cursor = {}, 0
    for i, n in enumerate(u.numbers):
        m = re.search(rf"(?<![\w.]){re.escape(n.text)}(?![\w])", u.text[cursor:]) if n.text else None
        if m is None:
            out[i] = n.kind == "result"
            continue
        start = cursor + m.start()
        cursor = start + len(n.text)
        out[i] = n.kind == "result" or bool(_RESULT_BEFORE.search(u.text[max(0, start - 30) : start]))
    return out


def statement_numbers(problem: Problem) -> list[float]:
    return [r for n in extract(problem.statement).numbers for r in n.readings()]


def is_given(n: Number, problem: Problem) -> bool:
    return any(stands_for(r, g) and stands_for(g, r) for r in n.readings() for g in statement_numbers(problem))


def restates_given(u: Understanding, problem: Problem, check: MathCheck) -> bool:
    """Every number is a given of the statement, said as a plain statement in mostly the statement's own words."""
    values = claimed(u)
    if not values or not all(is_given(n, problem) for n in values) or u.intent == "question":
        return False
    if check.diagnosis or _DERIVES.search(u.text) or u.text.rstrip().endswith("?"):
        return False
    words = vocabulary(u.text)
    return bool(words) and len(words & vocabulary(problem.statement)) / len(words) >= 0.5


def false_operands(u: Understanding) -> set[float]:
    """The operands of a calculation whose stated result is false arithmetic ("2100 x 1200 = 25,200"): the claim is
    the calculation, and it is false (GUIDE rule 2), so its operands are no right sub-results."""
    out: set[float] = set()
    for e in u.expressions:
        parts = [p.strip() for p in e.split("=")]
        result = safe_eval(parts[-1]) if len(parts) > 1 and parts[-1] else None
        sides = [safe_eval(p) for p in parts[:-1] if p]
        if result is None or not sides or any(v is None or stands_for(result, v) for v in sides):
            continue
        out |= {round(float(x), 9) for p in parts[:-1] for x in re.findall(r"\d+(?:\.\d+)?", p)}
    return out


def derived_operands(u: Understanding, problem: Problem) -> list[Number]:
    """Operands the student worked out earlier in the message or before ("30 + 45 + 90 = 165" with 45 and 90 step
    values, not givens): right sub-results for the verdict, though they resolve no node by themselves; not those of
    a false calculation (`false_operands`)."""
    out = []
    wrong_sums = false_operands(u)
    for n in u.numbers:
        if (
            n.operand
            and round(n.value, 9) not in wrong_sums
            and n.kind != "computed"
            and not is_given(n, problem)
            and any(stands_for(r, step.value) for r in n.readings() for step in problem.steps)
        ):
            out.append(n)
    return out


_ANSWER_BEFORE = re.compile(
    r"(?:=|\b(?:answer|got|get|gets|getting|total|equals?|comes? to|result|makes|"
    r"is|was|it's|that's|(?:take|takes|took)(?:\s+\w+)?)\b)"
    r"(?:\s+(?:is|was|of|would be|will be))?\s*(?:about|approximately|exactly|just)?\s*\$?\s*$",
    re.IGNORECASE,
)


def quotes_givens(u: Understanding, problem: Problem, check: MathCheck) -> bool:
    """A sentence whose only numbers are givens of the problem, none of them offered as an answer ("= 12", "I got
    12", a bare "12") nor a wrong path's value: it uses the problem's facts, it does not claim a result."""
    values = claimed(u)
    if not values or not all(is_given(n, problem) for n in values) or check.diagnosis:
        return False
    if any(m.by == "value" for m in check.right) or len(re.findall(r"[a-z]+", u.text.lower())) <= 3:
        return False
    cursor = 0
    for n in u.numbers:
        m = re.search(rf"(?<![\w.]){re.escape(n.text)}(?![\w])", u.text[cursor:]) if n.text else None
        if n.kind == "result":
            return False
        if m is not None:
            start = cursor + m.start()
            cursor = start + len(n.text)
            if _ANSWER_BEFORE.search(u.text[max(0, start - 30) : start]):
                return False
    return True


_PER_UNIT = re.compile(r"^\s*(?:in|per)\s+(?:a|an|one|each|every|1)\s+([a-z]+)", re.IGNORECASE)


def true_conversions(u: Understanding, problem: Problem) -> set[float]:
    """Values that are true unit facts: a given in another unit ("3 weeks would be 21 days") or a conversion
    constant ("7 days in a week", "60 minutes per hour")."""
    givens = [n for n in extract(problem.statement).numbers if n.unit]
    out: set[float] = set()
    cursor = 0
    for n in u.numbers:
        m = re.search(rf"(?<![\w.]){re.escape(n.text)}(?![\w])", u.text[cursor:]) if n.text else None
        after = ""
        if m is not None:
            cursor += m.end()
            after = u.text[cursor : cursor + 40]
        if not n.unit or n.kind == "computed":
            continue
        per = _PER_UNIT.match(re.sub(r"^\s*[a-z]+", "", after, count=1))
        if (
            per
            and canonical_unit(per.group(1))
            and stands_for(convert(1, per.group(1), n.unit) or -1, n.value)
            or any(g.unit != n.unit and stands_for(convert(g.value, g.unit, n.unit) or -1, n.value) for g in givens)
        ):
            out.add(round(n.value, 9))
    return out


def percent_of_step(value: float, u: Understanding, problem: Problem) -> bool:
    """The same quantity written as a fraction or decimal of a percent step ("6/10 = 0.6 = 60%")."""
    if "%" not in u.text and "percent" not in u.text.lower():
        return False
    if value in (1, 100) and re.search(r"(?:[x×*]|times)\s*100\s*%", u.text, re.IGNORECASE):
        return True  # "x 100%" converts to a percent; it is no value of its own
    return 0 < abs(value) <= 1 and any(stands_for(value * 100, s.value) for s in problem.steps)
