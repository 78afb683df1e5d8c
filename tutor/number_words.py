"""Number words in prose, read as digits: "ten", "twenty-five", "one hundred and five", "one and a half", "two thirds".

`replace_number_words` rewrites runs of number words as digits and tells a value the speaker claims ("I got ten",
a bare "ten") from a quantifier in prose ("one batch", "one more time"), which is left out as a mention. "one" after
a determiner ("which one") is a pronoun, not a number. Used by `tutor.numbers.normalize_math` (and evals.reveal);
the Number model and the reading of digits and expressions are in tutor.numbers.
"""

from __future__ import annotations

import re

from knowledge.numbers import NUMBER_WORDS, canonical_unit, fmt_exact

_UNITS = {w: v for w, v in NUMBER_WORDS.items() if v < 20}
_TENS = {w: v for w, v in NUMBER_WORDS.items() if 20 <= v < 100} | {"fourty": 40}
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


_PRONOUN_ONE |= {
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "next",
    "same",
    "only",
    "little",
    "big",
    "right",
    "wrong",
    "new",
    "old",
    "good",
    "bad",
    "other",
    "no",
}
_FRACTION_WORDS = {
    "half": 2,
    "halves": 2,
    "third": 3,
    "thirds": 3,
    "quarter": 4,
    "quarters": 4,
    "fourth": 4,
    "fourths": 4,
    "fifth": 5,
    "fifths": 5,
    "sixth": 6,
    "sixths": 6,
    "seventh": 7,
    "sevenths": 7,
    "eighth": 8,
    "eighths": 8,
    "ninth": 9,
    "ninths": 9,
    "tenth": 10,
    "tenths": 10,
}
_FRACTION_RE = "|".join(sorted(_FRACTION_WORDS, key=len, reverse=True))
# words after which a number word carries the student's answer ("I got ten", "it's twenty-five")
_CUES = {
    "is",
    "it's",
    "its",
    "was",
    "be",
    "are",
    "equals",
    "equal",
    "equaled",
    "got",
    "get",
    "gets",
    "getting",
    "makes",
    "make",
    "gives",
    "give",
    "answer",
    "result",
    "total",
    "think",
    "guess",
    "say",
    "said",
    "says",
    "=",
    ":",
    "maybe",
    "to",
    "becomes",
    "comes",
    "that's",
    "thats",
    "is:",
    "answer:",
    "probably",
    "=>",
}
# words that may stand around a bare answer ("um, maybe ten?")
_FILLER = {
    "about",
    "around",
    "maybe",
    "probably",
    "like",
    "just",
    "exactly",
    "approximately",
    "roughly",
    "only",
    "um",
    "uh",
    "umm",
    "hmm",
    "so",
    "then",
    "actually",
    "ok",
    "okay",
    "i",
    "think",
    "guess",
    "it's",
    "its",
    "is",
    "the",
    "answer",
    "it",
    "be",
    "would",
    "well",
    "oh",
    "yes",
    "yeah",
    "no",
    "got",
    "get",
}
_EXPR_AFTER = re.compile(
    r"^\s*(?:[-+*/=×÷^]|x\s*[\d(]|times\b|plus\b|minus\b|divided\b|multiplied\b|over\s+\S*\d|equals?\b|"
    r"of\s+\$?\d|(?:is|makes|gives)\s+\$?-?[\d.])",
    re.IGNORECASE,
)
_EXPR_BEFORE = re.compile(r"(?:[-+*/=×÷^]|\btimes|\bplus|\bminus|\bby|\bover)\s*$", re.IGNORECASE)


_ONE_IDIOM = re.compile(
    r"\s+(?:of|more|way|ways|thing|things|by|another|time|question|idea|reason|sec|moment|"
    r"step|part|problem|point|day|side|kind|sort|last|big)\b",
    re.IGNORECASE,
)


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


def replace_number_words(
    text: str, *, mentions: list[tuple[str, float]] | None = None
) -> tuple[str, list[tuple[str, float]]]:
    """Replace runs of number words by digits; returns the new text and (words, value) pairs found. "one and a
    half" -> 1.5, "two thirds" -> 2/3. With `mentions`, number words that quantify prose ("one batch") are not
    replaced: they are removed from the text and appended to `mentions` as (words, value) instead."""
    out: list[str] = []
    found: list[tuple[str, float]] = []
    tokens = list(re.finditer(r"[A-Za-z]+(?:-[A-Za-z]+)*|[^A-Za-z]+", text))
    i = 0
    while i < len(tokens):
        tok = tokens[i].group(0)
        parts = tok.lower().split("-")
        lone_a = tok.lower() == "a" and re.match(rf"\s+(?:{_FRACTION_RE})\b", text[tokens[i].end() :], re.I)
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
                elif (
                    sep == " "
                    and nxt.lower() == "and"
                    and j + 3 < len(tokens)
                    and tokens[j + 2].group(0) == " "
                    and all(p in _NUMBER_WORDS for p in tokens[j + 3].group(0).lower().split("-"))
                    and any(w in _SCALES for w in run_words)
                ):
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
            if (
                value is None
                or (run_words == ["one"] and prev_word in _PRONOUN_ONE and shown == "1")
                or (lone_a and "/" not in shown)
            ):
                out.append(raw)
            elif mentions is not None and not _is_claim(text, start, end, run_words, value):
                mentions.append((raw, value))
                out.append(" \ue000 ")
            else:
                out.append(shown)
                found.append((raw, value))
            i = j
            continue
        out.append(tok)
        i += 1
    return "".join(out), found
