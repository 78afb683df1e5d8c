"""Deterministic number and expression extraction from free text.

Handles digits ("10", "10.0", "1,000", "$10", "-3"), fractions ("1/2"), mixed numbers ("3 1/2"), percents
("50%": 50, also read as 0.5), number words ("ten", "twenty-five", "one hundred and five") and arithmetic
("12+3=15" yields the result 15; "12 + 3" alone yields 15). Used by the understander and by the leak guard.
"""

from __future__ import annotations

import ast
import math
import operator
import re
from typing import Literal

from pydantic import BaseModel, Field

NumberKind = Literal["number", "word", "fraction", "percent", "result", "computed"]


class Number(BaseModel):
    """One number found in a text. `alternatives` are other readings (50% -> 0.5)."""

    value: float
    text: str
    kind: NumberKind = "number"
    alternatives: list[float] = Field(default_factory=list)
    operand: bool = False  # appears inside an expression whose result is also reported
    # kinds: "result" = stated after "=", "computed" = the value of an expression the text did not evaluate

    def readings(self) -> list[float]:
        return [self.value, *self.alternatives]


class Extraction(BaseModel):
    numbers: list[Number] = Field(default_factory=list)  # everything mentioned, operands included
    expressions: list[str] = Field(default_factory=list)

    @property
    def values(self) -> list[Number]:
        """The claimed values: results of expressions and standalone numbers, not operands."""
        return [n for n in self.numbers if not n.operand]


_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000, "billion": 1_000_000_000}
_NUMBER_WORDS = set(_UNITS) | set(_TENS) | set(_SCALES)
# "one" after these words is a pronoun ("which one"), not a number.
_PRONOUN_ONE = {"which", "that", "this", "the", "each", "any", "no", "every", "some", "another", "other", "last"}

_WORD_RE = re.compile(r"[a-z]+(?:-[a-z]+)*|\S", re.IGNORECASE)
_OPS = {
    ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv,
    ast.Pow: operator.pow, ast.FloorDiv: operator.floordiv, ast.Mod: operator.mod,
}


def _words_to_number(words: list[str]) -> float | None:
    total, current, seen = 0, 0, False
    for w in words:
        if w in _UNITS:
            current += _UNITS[w]
        elif w in _TENS:
            current += _TENS[w]
        elif w == "hundred":
            current = (current or 1) * 100
        elif w in _SCALES:
            total += (current or 1) * _SCALES[w]
            current = 0
        elif w in ("and", "a"):
            continue
        else:
            return None
        seen = True
    return float(total + current) if seen else None


def replace_number_words(text: str) -> tuple[str, list[tuple[str, float]]]:
    """Replace runs of number words by digits; returns the new text and (words, value) pairs found."""
    out: list[str] = []
    found: list[tuple[str, float]] = []
    tokens = list(re.finditer(r"[A-Za-z]+(?:-[A-Za-z]+)*|[^A-Za-z]+", text))
    i = 0
    while i < len(tokens):
        tok = tokens[i].group(0)
        parts = tok.lower().split("-")
        if all(p in _NUMBER_WORDS for p in parts):
            run_words = list(parts)
            raw = [tok]
            j = i + 1
            # extend across single spaces / "and" / "a"
            while j + 1 < len(tokens):
                sep, nxt = tokens[j].group(0), tokens[j + 1].group(0)
                nparts = nxt.lower().split("-")
                if sep == " " and all(p in _NUMBER_WORDS for p in nparts):
                    run_words += nparts
                    raw += [sep, nxt]
                    j += 2
                elif sep == " " and nxt.lower() == "and" and j + 3 < len(tokens) and tokens[j + 2].group(0) == " " \
                        and all(p in _NUMBER_WORDS for p in tokens[j + 3].group(0).lower().split("-")) \
                        and any(w in _SCALES for w in run_words):
                    run_words += tokens[j + 3].group(0).lower().split("-")
                    raw += [sep, nxt, tokens[j + 2].group(0), tokens[j + 3].group(0)]
                    j += 4
                else:
                    break
            prev_word = ""
            for k in range(i - 1, -1, -1):
                t = tokens[k].group(0).strip()
                if t:
                    prev_word = t.lower().split()[-1] if re.match(r"[A-Za-z]", t) else ""
                    break
            value = _words_to_number(run_words)
            if value is not None and not (run_words == ["one"] and prev_word in _PRONOUN_ONE):
                out.append(_fmt(value))
                found.append(("".join(raw), value))
            else:
                out.append("".join(raw))
            i = j
            continue
        out.append(tok)
        i += 1
    return "".join(out), found


def _fmt(value: float) -> str:
    return str(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)


def safe_eval(expr: str) -> float | None:
    """Evaluate + - * / ** // % and parentheses over numbers; None when it is not such an expression."""
    try:
        tree = ast.parse(expr.strip(), mode="eval")
    except (SyntaxError, ValueError):
        return None

    def ev(node: ast.AST) -> float:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            return float(node.value)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
            v = ev(node.operand)
            return -v if isinstance(node.op, ast.USub) else v
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            left, right = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Pow) and (abs(right) > 64 or abs(left) > 1e6):
                raise ValueError("power too large")
            return float(_OPS[type(node.op)](left, right))
        raise ValueError("not arithmetic")

    try:
        value = ev(tree)
    except (ValueError, ZeroDivisionError, OverflowError, TypeError):
        return None
    return value if math.isfinite(value) else None


_NUM = r"\d+(?:\.\d+)?|\.\d+"
_RUN_RE = re.compile(r"[-+*/^=().\d\s]*\d[-+*/^=().\d\s]*")
_SKIP_AFTER = re.compile(r"(?:\b(?:step|line|lines|question|problem|part|page|number|no\.|#)\s*)$", re.IGNORECASE)


def normalize_math(text: str) -> tuple[str, list[tuple[str, float]]]:
    t = text.replace("\u00a0", " ").replace("×", "*").replace("÷", "/").replace("−", "-").replace("–", "-")
    t, words = replace_number_words(t)
    t = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", t)  # 1,000 -> 1000
    t = re.sub(r"[$€£¥]\s?(?=[\d.])", " ", t)  # $10 -> 10
    t = re.sub(r"(?<=\d)\s*[xX]\s*(?=\d)", "*", t)  # 3 x 4 -> 3*4
    t = re.sub(r"\b\d+(?:st|nd|rd|th)\b", " ", t)  # ordinals are not values
    t = re.sub(r"(?<=\d)\s*\^\s*(?=\d)", "**", t)
    return t, words


def extract(text: str) -> Extraction:
    """All numbers in `text`, with expression results marked and operands flagged."""
    t, words = normalize_math(text)
    word_values = {v for _, v in words}
    numbers: list[Number] = []
    expressions: list[str] = []
    # percents first: "50%" -> 50 (alternative 0.5); removed from the text so runs don't see them
    def _percent(m: re.Match[str]) -> str:
        v = float(m.group(1))
        numbers.append(Number(value=v, text=m.group(0), kind="percent", alternatives=[v / 100]))
        return " ; "

    t = re.sub(rf"(-?(?:{_NUM}))\s*(?:%|percent\b|per cent\b)", _percent, t)
    # mixed numbers: "3 1/2" -> 3.5
    def _mixed(m: re.Match[str]) -> str:
        whole, num, den = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if den == 0 or num >= den:
            return m.group(0)
        v = whole + num / den
        numbers.append(Number(value=v, text=m.group(0), kind="fraction"))
        return " ; "

    t = re.sub(r"(?<![\d.*/+\-])(\d+) (\d+)/(\d+)(?![\d.]|\s*[-+*/])", _mixed, t)
    for m in _RUN_RE.finditer(t):
        run = m.group(0).strip()
        if _SKIP_AFTER.search(t[: m.start()]) and re.fullmatch(r"\d+", run):
            continue
        numbers.extend(_parse_run(run, expressions, word_values))
    return Extraction(numbers=numbers, expressions=expressions)


def _plain_numbers(run: str, word_values: set[float], operand: bool = False) -> list[Number]:
    out = []
    for m in re.finditer(rf"(?<![\d.])-?(?:{_NUM})", run):
        txt = m.group(0)
        v = float(txt)
        kind: NumberKind = "word" if v in word_values else "number"
        out.append(Number(value=v, text=txt, kind=kind, operand=operand))
    return out


def _parse_run(run: str, expressions: list[str], word_values: set[float]) -> list[Number]:
    run = run.strip(" .")
    if not run:
        return []
    parts = [p.strip() for p in run.split("=")]
    has_op = bool(re.search(r"\d\s*[-+*/]|\)\s*[-+*/]", run))
    if "=" not in run and not has_op:
        return _plain_numbers(run, word_values)
    results: list[tuple[str, float | None]] = [(p, safe_eval(p) if p else None) for p in parts]
    if all(v is None for _, v in results):
        return _plain_numbers(run, word_values)
    if "=" in run:
        # an equation chain: the last part that evaluates is the claimed result; the rest are operands
        last_i = max(i for i, (_, v) in enumerate(results) if v is not None)
        out = []
        for i, (p, v) in enumerate(results):
            if i == last_i:
                kind: NumberKind = "result" if re.fullmatch(rf"-?(?:{_NUM})", p) else (
                    "fraction" if re.fullmatch(r"-?\d+/\d+", p) and v != int(v) else "computed")  # type: ignore[arg-type]
                out.append(Number(value=v, text=p, kind=kind))  # type: ignore[arg-type]
            else:
                out.extend(_plain_numbers(p, word_values, operand=True))
        expressions.append(run)
        return out
    value = results[0][1]
    if value is None:
        return _plain_numbers(run, word_values)
    # "1/2" states a value; "72 / 8" (an exact division) is an expression the text leaves unevaluated
    fraction = re.fullmatch(r"-?\d+/\d+", run) and value != int(value)
    expressions.append(run)
    operands = [] if fraction else _plain_numbers(run, word_values, operand=True)
    return [Number(value=value, text=run, kind="fraction" if fraction else "computed"), *operands]


def close(a: float, b: float, rel: float = 1e-6, text: str | None = None) -> bool:
    """a (said) matches b (true) within a relative tolerance, or as b rounded to a's decimals (0.67 ~ 2/3)."""
    if abs(a - b) <= max(rel * abs(b), 1e-9):
        return True
    if b != int(b) and a != int(a):
        s = text if text and re.fullmatch(r"-?\d*\.\d+", text.strip()) else repr(float(a))
        decimals = len(s.split(".")[1]) if "." in s else 0
        if 1 <= decimals <= 6 and abs(round(b, decimals) - a) <= 10 ** (-decimals) / 2 + 1e-12:
            return True
    return False
