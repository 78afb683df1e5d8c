"""Concept phrases for solution steps: what a step finds, in words, with no expression, no blank and no value.

A MathDial ground-truth line is a worked sentence ("3 other people are bidding on the desk so there are 3 bids *
$50 per bid = $150 added to the cost"); a question built on it must name the quantity ("how much money the bids add
to the cost"), not show the arithmetic or leave a gap where the result was. `concept_phrase` rewrites such a line
deterministically:

- an instruction ("First find how many years Marcy works: 30 - 20 = 10") -> what it finds ("how many years Marcy
  works"), without the method ("by multiplying ...");
- a sentence with the equation (or a claim "because <equation>") -> the clause around the result: "<name> is
  <equation>" -> the name; "<subject> <verb> <equation> <unit> <rest>" -> "how many <unit> <subject> <verb> <rest>"
  ("how much" for money, "what percent" for percents, "how old" for ages); a leading condition ("If all 3
  stoplights are red, ...") goes to the end when its numbers are given in the problem;
- anything else -> "the number of <unit>" / "the amount of money", or "the result of step N".

The result is checked: no '=', no arithmetic between numbers, no blank, not the step's own value, and (when the
statement is given) no number the statement does not contain. A phrase that fails a check is dropped for the next
candidate. Clean descriptions (the starter bank's "Find the sale price.") pass through as before.
"""

from __future__ import annotations

import re

from knowledge.numbers import NUMBER_WORDS, close

_NUM = r"(?:\d[\d,]*(?:\.\d+)?|\.\d+)"
_NUM_TOKEN = re.compile(rf"[$\u20ac\u00a3]?\s?{_NUM}\s?%?")
_CURRENCY = "$\u20ac\u00a3"
_ARITH = re.compile(  # arithmetic between numbers; a written fraction ("3/4") is a number
    rf"{_NUM}\s*%?\s*[-+*x\u00d7\u00f7]\s*[$\u20ac\u00a3]?\s*{_NUM}|{_NUM}\s*%?(?:\s+/\s*|\s*/\s+)[$]?{_NUM}|"
    rf"[$\u20ac\u00a3]{_NUM}\s*/\s*[$]?{_NUM}|{_NUM}\s*/\s*[$\u20ac\u00a3]{_NUM}"
)
_BLANK = re.compile(r"\u2026|\.\.\.|_{2,}")
_FIND = re.compile(
    r"(?:^|[,;:]\s*|\b(?:first|then|next|now|finally|so|and|we|to)\s+)(?:let'?s\s+|we\s+(?:can\s+|need\s+to\s+)?)?"
    r"(?:find(?:\s+out)?|figure\s+out|calculate|compute|work\s+out|determine|get|see)\s+(?P<t>.{3,})$",
    re.I,
)
_METHOD = re.compile(
    r"\s+(?:by|using)\s+(?:\w+ing)\b.*$|\s*[:;](?=\s|$).*$|\s+(?:we|you)\s+(?:need|have)\s+to\b.*$", re.I
)
_LEAD_WORDS = re.compile(
    r"^(?:(?:so|thus|therefore|hence|then|next|now|finally|first|second|third|lastly|also|and|but|in total|"
    r"altogether|in all|overall|so far|currently|now|that means|this means|which means|it means|that'?s)\b"
    r"[\s,]*)+",
    re.I,
)
_COPULA = re.compile(
    r"\s+(?:is|are|was|were|will be|would be|equals|is equal to|are equal to|comes to|came to|must be|should be)"
    r"(?:\s+(?:a total of|about|then|now|still|equal to|therefore))*$",
    re.I,
)
_SUBORDINATE = re.compile(r"^(?:if|when|after|before|once|while|over|in|on|for|during|with|by|at|from)\b", re.I)
_CONDITION = re.compile(r"^(?:if|when|after|before|once|while|during)\b", re.I)
_REASON = re.compile(r"^(?:since|because|as|given)\b", re.I)
_PRONOUN_SPLIT = re.compile(
    r"^(?P<ctx>(?:if|when|after|before|once|over|in|on|for|during|by|at)\b.+?)\s+"
    r"(?P<main>(?:he|she|they|it|we|i|you|there)\b.*)$",
    re.I,
)
# fmt: off
_STOP = {"in", "on", "at", "for", "to", "from", "per", "each", "that", "which", "who", "with", "by", "towards",
         "toward", "into", "after", "before", "left", "could", "would", "will", "can", "should", "must", "might",
         "are", "is", "was", "were", "have", "has", "had", "do", "does", "did", "so", "and", "because", "than",
         "as", "altogether", "total", "if", "when", "over", "during", "now", "then", "more", "less", "fewer"}
_COMMON = {"the", "there", "he", "she", "it", "they", "we", "that", "this", "his", "her", "their", "its", "each",
           "a", "an", "in", "on", "at", "if", "since", "when", "after", "before", "over", "for", "during", "our",
           "all", "both", "every", "one", "some", "these", "those", "then", "so", "you", "your", "my", "first",
           "next", "last", "total", "find", "how", "what", "two", "three", "four", "five", "six", "seven", "eight",
           "nine", "ten", "half", "twice"}
# fmt: on
_TAIL_WORDS = re.compile(
    r"(?:\s+|^)(?:a total of|a total|total of|the|a|an|about|only|exactly|another|an extra|"
    r"of|or|and|by)$",
    re.I,
)
_PRONOUN_NP = {"this", "that", "it", "they", "these", "those", "which"}
_MONEY_WORDS = re.compile(
    r"\b(?:dollars?|cents?|euros?|pounds sterling|money|cost|price|paid|pay|spend|spent|"
    r"earn\w*|save\w*|budget|bill|change|salary|wage|profit|charge\w*|fee)\b",
    re.I,
)


def _lower_first(text: str) -> str:
    text = text.strip()
    first = text.split(" ", 1)[0]
    if first.lower().strip(",") in _COMMON or (
        len(first) > 1 and first[0].isupper() and first[1:].islower() and first.lower() in _COMMON
    ):
        return first.lower() + text[len(first) :]
    return text


_WORDS = {w: float(v) for w, v in NUMBER_WORDS.items() if v <= 20}


def _numbers(text: str) -> list[float]:
    """The numbers written in digits or as a word up to twenty ("five quarters")."""
    out = [_WORDS[w] for w in re.findall(r"[a-z]+", text.lower()) if w in _WORDS]
    for m in re.finditer(_NUM, text):
        try:
            out.append(float(m.group(0).replace(",", "")))
        except ValueError:
            continue
    return out


def acceptable(phrase: str, value: float | None = None, given: list[float] | None = None) -> bool:
    """No '=', no arithmetic, no blank, not the value; for a worked line (`given` not None) only the statement's
    numbers and no clause cut in the middle."""
    if (
        not phrase
        or len(phrase.split()) < 2
        or re.search(r"[=*+\u00d7\u00f7]|\s[-/]\s", phrase)
        or _ARITH.search(phrase)
        or _BLANK.search(phrase)
    ):
        return False
    if given is not None and (  # a worked line's clause cut in the middle ("... bags he made for"), or run on
        re.search(
            r"\b(?:for|in|on|at|of|to|with|by|from|which|that|who|and|or|meaning|because|so|than|as)$", phrase, re.I
        )
        or re.search(r"\s(?:He|She|They|It|We)(?:'s|'re)?\b", phrase)
    ):
        return False
    nums = _numbers(phrase)
    if value is not None and any(close(n, value) for n in nums):
        return False
    return given is None or all(any(close(n, g) for g in given) for n in nums)


def _tidy(text: str) -> str:
    text = re.sub(r"\s+", " ", text.replace("\u2019", "'")).strip(" ,;:.-")
    return re.sub(r"\s+([,.;:?!])", r"\1", text)


def _find_phrase(text: str) -> str | None:
    """The object of an instruction: 'Then find how many onions she needs by multiplying ...' -> 'how many onions
    she needs'."""
    m = _FIND.search(text.split("=")[0] if "=" in text else text)
    if not m:
        return None
    t = _METHOD.sub("", m.group("t"))
    t = re.split(r",\s*(?:then\s+)?(?:divide|multiply|add|subtract|take|use|so|we|you)\b", t, maxsplit=1, flags=re.I)[0]
    if "=" in text and re.search(r"[-+*/x\u00d7]\s*[$]?\d", t):  # the equation's left side came along
        t = re.sub(rf"[\s,]*[$\u20ac\u00a3]?{_NUM}.*$", "", t)
    return _tidy(t) or None


def _split_value(text: str, value: float) -> tuple[str, str, bool, bool] | None:
    """(lead, suffix, money, percent) around the step's result in its clause; None when it cannot be found."""
    if "=" in text:
        first, last = text.index("="), text.rindex("=")
        right = text[last + 1 :]
        tok = re.match(rf"\s*([{_CURRENCY}])?\s*({_NUM})\s*([{_CURRENCY}%])?", right)
        if not tok or re.match(r"\s*\d+:\d", right):  # a clock time is no quantity
            return None
        suffix = right[tok.end() :]
        money = bool(tok.group(1)) or (tok.group(3) or "") in _CURRENCY and bool(tok.group(3))
        percent = tok.group(3) == "%"
        left = text[:first]
        # the expression starts at the first number of the run of numbers, operators and unit words before '='
        nums = list(_NUM_TOKEN.finditer(left))
        if not nums:
            return None
        start = nums[-1].start()
        for prev, cur in zip(reversed(nums[:-1]), reversed(nums[1:]), strict=False):
            between = left[prev.end() : cur.start()]
            if re.search(r"[-+*/x\u00d7\u00f7(]", between) and len(between.split()) <= 5:
                start = prev.start()
            else:
                break
        lead = left[:start].rstrip(" (")
        money = money or any(c in left[start:] for c in _CURRENCY)
        percent = percent or "%" in left[start:] and not money
        # a claim with its reason: "He spent $2 on gumballs because 40 x .05 = 2"
        reason = re.search(r"\s+(?:because|since|as|so)\s*$|\s*[:,]\s*$", lead, re.I)
        if reason and re.search(rf"[$]?{_NUM}", lead[: reason.start()]):
            claim = lead[: reason.start()]
            hit = _value_in(claim, value)
            if hit:
                return claim[: hit[0]], claim[hit[1] :], hit[2], hit[3]
        return lead, suffix, money, percent
    hit = _value_in(text, value)
    return (text[: hit[0]], text[hit[1] :], hit[2], hit[3]) if hit else None


def _value_in(text: str, value: float) -> tuple[int, int, bool, bool] | None:
    for m in re.finditer(rf"([{_CURRENCY}])?\s?({_NUM})\s?([{_CURRENCY}%])?", text):
        try:
            v = float(m.group(2).replace(",", ""))
        except ValueError:
            continue
        if close(v, value) or (m.group(3) == "%" and close(v / 100, value)):
            return m.start(), m.end(), bool(m.group(1)) or bool(m.group(3) and m.group(3) != "%"), m.group(3) == "%"
    return None


def _noun(suffix: str) -> tuple[str, str, bool]:
    """(unit noun phrase, the rest, ordinal) of the text after the result: 'glass panels in the house'."""
    s = re.split(r"(?<=[.!?])\s|\s+because\b|;|,\s*(?:so|and|which)\b", suffix.strip(), maxsplit=1)[0]
    s = _tidy(s)
    ordinal = bool(re.match(r"(?:st|nd|rd|th)\b", s))
    if ordinal:
        s = s[2:].strip()
    s = s.replace("/", " per ")
    words = s.split()
    noun: list[str] = []
    for w in words:
        lw = w.lower().strip(",.")
        if noun and lw in _STOP:
            break
        if not noun and lw in _STOP - {"more", "less", "fewer"}:
            break
        noun.append(w.strip(","))
        if len(noun) >= 5:
            break
    return " ".join(noun), _tidy(" ".join(words[len(noun) :])), ordinal


def _clause_phrase(lead: str, suffix: str, money: bool, percent: bool) -> list[str]:
    """Candidate phrases, best first, from the text before and after the result."""
    lead = _tidy(lead)
    context = ""
    if re.search(r",\s", lead):
        head, _, main = lead.rpartition(", ")
        if main.lower().startswith("then "):
            main = main[5:]
        context, lead = head, main
    if " so " in f" {lead.lower()} ":
        idx = lead.lower().rfind(" so ")
        context, lead = (context + " " + lead[:idx]).strip(), lead[idx + 4 :]
    split = _PRONOUN_SPLIT.match(lead)
    if split and not _COPULA.search(split.group("ctx")):
        context, lead = (context + " " + split.group("ctx")).strip(), split.group("main")
    lead = _LEAD_WORDS.sub("", lead).strip()
    lead = re.sub(r"^(?:that|it|this)\s+means\s+|^or\b\s*", "", lead, flags=re.I).strip()
    lead = _TAIL_WORDS.sub("", lead).strip()
    context = _LEAD_WORDS.sub("", _tidy(context)).strip()
    if not lead and context and not _REASON.match(context):
        lead, context = _TAIL_WORDS.sub("", context).strip(), ""
    if (
        _REASON.match(context)
        or context
        and not (_CONDITION.match(context) or _SUBORDINATE.match(context) and re.search(r"\d", context))
    ):
        context = ""
    noun, rest, ordinal = _noun(suffix)
    if noun.lower() in ("dollars", "dollar", "cents", "euros") or money or percent:
        money = money or not percent
        if noun.lower() not in ("money", "cents"):
            rest = suffix if noun.lower() not in ("dollars", "dollar", "euros", "euro") else rest
            noun = ""
    out: list[str] = []
    there = re.fullmatch(r"there\s+(is|are|was|were|will be)", lead, re.I)
    if there and money and rest:  # "there are $150 added to the cost" -> "how much money is added to the cost"
        verb = {"are": "is", "were": "was"}.get(there.group(1).lower(), there.group(1).lower())
        out.append(_tidy(f"how much money {verb} {rest}"))
    cop = _COPULA.search(" " + lead)
    if cop:
        np = _tidy((" " + lead)[: cop.start()])
        verb = _tidy((" " + lead)[cop.start() :])
        if noun.lower().startswith("years old"):
            out.append(f"how old {_lower_first(np)} {verb}")
        elif np and np.lower() not in _PRONOUN_NP and len(np.split()) >= 2 and not ordinal:
            out.append(_lower_first(np))
        elif np:
            wh = "how much" if money else "what percent" if percent else f"how many {noun}" if noun else "what"
            out.append(_tidy(f"{wh} {_lower_first(np)} {verb} {rest}"))
    if ordinal and noun:
        out.append(_tidy(f"which {noun} {_lower_first(lead)}"))
    elif lead or noun or rest:
        if money and not noun:
            wh = "how much"
        elif percent and not noun:
            wh = "what percent"
        elif noun:
            wh = f"how much {noun}" if money and noun.lower() == "money" else f"how many {noun}"
        else:
            wh = "how much"
        body = _lower_first(lead) if lead else ""
        out.append(_tidy(f"{wh} {body} {rest}"))
        if rest and body:
            out.append(_tidy(f"{wh} {body}"))
    if context:
        out = [_tidy(f"{p} {_lower_first(context)}") for p in out] + out
    noun = re.sub(r"^(?:more|fewer|less|extra|additional)\s+", "", noun, flags=re.I)
    if noun and not money and re.fullmatch(r"[A-Za-z][A-Za-z' -]+", noun) and len(noun) > 2:
        out.append(f"the number of {noun}")
    elif money:
        if rest:
            out.append(_tidy(f"the amount of money {rest}"))
        out.append("the amount of money")
    return [o for o in out if o]


def concept_phrase(
    description: str, value: float | None = None, index: int = 0, *, statement: str | None = None
) -> str:
    """A value-free, expression-free phrase naming what a step finds (see the module docstring)."""
    text = _tidy(description)
    text = re.sub(r"\b[a-z]\s*=\s*(?=[\d(])", "", text)  # "x=80/4 = 20": the variable is no quantity
    text = re.sub(r"^([A-Za-z][^=\d]*?)\s*=\s*(?=[^=]*\d[^=]*=)", r"\1 is ", text)  # "Mac = 24 / 4 = 6 hours"
    worked = "=" in text or (value is not None and _value_in(text, value) is not None)
    # a worked line (MathDial's) may carry results of other steps; a plain name (the starter bank's) is checked
    # by the bank itself
    given = _numbers(statement) if statement is not None and worked else None
    candidates: list[str] = []
    found = _find_phrase(text)
    if found:
        candidates.append(found)
    if value is not None and worked:
        parts = _split_value(text, value)
        if parts:
            candidates += _clause_phrase(*parts)
    if not worked:
        candidates.append(re.sub(r"^(?:find|compute|calculate|work out|figure out|determine)\s+", "", text, flags=re.I))
    for c in list(candidates):  # a derived count inside a name: "the 5 pizzas" -> "the pizzas"
        bare = re.sub(rf"\b(the|all|those|these|his|her|their|its)\s+{_NUM}\s+(?=[a-z])", r"\1 ", c, flags=re.I)
        if bare != c:
            candidates.insert(candidates.index(c) + 1, bare)
    for c in candidates:
        c = _tidy(c)
        if len(c.split()) > 16:
            continue
        c = _lower_first(c)
        if acceptable(c, value, given):
            return c
    return f"the result of step {index + 1}"
