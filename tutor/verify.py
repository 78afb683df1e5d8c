"""Verifiers: code, not the model, decides whether the student is right.

Math: every value the student claims is compared (relative tolerance, or as a rounding of the true value) with
each step value and the final answer; a value that matches no step is wrong, and is matched against the
malgorithms' wrong values. A value written with a unit ("100 cents") also matches a step in another unit of the
same kind ("dollars") after an exact conversion; a number quoted from the statement alongside other values or in a
question is not counted as a wrong attempt (unless it is a malgorithm's wrong value).
Code: the student's code (or the buggy program with the student's corrected line patched in) runs against the unit
tests in the sandbox.
"""

from __future__ import annotations

import logging
import re
from typing import Literal

from pydantic import BaseModel, Field

from knowledge.numbers import canonical_unit, convert, stands_for
from knowledge.types import Diagnosis, Node, Problem, QuestionTree
from tutor.numbers import Number, extract
from tutor.sandbox import SandboxLimits, TestRun, run_tests
from tutor.understand import Understanding

log = logging.getLogger(__name__)


class ValueMatch(BaseModel):
    value: float
    text: str
    step: int | None = None  # index into problem.steps
    final: bool = False
    node_ids: list[str] = Field(default_factory=list)
    by: Literal["value", "pattern"] = "value"


class MathCheck(BaseModel):
    right: list[ValueMatch] = Field(default_factory=list)
    wrong: list[float] = Field(default_factory=list)
    final_right: bool = False
    diagnosis: list[Diagnosis] = Field(default_factory=list)

    @property
    def resolved_nodes(self) -> list[str]:
        return list(dict.fromkeys(n for m in self.right for n in m.node_ids))


def node_value(node: Node, problem: Problem) -> float | None:
    if node.check.kind == "value" and node.check.value is not None:
        return node.check.value
    if node.step is not None and 0 <= node.step < len(problem.steps):
        return problem.steps[node.step].value
    return None


def node_unit(node: Node, problem: Problem) -> str:
    if node.step is not None and 0 <= node.step < len(problem.steps):
        return problem.steps[node.step].unit
    return ""


def _matches(n: Number, target: float, rel: float = 1e-6, unit: str = "") -> bool:
    """n (with its readings) matches target; a number written with a unit ("100 cents") also matches a target in
    another unit of the same kind ("dollars") after an exact conversion (tutor.numbers.UNITS)."""
    if any(stands_for(r, target, rel, n.text if r == n.value else None) for r in n.readings()):
        return True
    if n.unit and unit and canonical_unit(unit) and canonical_unit(unit) != n.unit:
        converted = convert(n.value, n.unit, unit)
        return converted is not None and stands_for(converted, target, rel)
    return False


def _said_as_number(hit: str, u: Understanding) -> bool:
    m = re.fullmatch(r"\$?(\d+(?:\.\d+)?)", hit.replace(",", "").strip())
    return m is None or any(stands_for(n.value, float(m.group(1))) for n in u.numbers)


def check_math(u: Understanding, problem: Problem, tree: QuestionTree) -> MathCheck:
    out = MathCheck()
    # only values the student states count: "what is 24 / 3?" must not earn the student credit for 8
    stated = [v for v in u.values if v.kind != "computed"]
    given = [r for n in extract(problem.statement).numbers for r in n.readings()]
    concluded_wrong = False  # a wrong value stated after the last right final value: that is their answer
    for n in stated:
        match = ValueMatch(value=n.value, text=n.text)
        for i, step in enumerate(problem.steps):
            if _matches(n, step.value, unit=step.unit):
                match.step = i if match.step is None else match.step
        if problem.answer is not None and _matches(n, problem.answer, unit=problem.answer_unit):
            match.final = True
        for node in tree.nodes:
            target = node_value(node, problem)
            if target is not None and _matches(n, target, max(node.check.tolerance, 1e-6), node_unit(node, problem)):
                match.node_ids.append(node.id)
        if match.step is not None or match.final or match.node_ids:
            out.right.append(match)
            concluded_wrong = concluded_wrong and not match.final
        elif (
            (len(stated) > 1 or u.text.rstrip().endswith("?"))
            and any(stands_for(n.value, g) for g in given)
            and not diagnose_values([n.value], problem)
        ):
            continue  # a given quoted while reasoning ("4 batches is ...", "one batch is 7/8, right?")
        else:
            out.wrong.append(n.value)
            concluded_wrong = True
    # A worked solution can pass through the right number on its way to a wrong one ("... 15 spoons ... so 4"):
    # the student has the answer only when no wrong value follows the last value that matches it.
    out.final_right = any(m.final for m in out.right) and not concluded_wrong
    for node in tree.nodes:  # text patterns (conceptual nodes)
        if node.check.kind == "pattern" and node.check.pattern:
            try:
                hits = re.finditer(node.check.pattern, u.text, re.IGNORECASE)
                # a bare number the pattern finds is evidence only if the message says it as a number: not the
                # "2" of "3x/2" (a coefficient) or of "line 2" (a reference), which the reader left out
                hit = next((h for h in hits if _said_as_number(h.group(0), u)), None)
            except re.error:
                log.warning("bad check pattern on node %s: %r", node.id, node.check.pattern)
                hit = None
            if hit:
                out.right.append(ValueMatch(value=0.0, text=hit.group(0), node_ids=[node.id], by="pattern"))
    out.diagnosis = diagnose_values([v for v in out.wrong], problem)
    return out


def diagnose_values(values: list[float], problem: Problem) -> list[Diagnosis]:
    """Exact wrong-value matches against the problem's malgorithms (the first, deterministic diagnosis)."""
    hits: list[Diagnosis] = []
    for m in problem.malgorithms:
        wrong = [v for v in (m.wrong_answer, *m.step_values.values()) if v is not None]
        if any(stands_for(v, w) for v in values for w in wrong):
            hits.append(Diagnosis(malgorithm_id=m.id, label=m.label, confidence=0.9, reason="value"))
    return hits


def _norm(line: str) -> str:
    return (
        re.sub(r"\s+", "", line.split("#", 1)[0])
        if "#" in line and "'" not in line and '"' not in line
        else re.sub(r"\s+", "", line)
    )


def patch_program(snippet: str, problem: Problem) -> str:
    """A full program from the student's code: as is when it defines the entry point; otherwise, when it is a
    corrected line (or lines) for a single-line bug, the buggy program with that line replaced."""
    if re.search(rf"\bdef\s+{re.escape(problem.entry_point)}\s*\(", snippet):
        return snippet
    lines = [ln for ln in snippet.splitlines() if ln.strip()]
    buggy = problem.buggy_code.splitlines()
    if not lines:
        return snippet
    for bug in problem.bugs:
        if len(bug.lines) == 1 and len(lines) <= 3 and 1 <= bug.lines[0] <= len(buggy):
            target = buggy[bug.lines[0] - 1]
            indent = target[: len(target) - len(target.lstrip())]
            base = len(lines[0]) - len(lines[0].lstrip())
            new = [indent + ln[base:] if ln[:base].strip() == "" else indent + ln.strip() for ln in lines]
            return "\n".join(buggy[: bug.lines[0] - 1] + new + buggy[bug.lines[0] :]) + "\n"
    return snippet


def check_code(code: str, problem: Problem, limits: SandboxLimits | None = None) -> TestRun:
    return run_tests(patch_program(code, problem), problem, limits=limits)


def diagnose_code(code: str, problem: Problem) -> list[Diagnosis]:
    """A malgorithm whose wrong code the student reproduced (normalised line match)."""
    said = {_norm(ln) for ln in code.splitlines() if _norm(ln)}
    hits = []
    for m in problem.malgorithms:
        if not m.wrong_code:
            continue
        buggy = {_norm(ln) for ln in problem.buggy_code.splitlines()}
        distinctive = {_norm(ln) for ln in m.wrong_code.splitlines() if _norm(ln)} - buggy
        if distinctive and distinctive & said:
            hits.append(Diagnosis(malgorithm_id=m.id, label=m.label, confidence=0.8, reason="value"))
    return hits
