"""The answer to a tutor's arithmetic question, for MRBench conversations that come without a solution (Bridge).

Bridge conversations give no `Ground_Truth_Solution`; what the student is stuck on is the tutor's last question,
and when that question is arithmetic ("What is the sum of 27 and 16?", "7*60=?", "How many times does 2 go into
18?", "What times 3 is 24?", "What is the decimal value of 2/3?") its value is the answer a reply can reveal. The
words of arithmetic are rewritten as operators and the expression is evaluated with knowledge.numbers.safe_eval; a
question that is not arithmetic ("What is the name of a 5 sided polygon?") has no answer here (None), and the
conversation stays skipped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from knowledge.numbers import fmt_exact, safe_eval

_N = r"(\d+(?:\.\d+)?)"
_UNIT = r"(?:\s*(?:[a-z]+\b)?)"  # "4 centimeters - 0 centimeters": the noun of an operand is dropped
# word forms of an operation -> the expression they mean (operands in the order written)
_WORDED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(rf"\bsum of {_N}{_UNIT} and {_N}", re.I), r"(\1 + \2)"),
    (re.compile(rf"\bproduct of {_N}{_UNIT} and {_N}", re.I), r"(\1 * \2)"),
    (re.compile(rf"\bdifference (?:between|of) {_N}{_UNIT} and {_N}", re.I), r"(\1 - \2)"),
    (re.compile(rf"\bquotient of {_N}{_UNIT} (?:and|by) {_N}", re.I), r"(\1 / \2)"),
    (re.compile(rf"\bsubtract {_N}{_UNIT} from {_N}", re.I), r"(\2 - \1)"),
    (re.compile(rf"{_N}{_UNIT} subtracted from {_N}", re.I), r"(\2 - \1)"),
    (re.compile(rf"{_N}{_UNIT} subtracted by {_N}", re.I), r"(\1 - \2)"),
    (re.compile(rf"\bhow many times (?:does|do|will|can|would) {_N} (?:go|goes|fit) into {_N}", re.I), r"(\2 / \1)"),
    (re.compile(rf"\bhow many times {_N} (?:will |can |would )?(?:go|goes|fit|fits) into {_N}", re.I), r"(\2 / \1)"),
    (
        re.compile(rf"\bwhat (?:number )?(?:times|multiplied by) {_N} (?:is|equals|makes|gives) {_N}", re.I),
        r"(\2 / \1)",
    ),
    (re.compile(rf"{_N} (?:times|multiplied by) what (?:number )?(?:is|equals|makes|gives) {_N}", re.I), r"(\2 / \1)"),
]
# operator words and signs between two numbers (or parentheses)
_BETWEEN = r"(?<=[\d)])\s*(?:{})\s*(?=[\d(])"
_OPERATOR_WORDS = [
    (re.compile(_BETWEEN.format(r"multiplied by|times|[x×]"), re.I), " * "),
    (re.compile(_BETWEEN.format(r"divided by|÷"), re.I), " / "),
    (re.compile(_BETWEEN.format(r"plus"), re.I), " + "),
    (re.compile(_BETWEEN.format(r"minus|−"), re.I), " - "),
]
# an expression: numbers (an operand may keep its noun) joined by at least one operator
_EXPRESSION = re.compile(r"\(?\d+(?:\.\d+)?(?:\s*[a-z]+)?\)?(?:\s*[-+*/]\s*\(?\d+(?:\.\d+)?(?:\s*[a-z]+)?\)?)+", re.I)


@dataclass(frozen=True)
class Asked:
    """An arithmetic question of the tutor: the turn that asks it, the expression read from it, its value."""

    question: str
    expression: str
    value: float
    noun: str = ""  # the noun every operand is written with ("centimeters"), '' when none or mixed

    def solution(self) -> str:
        """The question worked as a one-step solution in MRBench's format (a step line, then the answer)."""
        answer = fmt_exact(self.value)
        return f"{self.expression} = {answer} {self.noun}".rstrip() + f"\n{answer}"


def _expression_of(question: str) -> tuple[str, str] | None:
    text = re.sub(r"(?<=\d),(?=\d{3}(?!\d))", "", question)
    for pattern, template in _WORDED:
        text = pattern.sub(template, text)
    for pattern, op in _OPERATOR_WORDS:
        text = pattern.sub(op, text)
    best: tuple[str, str] | None = None
    for m in _EXPRESSION.finditer(text):
        nouns = {w.lower() for w in re.findall(r"\d\s*([a-z]+)", m.group(0), re.I)}
        bare = re.sub(r"(?<=\d)\s*[a-z]+", "", m.group(0), flags=re.I)
        if best is None or len(bare) > len(best[0]):
            best = (bare, nouns.pop() if len(nouns) == 1 and bare.count("(") == bare.count(")") else "")
    return best


def asked(turns: list[tuple[str, str]]) -> Asked | None:
    """The last arithmetic question the tutor asked before the student's last turn (`turns` as (role, text), the
    role 'tutor' or 'student'), or None when none of the tutor's questions is arithmetic."""
    last_student = max((i for i, (role, _) in enumerate(turns) if role == "student"), default=len(turns))
    for role, text in reversed(turns[:last_student]):
        if role != "tutor":
            continue
        if "?" not in text:
            continue
        found = _expression_of(text)
        if found is None:
            continue
        expression, noun = found
        value = safe_eval(expression)
        if value is not None:
            return Asked(question=text, expression=expression.strip(), value=value, noun=noun)
    return None
