"""Deterministic number and expression extraction from free text.

Handles digits ("10", "10.0", "1,000", "$10", "-3"), fractions ("1/2"), mixed numbers ("3 1/2"), percents
("50%": 50, also read as 0.5), number words ("ten", "twenty-five", "one hundred and five") and arithmetic
("12+3=15" yields the result 15; "12 + 3" alone yields 15). Operator words are read as operators ("4 times 7/8",
"12 divided by 3", "half of 12", "20% of 50", "I multiplied 4 by 7/8 and got 3.5"), so an expression the student
leaves unevaluated is not mistaken for a claimed value. Number words count as claimed values only where they carry
an answer ("I got ten", "it's one and a half", a bare "ten"); quantifiers in prose ("one batch", "one more time")
are kept as mentions. References ("line 3", "step 2") are not numbers at all. A unit written after a number
("100 cents", "3 hours", "$5") is recorded so the verifier can convert the obvious ones.
Used by the understander and by the leak guard. Comparing, evaluating and units: knowledge.numbers; reading number
words ("ten", "two thirds") as digits: tutor.number_words.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from knowledge.numbers import canonical_unit, safe_eval
from tutor.number_words import replace_number_words

NumberKind = Literal["number", "word", "fraction", "percent", "result", "computed"]


class Number(BaseModel):
    """One number found in a text. `alternatives` are other readings (50% -> 0.5)."""

    value: float
    text: str
    kind: NumberKind = "number"
    alternatives: list[float] = Field(default_factory=list)
    operand: bool = False  # appears inside an expression whose result is also reported
    mention: bool = False  # a number word used as a quantifier in prose ("one batch"): mentioned, not claimed
    unit: str = ""  # canonical unit written next to it ("cents", "hours", "dollars"), see knowledge.numbers.UNITS
    # kinds: "result" = stated after "=", "computed" = the value of an expression the text did not evaluate

    def readings(self) -> list[float]:
        return [self.value, *self.alternatives]


class Extraction(BaseModel):
    numbers: list[Number] = Field(default_factory=list)  # everything mentioned, operands included
    expressions: list[str] = Field(default_factory=list)

    @property
    def values(self) -> list[Number]:
        """The claimed values: results of expressions and standalone numbers, not operands or prose mentions."""
        return [n for n in self.numbers if not n.operand and not n.mention]


_NUM = r"\d+(?:\.\d+)?|\.\d+"
_RUN_RE = re.compile(r"[-+*/^=().\d\s]*\d[-+*/^=().\d\s]*")
# references, not values: "line 3", "lines 3-5", "step 2", "question #4", "test 2"
_REFERENCE = re.compile(
    r"\b(?:steps?|lines?|questions?|problems?|parts?|pages?|number|no\.|exercises?|examples?|tests?|test cases?|"
    r"cases?|rounds?|sections?|chapters?|lessons?|rows?|columns?|level|version)\s*#?\s*\d+"
    r"(?:\s*(?:-|–|to|and|or|,|&)\s*\d+)*\b|#\d+\b",
    re.IGNORECASE,
)

_UNIT_AFTER = re.compile(r"^\s*([a-z]+)\b", re.IGNORECASE)


def _unit_after(rest: str) -> str:
    m = _UNIT_AFTER.match(rest)
    if not m:
        return ""
    word = m.group(1)
    if word.lower() in {"in", "s", "c", "l", "h", "m"} and not rest.startswith(word):
        return ""  # "3in" and "5m" are units; "3 in the box" is not
    return canonical_unit(word)


_NUMX = r"-?(?:\d+(?:\.\d+)?|\.\d+)(?:/\d+)?"
_EXPR = rf"\(?{_NUMX}\)?(?:\s*[-+*/]\s*\(?{_NUMX}\)?)+"


def normalize_math(text: str, mentions: list[Number] | None = None) -> tuple[str, list[tuple[str, float]]]:
    t = text.replace("\u00a0", " ").replace("×", "*").replace("÷", "/").replace("−", "-").replace("–", "-")
    t = _REFERENCE.sub(" \ue000 ", t)
    pairs: list[tuple[str, float]] | None = None if mentions is None else []
    t, words = replace_number_words(t, mentions=pairs)
    if mentions is not None and pairs:
        mentions.extend(Number(value=value, text=raw, kind="word", mention=True) for raw, value in pairs)
    t = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", t)  # 1,000 -> 1000 (but "1, 2, 3" stays a list)
    t = re.sub(r"[$€£¥]\s?(?=[\d.])", " ", t)  # $10 -> 10 (extract() records the unit from the original text)
    t = re.sub(r"\b\d+(?:st|nd|rd|th)\b", " ", t)  # ordinals are not values
    # operator words between numbers: "4 times 7/8", "12 divided by 3", "5 minus 2", "3 x 4"
    t = re.sub(r"(?<=[\d)])\s*[xX]\s*(?=[\d(])", "*", t)
    # a coefficient of an unknown is no value: "3x/2 dollars", "1.5(2/3x)", "0.3x = 150" (150 still is)
    t = re.sub(
        r"(?<![\w.])(?:\d+(?:\.\d+)?(?:/\d+)?)?\(?\d+(?:\.\d+)?(?:/\d+)?[xyz](?![a-z])(?:\s*/\s*\d+(?:\.\d+)?)?\)?",
        " \ue000 ",
        t,
    )
    ops = [(r"times|multiplied\s+by", "*"), (r"divided\s+by|over", "/"), (r"plus", "+"), (r"minus|take\s+away", "-")]
    for words_re, sym in ops:
        t = re.sub(rf"(?<=[\d)])\s*(?:{words_re})\b\s*(?=[-\d(.])", sym, t)
    # verbs: "multiplied 4 by 7/8", "divide 12 by 3", "added 3 and 4", "subtract 2 from 9"
    verb = r"\b(?:{})\s+({n})\s+(?:{})\s+({n})(?![\d.])"
    t = re.sub(verb.format(r"multipl(?:y|ied|ying)", r"by|and|with", n=_NUMX), r"\1*\2", t, flags=re.I)
    t = re.sub(verb.format(r"divid(?:e|ed|ing)", r"by|into", n=_NUMX), r"\1/\2", t, flags=re.I)
    t = re.sub(verb.format(r"add(?:ed|ing)?", r"and|to|plus", n=_NUMX), r"\1+\2", t, flags=re.I)
    t = re.sub(verb.format(r"subtract(?:ed|ing)?|took|take", r"from", n=_NUMX), r"\2-\1", t, flags=re.I)
    # "of" after a fraction or percent: "half of 12", "2/3 of 12", "20% of 50" (not "2/3 of the way")
    t = re.sub(r"\b(?:a\s+|one\s+)?half\s+(?:of\s+)?(?=\s?\d)", "1/2*", t, flags=re.I)
    t = re.sub(r"(?<![\d.])(\d+/\d+)\s+of\s+(?=\s?\d)", r"\1*", t)
    t = re.sub(r"(?<![\d.])(\d+(?:\.\d+)?)\s*(?:%|percent\b|per cent\b)\s+of\s+(?=\s?\d)", r"(\1/100)*", t)
    t = re.sub(r"\*\s+", "*", t)
    # an expression then its result: "4*7/8 is 3.5", "12+3 makes 15", "4*7/8 and got 3.5"
    t = re.sub(
        rf"({_EXPR})\s*(?:,\s*)?(?:=|is|equals|equal\s+to|makes|gives(?:\s+(?:me|you|us))?|comes\s+to|"
        rf"(?:and\s+|to\s+|so\s+)?(?:i\s+|we\s+|you\s+)?(?:get|got|gets))\s+(?=\s?-?[\d.(])",
        r"\1=",
        t,
        flags=re.I,
    )
    t = re.sub(r"(?<=\d)\s*\^\s*(?=\d)", "**", t)
    return t, words


def extract(text: str) -> Extraction:
    """All numbers in `text`, with expression results marked, operands flagged, prose number words as mentions."""
    mentions: list[Number] = []
    t, words = normalize_math(text, mentions)
    word_values = {v for _, v in words}
    numbers: list[Number] = []
    expressions: list[str] = []

    # percents first: "50%" -> 50 (alternative 0.5); removed from the text so runs don't see them
    def _percent(m: re.Match[str]) -> str:
        v = float(m.group(1))
        numbers.append(Number(value=v, text=m.group(0).strip(), kind="percent", alternatives=[v / 100]))
        return " ; "

    t = re.sub(rf"(?<![\d.])(-?(?:{_NUM}))\s*(?:%|percent\b|per cent\b)", _percent, t)

    # mixed numbers: "3 1/2" -> 3.5, also unsimplified "4 5/4" -> 5.25
    def _mixed(m: re.Match[str]) -> str:
        whole, num, den = int(m.group(1)), int(m.group(2)), int(m.group(3))
        if den == 0:
            return m.group(0)
        v = whole + num / den
        unit = _unit_after(m.string[m.end() :])
        numbers.append(Number(value=v, text=m.group(0).strip(), kind="fraction", unit=unit))
        return " ; "

    t = re.sub(r"(?<![\d.*/+\-])(\d+) (\d+)/(\d+)(?![\d.]|\s*[-+*/=]\s*\S)", _mixed, t)
    plain = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # for the currency sign before a claimed value
    for m in _RUN_RE.finditer(t):
        found = _parse_run(m.group(0).strip(), expressions, word_values)
        claimed = [n for n in found if not n.operand]
        if claimed:
            dollars = re.search(rf"[$]\s?{re.escape(claimed[-1].text)}(?![\d.])", plain)
            claimed[-1].unit = "dollars" if dollars else _unit_after(t[m.start() + len(m.group(0).rstrip()) :])
        numbers.extend(found)
    return Extraction(numbers=numbers + mentions, expressions=expressions)


def _plain_numbers(run: str, word_values: set[float], operand: bool = False) -> list[Number]:
    out = []
    for m in re.finditer(rf"(?<![\d.])-?(?:{_NUM})", run):
        txt = m.group(0)
        v = float(txt)
        kind: NumberKind = "word" if v in word_values else "number"
        out.append(Number(value=v, text=txt, kind=kind, operand=operand))
    return out


def _parse_run(run: str, expressions: list[str], word_values: set[float]) -> list[Number]:
    run = re.sub(r"^\.(?!\d)|\.+$", "", run.strip()).strip()
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
                kind: NumberKind = (
                    "result"
                    if re.fullmatch(rf"-?(?:{_NUM})", p)
                    else ("fraction" if re.fullmatch(r"-?\d+/\d+", p) and v != int(v) else "computed")
                )  # type: ignore[arg-type]
                out.append(Number(value=v, text=p, kind=kind))  # type: ignore[arg-type]
                if kind == "computed":  # "25+10 is 35%": the percent left the chain, its operands stay mentioned
                    out.extend(_plain_numbers(p, word_values, operand=True))
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
