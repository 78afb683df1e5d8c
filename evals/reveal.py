"""Does a tutor reply reveal the answer, in MRBench's sense (`Revealing_of_the_Answer`)?

MRBench's annotators mark a reply as revealing when it states the final answer of the problem (`Yes (and the
answer is correct)`) or states some final answer that is wrong (`Yes (but the answer is incorrect)`). That is
narrower than the tutor's own guard (tutor/guard.py), which must also stop step values and stays strict. Here:

- the final answer's value counts only **in the answer's sense**: "$50" is not the answer "50 students", "100
  cents" is not "$100", "20 candles" is not "$20", "4 weeks" is not "4 balls" (the noun or currency written next
  to the number is compared with the one next to the answer in the ground-truth solution);
- an operand is not a statement of the value: "added $60 million", "60 + 20 = 80", "3 x 4";
- a number of the problem statement counts only with the answer's noun or in an answer phrase;
- a wrong final answer is revealed when a reply states a value of the answer's sense in an answer phrase ("the
  total cost would be $1", "the correct number of balls left, which is 5", "a profit of $126, that's correct"), or
  writes the answer phrase after it ("7 is the answer"), or a value of the answer's sense for one of the unit
  the question asks about ("$6 per kg" when asked "how much for 1 kg?");
- a repeating decimal cut off with an ellipsis is its value ("0.666..." is 2/3).
- the answer inside a question the reply asks is asked, not stated ("wouldn't taking 0 from 4 give us 4?"),
  unless an answer phrase comes before it.

Numbers are read with tutor.numbers (number words, thousands separators); this module only adds the context.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from knowledge.numbers import fmt, stands_for
from knowledge.words import STOP_WORDS, word_set
from tutor.number_words import replace_number_words

_NUMBER = re.compile(r"(?<![\d.])\d+(?:\.\d+)?(?![\d])")
# words between a number and its noun that do not change its sense ("30 more minutes", "60 million dollars")
_SKIP = {
    "more",
    "less",
    "fewer",
    "extra",
    "additional",
    "total",
    "whole",
    "full",
    "million",
    "thousand",
    "billion",
    "hundred",
    "new",
    "different",
    "remaining",
    "left",
    "other",
}
# words after a number that are not its noun
_NOT_NOUN = STOP_WORDS | word_set(
    "again all also both correct divided each equals every first gives her his instead into makes many may might "
    "minus much multiplied must nor now only our per plus rather right since their them these those times us while "
    "wrong x yet"
)
_OPERAND_VERB = re.compile(
    r"\b(?:add|added|adding|subtract|subtracted|subtracting|minus|plus|multiply|multiplied|"
    r"multiplying|divide|divided|dividing|by|from|times|take away|took away|over)\s*\$?\s*$",
    re.IGNORECASE,
)
# a value stated as the answer to the question: "the answer is", "the total cost would be", "the correct number
# of balls left, which is", "a profit of"; "a total of" alone is too common for intermediate sums
_ANSWER_PHRASE = re.compile(
    r"(?:\b(?:answer|result|final|solution|profit|total (?:cost|price|amount|time|number)|(?:correct|right|actual) "
    r"(?:total|number|amount|cost|price))\b[^.;!?\d$]{0,60}?"
    r"|\b(?:correct|right|actual) total\b[^.;!?]{0,60}?)"
    r"(?:\b(?:is|was|would be|should be|will be|must be|comes to|equals|of|be)|=)\s*"
    r"(?:actually|indeed|just|only|exactly|really|still)?\s*\$?\s*$",
    re.IGNORECASE,
)
# the answer phrase written after the number: "7 is the answer", "12 would be the correct answer"
_ANSWER_AFTER = re.compile(
    r"^\s*(?:is|was|would be|should be|will be)\s+(?:the|your|our)\s+(?:correct |right |final )?answer\b", re.I
)
_ANSWER_CUE = re.compile(r"\b(?:answer|result|total|altogether|in all|final)\b[^.;!?]{0,40}$", re.IGNORECASE)
# verbs that state a sum as the outcome: "it totals to 75 haircuts", "that adds up to 40 minutes"
_ANSWER_VERB = re.compile(
    r"\b(?:totals?|totaled|totalling|adds? up|added up|comes? to|came to)(?: up)?(?: to)?\s*\$?\s*$", re.IGNORECASE
)


@dataclass(frozen=True)
class Sense:
    """What a number is written as: money or not, and the noun after it ('' when none is written)."""

    money: bool = False
    cents: bool = False
    noun: str = ""


@dataclass(frozen=True)
class Occurrence:
    value: float
    sense: Sense
    operand: bool
    before: str  # the text before the number (normalized), for phrase checks
    after: str = ""  # the text after it (normalized, 60 characters)
    asked: bool = False  # its sentence is a question ("wouldn't subtracting 0 from 4 give us 4?")
    negated: bool = False  # its clause says "not" / "n't" before it: "doesn't mean each group is 30%"
    decimals: int | None = None  # a decimal cut off with an ellipsis ("0.666..."): the digits it keeps

    def stands_for(self, true: float) -> bool:
        """The number is `true`, also as a repeating decimal cut off with an ellipsis ("0.666..." is 2/3)."""
        if stands_for(self.value, true):
            return True
        return (
            self.decimals is not None and math.floor(true * 10**self.decimals + 1e-9) / 10**self.decimals == self.value
        )


@dataclass
class AnswerKey:
    """The final answer of a problem with its sense, and the numbers of its statement."""

    value: float
    sense: Sense
    statement: list[Occurrence] = field(default_factory=list)
    aliases: frozenset[str] = frozenset()  # nouns written next to the answer's noun ("permit applications")
    other_senses: bool = False  # the problem's text writes the answer's value meaning something else ("$150")
    per: str = ""  # the unit the question asks the answer for ("How much did she pay for 1 kg?" -> "kg")

    def in_statement(self, value: float, *, any_sense: bool = False) -> bool:
        """The statement writes `value` in the answer's sense (or with none written; with `any_sense`, in any)."""
        return any(stands_for(o.value, value) and (any_sense or self.compatible(o.sense)) for o in self.statement)

    def compatible(self, sense: Sense) -> bool:
        return same_sense(sense, self.sense) or bool(sense.noun and sense.noun in self.aliases)

    def named_by(self, sense: Sense) -> bool:
        """`sense` writes the answer's own noun or currency."""
        if sense.money or sense.cents:
            return sense.money == self.sense.money and sense.cents == self.sense.cents
        return bool(sense.noun) and (
            sense.noun in self.aliases or self.sense.noun != "" and same_sense(sense, self.sense)
        )


@dataclass
class Reveal:
    leaks: bool = False
    correct: bool | None = None  # True: states the right answer; False: states a wrong final answer
    reasons: list[str] = field(default_factory=list)


def _normalize(text: str) -> str:
    t = text.replace("\u00a0", " ").replace("×", "*").replace("÷", "/").replace("−", "-").replace("\\n", "\n")
    t, _ = replace_number_words(t, mentions=[])  # prose quantifiers ("one of the blocks") are dropped
    return re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", t)


def _noun(after: str) -> str:
    for word in re.findall(r"[A-Za-z][A-Za-z-]*", after[:40])[:3]:
        w = word.lower()
        if w in _SKIP:
            continue
        if w in _NOT_NOUN:
            return ""
        return _stem(w)
    return ""


def _stem(word: str) -> str:
    w = word.lower().replace("-", "")
    for suffix in ("ies", "es", "s"):
        if w.endswith(suffix) and len(w) > len(suffix) + 2:
            return w[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return w


def occurrences(text: str) -> list[Occurrence]:
    """Every number written in `text`, with its sense and whether it is an operand of a written operation."""
    t = _normalize(text)
    out = []
    for m in _NUMBER.finditer(t):
        before, after = t[: m.start()], t[m.end() :]
        cents = bool(re.match(r"\s*(?:cents?\b|¢)", after, re.IGNORECASE))
        money = bool(re.search(r"[$€£]\s*$", before)) or bool(re.match(r"\s*(?:dollars?|bucks)\b", after, re.I))
        noun = "" if money or cents else ("percent" if re.match(r"\s*%", after) else _noun(after))
        followed_by_op = bool(re.match(r"\s*(?:[-+*/x]|times\b|divided\b|plus\b|minus\b)\s*\$?\s*\(?\d", after))
        preceded_by_op = bool(re.search(r"\d\s*\)?\s*[-+*/x]\s*\$?\s*$", before))
        operand = followed_by_op or preceded_by_op or bool(_OPERAND_VERB.search(before[-30:]))
        clause = re.split(r"[.;:!?,\n]\s", before)[-1]
        out.append(
            Occurrence(
                value=float(m.group(0)),
                sense=Sense(money=money, cents=cents, noun=noun),
                operand=operand,
                before=before[-120:],
                after=after[:60],
                asked=bool(re.match(r"[^.!?\n]*\?", after)),
                negated=bool(re.search(r"\b(?:not|never|no)\b|n't\b", clause, re.IGNORECASE)),
                decimals=len(m.group(0).split(".")[1])
                if "." in m.group(0) and re.match(r"(?:\.\.\.|…)", after)
                else None,
            )
        )
    return out


def _is_result(before: str) -> bool:
    """The number follows "=" after an arithmetic expression ("243 - 80 = 163"), not after an equation with an
    unknown ("3x/2 = 150", "0.1x = $50")."""
    m = re.search(r"((?:[\d.$()]+|\b[A-Za-z]\b|\d+[A-Za-z]+\b|\s+|[-+*/])+)=\s*\$?\s*$", before)
    return bool(m and re.search(r"\d", m.group(1)) and not re.search(r"[A-Za-z]", m.group(1)))


def answer_key(solution: str, answer: float, statement: str = "") -> AnswerKey:
    """The answer's sense from the ground-truth solution: the last step line that writes the answer's value."""
    lines = [ln for ln in solution.replace("\u00a0", " ").splitlines() if ln.strip()]
    sense = Sense()
    for ln in reversed(lines[:-1] if len(lines) > 1 else lines):
        hits = [o for o in occurrences(ln) if stands_for(o.value, answer) and not o.operand]
        if hits:  # a result with a sense ("= $100"), else the last that writes one ("50 students because ... = 50")
            written = [o for o in hits if o.sense != Sense()]
            results = [o for o in written if re.search(r"=\s*\$?\s*$", o.before)]
            sense = (results or written or hits)[-1].sense
            break
    key = AnswerKey(
        value=answer,
        sense=sense,
        statement=occurrences(statement),
        aliases=_aliases(sense.noun, f"{statement}\n{solution}"),
    )
    asks = re.findall(r"[^.?!]*\?", statement)
    per = re.search(r"\b(?:for|per|of) (?:1|one|a|an|each) ?([a-z]+)\b", asks[-1] if asks else "", re.IGNORECASE)
    key.per = _stem(per.group(1)) if per and per.group(1).lower() not in _NOT_NOUN else ""
    key.other_senses = any(
        stands_for(o.value, answer) and o.sense != Sense() and not key.compatible(o.sense)
        for o in occurrences(f"{statement}\n{solution}")
    )
    return key


def _aliases(noun: str, text: str) -> frozenset[str]:
    """The word written right after the answer's noun in the problem's text: "permit applications" makes
    "application" another name of "permit"."""
    if not noun:
        return frozenset()
    words = [w.lower() for w in re.findall(r"[A-Za-z][A-Za-z-]*", text)]
    out = {noun}
    for w, nxt in zip(words, words[1:], strict=False):
        if _stem(w) == noun and nxt not in _NOT_NOUN and nxt not in _SKIP:
            out.add(_stem(nxt))
    return frozenset(out)


def same_sense(a: Sense, b: Sense) -> bool:
    """False only when what is written contradicts: another currency/unit or another noun."""
    if a.cents != b.cents and (a.cents or b.cents) and (a.money or b.money):
        return False
    if a.money != b.money:
        other = b if a.money else a
        return not other.noun or other.noun == "dollar"
    if a.noun and b.noun:
        return a.noun == b.noun or a.noun.startswith(b.noun) or b.noun.startswith(a.noun)
    return True


def reveals_answer(reply: str, key: AnswerKey) -> Reveal:
    """MRBench's `Revealing_of_the_Answer` as a decision: does `reply` state the final answer (right or wrong)?"""
    result = Reveal()
    for o in occurrences(reply):
        if o.operand or o.negated or not key.compatible(o.sense):
            continue
        explicit = key.named_by(o.sense)
        if o.stands_for(key.value):
            if o.asked and not _ANSWER_CUE.search(o.before[-60:]):
                continue  # asked, not stated: "wouldn't taking 0 from 4 just give us 4?"
            # written with no sense, a value the problem also uses for something else is that, unless it is stated
            # as a result
            if (
                not explicit
                and (key.in_statement(key.value, any_sense=True) or key.other_senses)
                and not (_is_result(o.before) or _ANSWER_CUE.search(o.before[-60:]))
            ):
                continue
            result.leaks, result.correct = True, True
            result.reasons.append(f"states the final answer {fmt(key.value)}")
        elif key.in_statement(o.value):
            continue
        elif (
            (phrase := _ANSWER_PHRASE.search(o.before[-90:]))
            and (explicit or _names_the_answer(phrase.group(0), key))
            or explicit
            and _ANSWER_VERB.search(o.before[-40:])
            or _ANSWER_AFTER.search(o.after)
            or explicit
            and _per_unit(o.after, key.per)
        ):
            result.leaks = True
            result.correct = result.correct or False
            result.reasons.append(f"states {fmt(o.value)} as the answer (the answer is {fmt(key.value)})")
    return result


def _per_unit(after: str, unit: str) -> bool:
    """The number is written for one of the unit the question asks about: "$6 per kg", "$6/kg", "$6 a kg"."""
    if not unit:
        return False
    m = re.match(r"\s*(?:per|/|a|an|each|for (?:1|one|a|an|each)) ?([a-z]+)", after, re.IGNORECASE)
    return bool(m and _stem(m.group(1)) == unit)


def _names_the_answer(phrase: str, key: AnswerKey) -> bool:
    """An answer phrase for a number written without a sense must name the answer's noun ("the correct number of
    balls left, which is 5"), not another quantity ("the total number of towels ... is 12")."""
    m = re.search(r"\bnumber of ([a-z-]+)", phrase, re.IGNORECASE)
    return bool(m and key.sense.noun and same_sense(Sense(noun=_stem(m.group(1))), key.sense))


def naive_reveals(reply: str, answer: float) -> bool:
    """The baseline: the reply contains the final answer's number anywhere."""
    return any(stands_for(o.value, answer) for o in occurrences(reply))
