"""Sibling problems for a post-test: the same steps and misconception, new numbers.

A sibling of a math problem replaces each number given in the statement by a multiple of it (the same factor for
all, the smallest of 2, 3, 4, 5 that keeps every step value as whole as it was and as signed as it was), then
recomputes every step from its own expression: a literal of an expression that is a given takes the new given, one
that is an earlier step's value takes that step's new value, any other literal (100 for a percentage, 12 for a dozen)
stays. A malgorithm's wrong path is recomputed the same way from the `a op b = c` equations of its wrong solution,
when that reproduces its wrong answer; otherwise the sibling has no wrong answer for it (`None`), and says so.

Problems whose steps have no evaluable expression, or whose expressions do not give their own values, have no sibling.
"""

from __future__ import annotations

import math
import re

from pydantic import BaseModel, Field

from knowledge.bank import evaluate_expression
from knowledge.numbers import close, fmt_exact
from knowledge.types import Malgorithm, Problem, Step

FACTORS = (2, 3, 4, 5)
_NUM = re.compile(r"(?<![\w.])\d+(?:,\d{3})*(?:\.\d+)?(?![\w])")
_EQUATION = re.compile(r"([\d.,$()+\-*/ ]*\d[\d.,$()+\-*/ ]*?)\s*=\s*\$?(-?\d[\d,]*(?:\.\d+)?)")


class Sibling(BaseModel):
    """A sibling problem and, per malgorithm id, the wrong answer that misconception gives on it (None: unknown)."""

    problem: Problem
    factor: int
    wrong_answers: dict[str, float | None] = Field(default_factory=dict)


def _num(text: str) -> float:
    return float(text.replace(",", ""))


def givens(statement: str) -> list[float]:
    return [_num(m.group(0)) for m in _NUM.finditer(statement)]


def _substitute(expression: str, mapping: list[tuple[float, float]]) -> str:
    """Replace each numeric literal that matches a key of `mapping` (first match wins) by its new value."""

    def repl(m: re.Match[str]) -> str:
        old = _num(m.group(0))
        for key, new in mapping:
            if close(old, key):
                return fmt_exact(new)
        return m.group(0)

    return _NUM.sub(repl, expression)


def _clean(expression: str) -> str:
    return expression.replace("$", "").replace("×", "*").replace(",", "").strip()


def _recompute(steps: list[Step], given: list[float], factor: int) -> list[float] | None:
    new_given = [(g, g * factor) for g in given]
    values: list[float] = []
    for i, step in enumerate(steps):
        earlier = [(s.value, v) for s, v in zip(steps[:i], values, strict=True)]
        try:
            if not close(evaluate_expression(_clean(step.expression)), step.value):
                return None
            value = evaluate_expression(_clean(_substitute(step.expression, earlier + new_given)))
        except ValueError:
            return None
        if not math.isfinite(value) or (step.value == int(step.value)) != (value == int(value)):
            return None
        if (step.value >= 0) != (value >= 0):
            return None
        values.append(value)
    return values


def _wrong_answer(m: Malgorithm, given: list[float], factor: int) -> float | None:
    """The malgorithm's wrong final answer on the sibling, from its worked equations; None if not reproducible."""
    if m.wrong_answer is None or not m.wrong_solution:
        return None
    mapping = [(g, g * factor) for g in given]
    last: float | None = None
    text = re.sub(r"(?<=\d)\s*[x×]\s*(?=\$?\d)", " * ", m.wrong_solution)
    for lhs, rhs in _EQUATION.findall(text):
        expr = _clean(lhs).strip("+-*/ ")
        if not re.search(r"[+\-*/]", expr):
            continue
        try:
            if not close(evaluate_expression(expr), _num(rhs)):
                continue
            last = evaluate_expression(_substitute(expr, mapping))
        except ValueError:
            continue
        mapping.insert(0, (_num(rhs), last))
    if last is None or not close(mapping[0][0], m.wrong_answer):
        return None
    return last


def make_sibling(problem: Problem) -> Sibling | None:
    """The sibling of a math problem (see the module docstring), or None when it cannot be built."""
    if problem.domain != "math" or not problem.steps or any(not s.expression for s in problem.steps):
        return None
    given = givens(problem.statement)
    if not given:
        return None
    for factor in FACTORS:
        values = _recompute(problem.steps, given, factor)
        if values is None:
            continue
        steps = [
            s.model_copy(
                update={
                    "value": v,
                    "expression": _substitute(
                        s.expression,
                        [(g, g * factor) for g in given]
                        + [(o.value, n) for o, n in zip(problem.steps[:i], values, strict=False)],
                    ),
                }
            )
            for i, (s, v) in enumerate(zip(problem.steps, values, strict=True))
        ]
        statement = _substitute(problem.statement, [(g, g * factor) for g in given])
        sib = problem.model_copy(
            update={
                "id": f"{problem.id}.sibling{factor}",
                "statement": statement,
                "steps": steps,
                "answer": values[-1],
                "tree": None,
                "malgorithms": [],
            }
        )
        wrong = {m.id: _wrong_answer(m, given, factor) for m in problem.malgorithms}
        return Sibling(problem=sib, factor=factor, wrong_answers=wrong)
    return None
