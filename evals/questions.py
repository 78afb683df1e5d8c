"""Question flags of tutor replies: what a student reads that a good tutor would not write.

Per reply (`reply_flags`), with the dialogue's earlier tutor sentences (the opening included):
- `expression`: a question (any reply but a bottom-out or a telling) contains the arithmetic of one of the
  problem's steps ("3 bids * $50 per bid", "12 + 3": two adjacent operands of a step's expression joined by its
  operator, up to three words between);
- `final_expression`: any reply but the success message hands over the arithmetic of a step whose value is the
  final answer (a bottom-out included);
- `blank`: a reply contains a blank ("…", "...", "___");
- `repeat`: the number of the reply's sentences that repeat an earlier tutor sentence of the same dialogue (case and
  spacing ignored);
- `long_question`: a question sentence has more than 35 words;
- `generic_after_value`: the student stated a value (the tutor's own reading of claimed numbers) and the reply
  asks a question but mentions none of the student's values (a success message asks nothing and is not counted).
`aggregate` turns them into rates, each with its n.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from knowledge.numbers import parse_number
from knowledge.types import Problem
from tutor.numbers import extract

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_BLANK = re.compile(r"\u2026|\.\.\.|_{2,}")
_NUM = r"\$?\d[\d,]*(?:\.\d+)?%?|\$?\.\d+%?"
_OP_RE = {"+": r"\+", "-": r"[-\u2212\u2013]", "*": r"(?:[*x\u00d7\u00b7]|times)", "/": r"(?:[/\u00f7]|divided by)"}


def sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE.split(text.strip()) if s.strip()]


def norm(sentence: str) -> str:
    return re.sub(r"\s+", " ", sentence.strip().lower())


def _number(text: str) -> str:
    """A regex for one number of an expression as a reply may write it: $ and % optional, trailing zeros ignored."""
    value = parse_number(text)
    if value is None:
        return re.escape(text)
    whole = f"{value:g}" if abs(value) < 1e15 else text.replace(",", "").strip("$%")
    if "." in whole:
        a, b = whole.split(".")
        body = (re.escape(a) if a != "0" else "0?") + r"\." + re.escape(b) + "0*"
    else:
        body = re.escape(whole) + r"(?:\.0+)?"
    return rf"(?<![\d.])\$?{body}%?(?![\d]|\.\d)"


def _pairs(expression: str) -> list[tuple[str, str, str]]:
    tokens = re.findall(rf"{_NUM}|[-+*/x\u00d7\u00f7()]", expression)
    tokens = [{"x": "*", "\u00d7": "*", "\u00f7": "/"}.get(t, t) for t in tokens if t not in "()"]
    out = []
    for i in range(len(tokens) - 2):
        a, op, b = tokens[i : i + 3]
        if re.match(r"[$\d.]", a) and op in _OP_RE and re.match(r"[$\d.]", b):
            out.append((a, op, b))
    return out


def expression_patterns(problem: Problem) -> list[tuple[bool, re.Pattern[str]]]:
    """(the step's value is the final answer, regex) per adjacent operand pair of every step expression (commuted
    too, for + and *)."""
    gap = r"\s*(?:[A-Za-z\u20ac\u00a3/']+\s+){0,3}"
    out = []
    for step in problem.steps:
        final = problem.answer is not None and abs(step.value - problem.answer) <= 1e-9 * max(1.0, abs(step.value))
        for a, op, b in _pairs(step.expression):
            x, y = _number(a), _number(b)
            alts = [rf"{x}{gap}{_OP_RE[op]}\s*{y}"]
            if op in "+*":
                alts.append(rf"{y}{gap}{_OP_RE[op]}\s*{x}")
            out.append((final, re.compile("|".join(alts), re.I)))
    return out


_FRACTION = re.compile(r"(\d+)/(\d+)")


def _is_fraction(match: str) -> bool:
    """'1/2' written as one token with a smaller numerator is a number, not a division."""
    m = _FRACTION.fullmatch(match.strip())
    return bool(m) and int(m.group(1)) < int(m.group(2))


def has_expression(text: str, patterns: list[tuple[bool, re.Pattern[str]]], *, final_only: bool = False) -> bool:
    return any(
        not _is_fraction(m.group(0)) for final, p in patterns if final or not final_only for m in p.finditer(text)
    )


def has_blank(text: str) -> bool:
    return bool(_BLANK.search(text))


def mentions_value(text: str, values: Iterable[float]) -> bool:
    wanted = list(values)
    return any(
        abs(r - v) <= 1e-6 * max(1.0, abs(v)) for n in extract(text).numbers for r in n.readings() for v in wanted
    )


def reply_flags(
    reply: str,
    earlier: set[str],
    problem: Problem,
    student_values: list[float],
    plan_kind: str = "",
    patterns: list[tuple[bool, re.Pattern[str]]] | None = None,
) -> dict[str, Any]:
    """The flags of one reply; `earlier` (normalized sentences) is extended with the reply's sentences."""
    pats = expression_patterns(problem) if patterns is None else patterns
    said = sentences(reply)
    asks = any("?" in s for s in said)
    repeats = sum(1 for s in said if norm(s) in earlier)
    earlier.update(norm(s) for s in said)
    telling = plan_kind in ("bottom_out", "tell")
    return {
        "sentences": len(said),
        "questions": int(asks),
        "expression": asks and not telling and has_expression(reply, pats),
        "final_expression": plan_kind != "success" and has_expression(reply, pats, final_only=True),
        "blank": has_blank(reply),
        "long_question": any("?" in s and len(s.split()) > 35 for s in said),
        "repeat": repeats,
        "after_value": bool(student_values) and asks,
        "generic_after_value": bool(student_values) and asks and not mentions_value(reply, student_values),
    }


def _rate(hits: int, n: int) -> dict[str, Any]:
    return {"value": round(hits / n, 4) if n else None, "n": n}


def aggregate(flags: list[dict[str, Any]]) -> dict[str, Any]:
    """Rates over replies: questions with an expression or a blank (per reply that asks), replies handing over the
    final answer's arithmetic (per reply), repeated sentences (per sentence), generic replies right after a student
    value (per such reply)."""
    asking = [f for f in flags if f["questions"]]
    after = [f for f in flags if f["after_value"]]
    n_sent = sum(f["sentences"] for f in flags)
    return {
        "replies": len(flags),
        "expression_or_blank": _rate(sum(1 for f in asking if f["expression"] or f["blank"]), len(asking)),
        "with_expression": _rate(sum(1 for f in asking if f["expression"]), len(asking)),
        "with_blank": _rate(sum(1 for f in asking if f["blank"]), len(asking)),
        "final_expression": _rate(sum(1 for f in flags if f["final_expression"]), len(flags)),
        "long_question": _rate(sum(1 for f in asking if f.get("long_question")), len(asking)),
        "repeated_sentence": _rate(sum(f["repeat"] for f in flags), n_sent),
        "generic_after_value": _rate(sum(1 for f in after if f["generic_after_value"]), len(after)),
    }
