"""What of the student's message a reply may quote back: their own numbers, judged right, wrong or given.

`heard` sorts the values of one message (`Heard`: right ones with what they are, wrong ones, givens restated,
the rest), never the final answer before it is solved; `wrong_step` says a wrong two-number step in words
("adding 25 and 10"). `tutor.phrase` puts them into sentences.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pydantic import BaseModel, Field

from knowledge.numbers import close
from knowledge.trees import topic_of
from knowledge.types import Problem, QuestionTree
from tutor.numbers import extract
from tutor.planner import Evidence
from tutor.state import KnowledgeState
from tutor.understand import Understanding
from tutor.verify import node_value


class Heard(BaseModel):
    """The student's own numbers this turn that the reply may quote (their text as written)."""

    right: list[str] = Field(default_factory=list)  # values that are a step's value (or the final answer)
    topic: str = ""  # what `topic_value` is (the concept phrase of its step)
    topic_value: str = ""
    wrong: list[str] = Field(default_factory=list)  # values that match no step
    other: list[str] = Field(default_factory=list)  # other claimed values (givens restated, a list to choose from)
    rest: list[str] = Field(default_factory=list)  # claimed values that are none of these (quoted, not judged)
    how: str = ""  # the student's own wrong step in words ("adding 25 and 10"), from an expression they wrote
    # code: numbers said back as the student's own (a test call they quote, what they say the code gives), never
    # offered as candidate answers to choose from
    quoted: list[str] = Field(default_factory=list)


def heard(u: Understanding, ev: Evidence, problem: Problem, tree: QuestionTree, state: KnowledgeState) -> Heard:
    """What of the student's message the reply may quote; never an extraction or override attempt.
    Right: a value of a node that is resolved now (never the final answer before it is solved: saying it back
    would confirm a guess); wrong: the values that match no step; other: givens of the statement."""
    if u.intent in ("extraction", "override"):
        return Heard()
    if problem.domain != "math":  # code: numbers are quoted (what the student says the code gives), not judged
        return Heard(quoted=list(dict.fromkeys(n.text for n in u.values if n.kind != "computed")))
    claimed = [n for n in u.values if n.kind != "computed"]
    wrong = list(dict.fromkeys(n.text for n in ev.wrong_numbers))
    solved = ev.outcome == "solved"
    right, topic, topic_value = [], "", ""
    if ev.judgement != "wrong":
        for n in claimed:
            if problem.answer is not None and any(close(r, problem.answer) for r in n.readings()):
                if solved:
                    right.append(n.text)
                continue
            for node in tree.nodes:
                value = node_value(node, problem)
                if value is None or not state.is_resolved(node.id) or not any(close(r, value) for r in n.readings()):
                    continue
                right.append(n.text)
                if node.step is not None and 0 <= node.step < len(problem.steps):
                    topic = topic_of(problem.steps[node.step], node.step, problem.statement)
                    topic_value = n.text
                break
    given = [r for g in extract(problem.statement).numbers for r in g.readings()]
    other = [
        n.text
        for n in claimed
        if n.text not in right and n.text not in wrong and any(close(r, g) for r in n.readings() for g in given)
    ]
    final = [
        n.text
        for n in claimed
        if problem.answer is not None and not solved and any(close(r, problem.answer) for r in n.readings())
    ]  # never quoted before it is solved
    other = [x for x in other if x not in final]
    rest = [n.text for n in claimed if n.text not in right + wrong + other + final]
    return Heard(
        right=list(dict.fromkeys(right)),
        topic=topic,
        topic_value=topic_value,
        wrong=wrong,
        other=list(dict.fromkeys(other)),
        rest=list(dict.fromkeys(rest)),
        how=wrong_step(
            u.expressions, problem, [r for n in u.numbers if n.kind != "computed" for r in n.readings()] + given
        )
        if wrong
        else "",
    )


_EXPR = re.compile(
    r"^\s*\$?(\d[\d,]*(?:\.\d+)?|\.\d+)\s*([-+*/])\s*\$?(\d[\d,]*(?:\.\d+)?|\.\d+)\s*=\s*"
    r"(?:\$?(\d[\d,]*(?:\.\d+)?|\.\d+))?\s*$"
)
_HOW = {
    "+": "adding {a} and {b}",
    "-": "subtracting {b} from {a}",
    "*": "multiplying {a} by {b}",
    "/": "dividing {a} by {b}",
}


def wrong_step(expressions: Iterable[str], problem: Problem, allowed: list[float] | None = None) -> str:
    """The student's last two-number step whose result is no step value, in words ("adding 25 and 10"); '' when
    there is none. A step of the solution itself (its operands) is never restated, nor an operand outside
    `allowed` (numbers the student stated or the statement gives; None: any)."""

    def nums(text: str) -> list[float]:
        return sorted(float(t.replace(",", "")) for t in re.findall(r"\d[\d,]*(?:\.\d+)?|\.\d+", text))

    steps = [nums(s.expression) for s in problem.steps]
    values = [s.value for s in problem.steps] + ([problem.answer] if problem.answer is not None else [])
    out = ""
    for e in expressions:
        m = _EXPR.match(e)
        if not m:
            continue
        a, op, b = m.group(1), m.group(2), m.group(3)
        x, y = float(a.replace(",", "")), float(b.replace(",", ""))
        result = {"+": x + y, "-": x - y, "*": x * y, "/": x / y if y else float("nan")}[op]
        if any(close(result, v) for v in values) or any(sorted([x, y]) == ops for ops in steps):
            continue
        if allowed is not None and not all(any(close(z, g) for g in allowed) for z in (x, y)):
            continue
        if problem.answer is not None and any(close(z, problem.answer) for z in (x, y)):
            continue  # the final answer is never said back
        out = _HOW[op].format(a=a, b=b)
    return out
