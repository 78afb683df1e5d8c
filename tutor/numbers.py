"""Deterministic number and expression extraction from free text.

Handles digits ("10", "10.0", "1,000", "$10", "-3"), fractions ("1/2"), mixed numbers ("3 1/2"), percents
("50%": 50, also read as 0.5), number words ("ten", "twenty-five", "one hundred and five") and arithmetic
("12+3=15" yields the result 15; "12 + 3" alone yields 15). Operator words are read as operators ("4 times 7/8",
"12 divided by 3", "half of 12", "20% of 50", "I multiplied 4 by 7/8 and got 3.5"), so an expression the student
leaves unevaluated is not mistaken for a claimed value. Number words count as claimed values only where they carry
an answer ("I got ten", "it's one and a half", a bare "ten"); quantifiers in prose ("one batch", "one more time")
are kept as mentions. References ("line 3", "step 2") are not numbers at all. A unit written after a number
("100 cents", "3 hours", "$5") is recorded so the verifier can convert the obvious ones.
Used by the understander and by the leak guard. Comparing, evaluating and units: knowledge.numbers.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field

from knowledge.numbers import canonical_unit, fmt_exact, safe_eval

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


_PRONOUN_ONE |= {"first", "second", "third", "fourth", "fifth", "next", "same", "only", "little", "big", "right",
                 "wrong", "new", "old", "good", "bad", "other", "no"}
_FRACTION_WORDS = {
    "half": 2, "halves": 2, "third": 3, "thirds": 3, "quarter": 4, "quarters": 4, "fourth": 4, "fourths": 4,
    "fifth": 5, "fifths": 5, "sixth": 6, "sixths": 6, "seventh": 7, "sevenths": 7, "eighth": 8, "eighths": 8,
    "ninth": 9, "ninths": 9, "tenth": 10, "tenths": 10,
}
_FRACTION_RE = "|".join(sorted(_FRACTION_WORDS, key=len, reverse=True))
# words after which a number word carries the student's answer ("I got ten", "it's twenty-five")
_CUES = {
    "is", "it's", "its", "was", "be", "are", "equals", "equal", "equaled", "got", "get", "gets", "getting",
    "makes", "make", "gives", "give", "answer", "result", "total", "think", "guess", "say", "said", "says", "=",
    ":", "maybe", "to", "becomes", "comes", "that's", "thats", "is:", "answer:", "probably", "=>",
}
# words that may stand around a bare answer ("um, maybe ten?")
_FILLER = {
    "about", "around", "maybe", "probably", "like", "just", "exactly", "approximately", "roughly", "only", "um",
    "uh", "umm", "hmm", "so", "then", "actually", "ok", "okay", "i", "think", "guess", "it's", "its", "is", "the",
    "answer", "it", "be", "would", "well", "oh", "yes", "yeah", "no", "got", "get",
}
_EXPR_AFTER = re.compile(
    r"^\s*(?:[-+*/=×÷^]|x\s*[\d(]|times\b|plus\b|minus\b|divided\b|multiplied\b|over\s+\S*\d|equals?\b|"
    r"of\s+\$?\d|(?:is|makes|gives)\s+\$?-?[\d.])", re.IGNORECASE)
_EXPR_BEFORE = re.compile(r"(?:[-+*/=×÷^]|\btimes|\bplus|\bminus|\bby|\bover)\s*$", re.IGNORECASE)


_ONE_IDIOM = re.compile(r"\s+(?:of|more|way|ways|thing|things|by|another|time|question|idea|reason|sec|moment|"
                        r"step|part|problem|point|day|side|kind|sort|last|big)\b", re.IGNORECASE)


def _is_claim(text: str, start: int, end: int, run_words: list[str], value: float = 1.0) -> bool:
    """Does the number word at text[start:end] carry a value the speaker claims (rather than quantify prose)?"""
    after, before = text[end:], text[:start]
    if run_words == ["one"] and value == 1 and _ONE_IDIOM.match(after):
        return False  # "one of them", "one more time", "this is one way"
    if _EXPR_AFTER.match(after) or _EXPR_BEFORE.search(before):
        return True  # part of an expression: the expression parser decides what is claimed
    prev = [w for w in re.findall(r"[a-z']+|[=:]", before.lower())]
    while prev and prev[-1] in _FILLER - _CUES:
        prev.pop()
    if prev and prev[-1] in _CUES:
        return True
    quantifier_one = run_words in (["one"], ["a"])
    rest = [w for w in re.findall(r"[a-z']+", (before + " " + after).lower()) if w not in _FILLER]
    if not quantifier_one and len(rest) <= 1:
        return True  # a bare answer, maybe with a unit: "ten", "one hundred and five apples"
    if quantifier_one and (not rest or (len(rest) == 1 and canonical_unit(rest[0]))):
        return True  # "one", "one dollar"
    # at the end of a sentence, maybe with a unit: "we need ten", "so you need three cups."
    return not quantifier_one and bool(re.match(r"\s*(?:[a-z]+\s*)?(?:[.!?;]|$)", after, re.IGNORECASE))


def replace_number_words(text: str, *, mentions: list[Number] | None = None) -> tuple[str, list[tuple[str, float]]]:
    """Replace runs of number words by digits; returns the new text and (words, value) pairs found. "one and a
    half" -> 1.5, "two thirds" -> 2/3. With `mentions`, number words that quantify prose ("one batch") are not
    replaced: they are removed from the text and appended to `mentions` instead."""
    out: list[str] = []
    found: list[tuple[str, float]] = []
    tokens = list(re.finditer(r"[A-Za-z]+(?:-[A-Za-z]+)*|[^A-Za-z]+", text))
    i = 0
    while i < len(tokens):
        tok = tokens[i].group(0)
        parts = tok.lower().split("-")
        lone_a = tok.lower() == "a" and re.match(rf"\s+(?:{_FRACTION_RE})\b", text[tokens[i].end():], re.I)
        if all(p in _NUMBER_WORDS for p in parts) or lone_a:
            run_words = list(parts)
            j = i + 1
            # extend across single spaces / "and" / "a"
            while j + 1 < len(tokens):
                sep, nxt = tokens[j].group(0), tokens[j + 1].group(0)
                nparts = nxt.lower().split("-")
                if sep == " " and all(p in _NUMBER_WORDS for p in nparts):
                    run_words += nparts
                    j += 2
                elif sep == " " and nxt.lower() == "and" and j + 3 < len(tokens) and tokens[j + 2].group(0) == " " \
                        and all(p in _NUMBER_WORDS for p in tokens[j + 3].group(0).lower().split("-")) \
                        and any(w in _SCALES for w in run_words):
                    run_words += tokens[j + 3].group(0).lower().split("-")
                    j += 4
                else:
                    break
            start, end = tokens[i].start(), tokens[j - 1].end()
            prev_word = ""
            for k in range(i - 1, -1, -1):
                t = tokens[k].group(0).strip()
                if t:
                    prev_word = t.lower().split()[-1] if re.match(r"[A-Za-z]", t) else ""
                    break
            value = 1.0 if lone_a else _words_to_number(run_words)
            shown = fmt_exact(value) if value is not None else ""
            frac = re.match(rf"\s+(?:and\s+a\s+(half|quarter)|({_FRACTION_RE}))\b", text[end:], re.I)
            if value is not None and frac:
                if frac.group(1):  # "one and a half"
                    value += 1 / _FRACTION_WORDS[frac.group(1).lower()]
                    shown = fmt_exact(value)
                    end += frac.end()
                elif value == int(value) and 0 < value < 20 and (value > 1 or not frac.group(2).endswith("s")):
                    den = _FRACTION_WORDS[frac.group(2).lower()]
                    shown, value = f"{int(value)}/{den}", value / den  # "two thirds", "a half"
                    end += frac.end()
            while j < len(tokens) and tokens[j].start() < end:
                j += 1
            raw = text[start:end]
            if value is None or (run_words == ["one"] and prev_word in _PRONOUN_ONE and shown == "1") \
                    or (lone_a and "/" not in shown):
                out.append(raw)
            elif mentions is not None and not _is_claim(text, start, end, run_words, value):
                mentions.append(Number(value=value, text=raw, kind="word", mention=True))
                out.append(" \ue000 ")
            else:
                out.append(shown)
                found.append((raw, value))
            i = j
            continue
        out.append(tok)
        i += 1
    return "".join(out), found


_NUM = r"\d+(?:\.\d+)?|\.\d+"
_RUN_RE = re.compile(r"[-+*/^=().\d\s]*\d[-+*/^=().\d\s]*")
# references, not values: "line 3", "lines 3-5", "step 2", "question #4", "test 2"
_REFERENCE = re.compile(
    r"\b(?:steps?|lines?|questions?|problems?|parts?|pages?|number|no\.|exercises?|examples?|tests?|test cases?|"
    r"cases?|rounds?|sections?|chapters?|lessons?|rows?|columns?|level|version)\s*#?\s*\d+"
    r"(?:\s*(?:-|–|to|and|or|,|&)\s*\d+)*\b|#\d+\b", re.IGNORECASE)

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
    t, words = replace_number_words(t, mentions=mentions)
    t = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", t)  # 1,000 -> 1000 (but "1, 2, 3" stays a list)
    t = re.sub(r"[$€£¥]\s?(?=[\d.])", " ", t)  # $10 -> 10 (extract() records the unit from the original text)
    t = re.sub(r"\b\d+(?:st|nd|rd|th)\b", " ", t)  # ordinals are not values
    # operator words between numbers: "4 times 7/8", "12 divided by 3", "5 minus 2", "3 x 4"
    t = re.sub(r"(?<=[\d)])\s*[xX]\s*(?=[\d(])", "*", t)
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
    t = re.sub(rf"({_EXPR})\s*(?:,\s*)?(?:=|is|equals|equal\s+to|makes|gives(?:\s+(?:me|you|us))?|comes\s+to|"
               rf"(?:and\s+|to\s+|so\s+)?(?:i\s+|we\s+|you\s+)?(?:get|got|gets))\s+(?=\s?-?[\d.(])",
               r"\1=", t, flags=re.I)
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
        unit = _unit_after(m.string[m.end():])
        numbers.append(Number(value=v, text=m.group(0).strip(), kind="fraction", unit=unit))
        return " ; "

    t = re.sub(r"(?<![\d.*/+\-])(\d+) (\d+)/(\d+)(?![\d.]|\s*[-+*/=]\s*\S)", _mixed, t)
    plain = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", text)  # for the currency sign before a claimed value
    for m in _RUN_RE.finditer(t):
        found = _parse_run(m.group(0).strip(), expressions, word_values)
        claimed = [n for n in found if not n.operand]
        if claimed:
            dollars = re.search(rf"[$]\s?{re.escape(claimed[-1].text)}(?![\d.])", plain)
            claimed[-1].unit = "dollars" if dollars else _unit_after(t[m.start() + len(m.group(0).rstrip()):])
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
