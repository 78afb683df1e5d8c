"""Step 5 of a turn: the leak guard. Every outgoing message is checked before it is shown.

A message leaks when it states
- the final answer (any reading: "10", "ten", "$10", "10.0", "1/2", "50%", inside code blocks too);
- a step value the student has not produced yet and the tutor has not legitimately disclosed (a node bottom-out);
- a fix line, or a line of the corrected program that differs from the buggy code, unless the student wrote it.
Numbers that appear in the problem statement are not leaks by themselves; the final answer still is when it is
stated as the result ("the answer is 3", "= 3"). An expression left unevaluated ("72 / 8") states its operands,
not its value.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from knowledge.numbers import fmt, stands_for
from knowledge.types import Problem
from tutor.numbers import Number, extract
from tutor.state import KnowledgeState


class GuardVerdict(BaseModel):
    leaks: bool = False
    reasons: list[str] = Field(default_factory=list)
    spans: list[str] = Field(default_factory=list)
    mode: str = "enforce"  # "enforce" | "report"
    action: str = "none"  # what the session did: none | replaced_with_template | replaced_with_generic | reported


_ANSWER_CONTEXT = re.compile(
    r"(?:answer|result|solution|total|it'?s|is|equals?|=|makes|gives?|get|comes? to)\s*(?:is|was|should be|would "
    r"be|of|:)?"
    r"\s*(?:about|approximately|actually|just|exactly|\$)?\s*$",
    re.IGNORECASE,
)


def _statement_numbers(problem: Problem) -> list[float]:
    return [r for n in extract(problem.statement).numbers for r in n.readings()]


def _in(values: list[float], target: float) -> bool:
    return any(stands_for(v, target) or stands_for(target, v) for v in values)


def _says(n: Number, target: float) -> bool:
    return any(stands_for(r, target, 1e-6, n.text if r == n.value else None) for r in n.readings())


def _norm(line: str) -> str:
    return re.sub(r"\s+", "", line).strip("`")


def _answer_context(message: str, n: Number) -> bool:
    idx = message.find(n.text)
    before = message[:idx] if idx >= 0 else ""
    return bool(_ANSWER_CONTEXT.search(before[-40:])) or n.kind == "result"


def reveals(
    message: str,
    problem: Problem,
    state: KnowledgeState | None = None,
    *,
    produced: list[float] | None = None,
    allow_final: bool = False,
    check_steps: bool = True,
) -> GuardVerdict:
    """Does `message` give away something the student must find? `produced` adds values the student produced
    (used when there is no state, e.g. in evaluations); `check_steps=False` checks only the final answer."""
    verdict = GuardVerdict()
    if problem.domain == "math":
        _check_math(message, problem, state, list(produced or []), allow_final, verdict, check_steps)
    else:
        _check_code(message, problem, state, verdict)
    verdict.leaks = bool(verdict.reasons)
    return verdict


def _check_math(
    message: str,
    problem: Problem,
    state: KnowledgeState | None,
    produced: list[float],
    allow_final: bool,
    verdict: GuardVerdict,
    check_steps: bool = True,
) -> None:
    if state is not None:
        produced += state.produced_values()
    disclosed = state.disclosed_values() if state is not None else []
    in_statement = _statement_numbers(problem)
    # values the message itself states; an unevaluated expression ("72 / 8") states only its operands
    # "one" in prose ("one step at a time", "which one") is a word, not a value, unless it carries an answer
    numbers = [
        n
        for n in extract(message).numbers
        if n.kind != "computed" and not (n.mention and n.text.strip().lower() == "one")
    ]
    answer = problem.answer
    for n in numbers:
        # the final answer leaks even if the student mentioned the number before: once they *state* it as their
        # answer the session is solved, and the success message is not guarded
        if (
            answer is not None
            and not allow_final
            and _says(n, answer)
            and (not _in(in_statement, answer) or _answer_context(message, n))
        ):
            verdict.reasons.append(f"states the final answer {fmt(answer)}")
            verdict.spans.append(_span(message, n.text))
            continue
        for i, step in enumerate(problem.steps if check_steps else []):
            if answer is not None and stands_for(step.value, answer):
                continue  # the final step is the final answer, handled above
            if (
                _says(n, step.value)
                and not _in(produced, step.value)
                and not _in(disclosed, step.value)
                and not _in(in_statement, step.value)
            ):
                verdict.reasons.append(f"states step {i + 1} value {fmt(step.value)} before the student found it")
                verdict.spans.append(_span(message, n.text))
                break


def _check_code(message: str, problem: Problem, state: KnowledgeState | None, verdict: GuardVerdict) -> None:
    buggy_lines = [_norm(ln) for ln in problem.buggy_code.splitlines() if _norm(ln)]
    student = {_norm(ln) for ln in (state.produced_code_lines() if state is not None else [])}
    targets: dict[str, str] = {}
    for bug in problem.bugs:
        for fix in bug.fixes:
            for ln in fix.lines:
                targets.setdefault(_norm(ln), ln.strip())
            for ln in fix.code.splitlines():
                if _norm(ln) and _norm(ln) not in buggy_lines:
                    targets.setdefault(_norm(ln), ln.strip())
    msg_lines = [_norm(ln) for ln in message.splitlines()]
    inline = [_norm(s) for s in re.findall(r"`([^`\n]+)`", message)]
    haystack = [h for h in msg_lines + inline if h]
    for norm, original in targets.items():
        if len(norm) < 4 or norm in student or norm in {"else:", "try:", "pass", "return", "break", "continue"}:
            continue
        if any(norm in b for b in buggy_lines):
            continue  # not distinctive: quoting the buggy code would trigger it
        if any(norm in h for h in haystack):
            verdict.reasons.append(f"states the corrected line `{original}`")
            verdict.spans.append(original)
    if problem.answer is not None:  # rare: code problems with a numeric answer
        _check_math(message, problem, state, [], False, verdict)


def _span(message: str, text: str, width: int = 30) -> str:
    i = message.find(text)
    if i < 0:
        return text
    return message[max(0, i - width) : i + len(text) + width].strip()
