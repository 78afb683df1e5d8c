"""The fidelity check: does an LLM phrasing say what the simulator decided, as the student?

Rejected (the template is used instead) when the text
- is empty or far too long;
- drops a decided value or states a forbidden one (numbers compared with a relative tolerance; "$1,200", "3.50",
  "25%" and number words up to twenty are read);
- introduces a number that is neither decided, nor in the template, the problem statement or the tutor's message;
- speaks as a tutor ("Let's", "Great job", "Can you tell me", "What do you think", a "Tutor:" label, ...) in words
  that are not in the template (a wrong solution may itself say "Let's call the number x");
- mentions being an AI / a language model / an assistant, or refuses;
- contains code (code is always sent verbatim by the simulator, never phrased by the model);
- announces code ("Here's my new code:") when the decided reply sends none, or, sending code, claims a change
  ("I changed it") that the decided reply does not make (the same code sent again).
"""

from __future__ import annotations

import re

from knowledge.numbers import NUMBER, NUMBER_WORDS, READ_BACK_TOL, contains, parse_numbers
from simulator.types import Content, FidelityVerdict

MAX_CHARS = 700
_WORDS = {w: float(v) for w, v in NUMBER_WORDS.items() if v <= 20} | {
    "thirty": 30.0,
    "forty": 40.0,
    "fifty": 50.0,
    "hundred": 100.0,
    "half": 0.5,
}
TUTOR_VOICE = re.compile(
    r"\blet'?s\b|\bgreat (job|work|question)\b|\bgood (job|work|question)\b|\bwell done\b|\bnice (job|work)\b|"
    r"\bcan you (tell|explain|show|walk|work|try|think|check|find|see)\b|\bcould you (tell|explain|show|walk)\b|"
    r"\bwhat do you think\b|\bhow did you\b|\bwhy do you think\b|\btry to\b|\bremember (that|to)\b|"
    r"\bi'?m (your|the|a) (tutor|teacher)\b|\bas (your|a) (tutor|teacher)\b|\byou'?re (right|correct)\b|"
    r"\bexcellent\b|\bkeep (it )?up\b|\bthe student\b|^\s*\**(tutor|teacher|assistant|student)\**\s*:",
    re.IGNORECASE | re.MULTILINE,
)
AI_VOICE = re.compile(
    r"\b(as an ai|an ai\b|a language model|language model|ai assistant|artificial intelligence|chatbot|i am an "
    r"assistant|i'?m an assistant|openai|qwen|smollm|i cannot (help|assist|provide)|i can'?t (help|assist) with)\b",
    re.IGNORECASE,
)
CODE = re.compile(r"```|^\s*(def |return |for .* in .*:|import )", re.MULTILINE)
# a reply that says it sends code: ends on a colon, or "here's my code / new version / fixed version"
ANNOUNCES_CODE = re.compile(
    r":\s*$|\bhere(?:'s| is) (?:my|the)\b[^.!?]*\b(?:code|version|function|program)\b|\b(?:new|fixed|updated) "
    r"(?:code|version|function|program)\b",
    re.IGNORECASE,
)
# a reply that says the code changed since the last version the student sent
CLAIMS_CHANGE = re.compile(
    r"\bi(?:'ve| have)? (?:just )?(?:changed|fixed|edited|updated|modified|rewrote|rewritten|replaced|tried)\b|"
    r"\b(?:new|fixed|updated) (?:code|version|function|program)\b|\bwhat i changed\b|\bthis fixes\b",
    re.IGNORECASE,
)


def announces_code(prose: str) -> bool:
    """Whether a student's prose (without its code block) says it sends code."""
    return bool(ANNOUNCES_CODE.search(prose.strip()))


def claims_change(prose: str) -> bool:
    """Whether a student's prose says it changed the code."""
    return bool(CLAIMS_CHANGE.search(prose))


def numbers_in(text: str) -> list[float]:
    """Digits and simple number words in a text."""
    nums = parse_numbers(text)
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _WORDS:
            nums.append(_WORDS[word])
    return nums


def _has(numbers: list[float], value: float) -> bool:
    if contains(numbers, value, READ_BACK_TOL):
        return True
    return abs(value) < 1 and contains(numbers, value * 100, READ_BACK_TOL)  # 0.25 said as "25%"


def check(text: str, content: Content, *, statement: str = "", tutor_message: str = "") -> FidelityVerdict:
    """The verdict on `text` as a phrasing of `content` (see the module docstring)."""
    reasons: list[str] = []
    stripped = (text or "").strip()
    if not stripped:
        return FidelityVerdict(ok=False, reasons=["empty"])
    if len(stripped) > max(MAX_CHARS, 2 * len(content.template)):
        reasons.append(f"too long ({len(stripped)} chars)")
    found = numbers_in(stripped)
    for value in content.values:
        if not _has(found, value):
            reasons.append(f"drops the decided value {value:g}")
    template_numbers = numbers_in(content.template)
    for value in content.forbidden:
        if contains(content.values, value, READ_BACK_TOL) or contains(template_numbers, value, READ_BACK_TOL):
            continue
        if contains(parse_numbers(stripped), value, READ_BACK_TOL):
            reasons.append(f"states the forbidden value {value:g}")
    allowed = [*content.values, *content.allowed, *template_numbers, *numbers_in(statement), *numbers_in(tutor_message)]
    for token in NUMBER.findall(stripped):
        readings = parse_numbers(token, percent_fractions=True)  # "25%" may stand for 25 or 0.25
        if readings and not any(contains(allowed, x, READ_BACK_TOL) for x in readings):
            reasons.append(f"introduces the number {readings[0]:g}")
            break
    template_lower = content.template.lower()
    for match in TUTOR_VOICE.finditer(stripped):
        if match.group(0).strip().lower() not in template_lower:  # "Let's call it x" quoted from the attempt is fine
            reasons.append(f"speaks as a tutor ({match.group(0).strip()!r})")
            break
    match = AI_VOICE.search(stripped)
    if match:
        reasons.append(f"mentions being an AI ({match.group(0).strip()!r})")
    if CODE.search(stripped):
        reasons.append("contains code")
    if not content.code and announces_code(stripped) and not announces_code(content.template):
        reasons.append("announces code it does not send")
    if content.code and claims_change(stripped) and not claims_change(content.template):
        reasons.append("claims a change the decided reply does not make")
    return FidelityVerdict(ok=not reasons, reasons=reasons)
