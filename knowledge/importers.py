"""Importers for third-party data read by path: MathDial JSONL and the Socratic Debugging Benchmark (SDB).

Each returns an `ImportReport` (problems, skipped records with reasons, counts) and writes nothing itself; callers
upsert `report.problems` into the store. Import is all-or-nothing per file: a file that cannot be read or parsed
yields no problems and one `skipped` entry naming it and the location. Re-importing gives the same ids and content,
so upserting twice is idempotent.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pydantic
from pydantic import BaseModel, Field

from errors import ValidationError
from knowledge.concepts import concept_phrase
from knowledge.diagnosis import PROFILE_PREFIX
from knowledge.numbers import close, parse_number
from knowledge.sdb import import_sdb_dir
from knowledge.sdb_attempts import FixCounts
from knowledge.trees import derive_tree
from knowledge.types import Malgorithm, Problem, Step

Progress = Callable[[int], None]


class ImportReport(BaseModel):
    source: str
    path: str
    records: int = 0  # input records (MathDial rows, SDB files)
    imported: int = 0  # records that became part of a problem cleanly
    steps_parsed: int = 0  # MathDial: ground-truth steps parsed; SDB: fixes whose corrected program passes the tests
    fixes: FixCounts = Field(default_factory=FixCounts)  # SDB: verified / failed / not applied / added fixes
    problems: list[Problem] = Field(default_factory=list)
    skipped: list[tuple[str, str]] = Field(default_factory=list)  # (where, reason)
    notes: list[str] = Field(default_factory=list)

    @property
    def malgorithms(self) -> int:
        return sum(len(p.malgorithms) for p in self.problems)

    def summary(self) -> str:
        lines = [
            f"{self.source}: {self.records} records, {self.imported} imported cleanly, "
            f"{len(self.problems)} problems, {self.malgorithms} malgorithms, {self.steps_parsed} "
            + ("steps parsed" if self.source == "mathdial" else "fixes verified")
            + f", {len(self.skipped)} skipped"
        ]
        if self.source == "sdb":
            f = self.fixes
            lines.append(
                f"  fixes: {f.verified} verified ({f.from_dialogue} with a dialogue's corrected program), "
                f"{f.failed} still failing and {f.unapplied} not applied (reported below), {f.added} "
                f"corrected programs added as fixes; malgorithms are wrong fixes that fail a test"
            )
        lines += [f"  skipped {where}: {reason}" for where, reason in self.skipped]
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)


# --- MathDial ------------------------------------------------------------------------------------------------------
_MUL_X = re.compile(r"(?<=[\d).%])\s*[x\u00d7X]\s*(?=[\d.(])")
_ARITH = re.compile(r"[-+*/()]|\d[\d,]*(?:\.\d+)?%?|\.\d+%?")
_TAIL_EXPR = re.compile(
    r"(\(?\s*(?:\d[\d,]*(?:\.\d+)?|\.\d+)%?\s*\)?(?:\s*[-+*/]\s*\(?\s*(?:\d[\d,]*(?:\.\d+)?|\.\d+)%?\s*\)?)+)\s*$"
)
_RESULT = re.compile(r"^\s*-?\$?\s*(\d[\d,]*(?:\.\d+)?|\.\d+)")


def _clean_for_math(text: str) -> str:
    text = text.replace("\u2212", "-").replace("\u00f7", "/").replace("\u00d7", "*")
    text = re.sub(r"[$\u20ac\u00a3]", "", text)
    # words (units, "per", "pounds/week") between numbers and operators are dropped; a lone x is a times sign
    text = re.sub(r"/\s*[A-Za-z]+", " ", text)
    text = re.sub(r"(?<![A-Za-z])(?![xX](?![A-Za-z]))[A-Za-z\u00c0-\u024f\u2019']+", " ", text)
    return _MUL_X.sub(" * ", text)


def _eval(expression: str) -> float | None:
    expr = expression.replace(",", "")
    expr = re.sub(r"(\d+(?:\.\d+)?|\.\d+)%", r"(\1/100)", expr)
    if not re.fullmatch(r"[\d.+\-*/() ]+", expr):
        return None
    try:
        return float(eval(expr, {"__builtins__": {}}, {}))  # noqa: S307 - digits and operators only (checked above)
    except (SyntaxError, ZeroDivisionError, TypeError, ValueError):
        return None


def parse_equation_line(line: str) -> tuple[str, float, bool] | None:
    """`... a op b = c ...` -> (expression, c, expression evaluates to c). None when the line has no such equation."""
    if "=" not in line:
        return None
    parts = line.split("=")
    for k in range(len(parts) - 1, 0, -1):
        left, right = _clean_for_math(parts[k - 1]), re.sub(r"[$\u20ac\u00a3]", "", parts[k])
        result = _RESULT.match(right)
        expr = _TAIL_EXPR.search(left)
        if not result or not expr:
            continue
        value = parse_number(result.group(1))
        if value is None:
            continue
        expression = re.sub(r"\s+", " ", expr.group(1)).strip()
        expression = re.sub(r"\s*([-+*/])\s*", r" \1 ", expression).replace("( ", "(").replace(" )", ")")
        got = _eval(expression)
        return expression, value, got is not None and close(got, value, 1e-3)
    return None


def _last_line_number(text: str) -> float | None:
    lines = [ln for ln in text.strip().splitlines() if ln.strip()]
    if not lines:
        return None
    found = re.findall(r"-?\$?\d[\d,]*(?:\.\d+)?|-?\.\d+", lines[-1])
    return parse_number(found[-1]) if found else None


def parse_solution(text: str) -> tuple[list[Step], float | None]:
    """Steps from the `a op b = c` lines (all but the last line) and the final answer from the last line."""
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    steps = []
    for line in lines[:-1] if len(lines) > 1 else lines:
        parsed = parse_equation_line(line)
        if parsed:
            expression, value, _ = parsed
            steps.append(Step(description=line, expression=expression, value=value))
    return steps, _last_line_number(text)


_OPWORDS = {"+": "addition", "-": "subtraction", "*": "multiplication", "/": "division"}


def _skills(steps: list[Step], question: str) -> list[str]:
    skills = []
    for op, name in _OPWORDS.items():
        if any(op in s.expression for s in steps):
            skills.append(name)
    if "%" in question or "percent" in question.lower():
        skills.append("percents")
    if re.search(r"\b\d+/\d+\b|\bhalf\b|\bthird\b|\bquarter\b", question):
        skills.append("fractions")
    if len(steps) > 1:
        skills.append("multi-step")
    return skills


def _mathdial_malgorithm(pid: str, index: int, row: dict, steps: list[Step]) -> Malgorithm:
    wrong_text = str(row.get("student_incorrect_solution") or "").strip()
    wrong_answer = _last_line_number(wrong_text)
    wrong_steps, _ = parse_solution(wrong_text) if wrong_text else ([], None)
    wrong_numbers = [
        v for v in (parse_number(t) for t in re.findall(r"\d[\d,]*(?:\.\d+)?|\.\d+", wrong_text)) if v is not None
    ]
    first_bad = next((i for i, s in enumerate(steps) if not any(close(s.value, w, 1e-3) for w in wrong_numbers)), None)
    step_values: dict[int, float] = {}
    if len(wrong_steps) == len(steps):
        step_values = {
            i: w.value
            for i, (s, w) in enumerate(zip(steps, wrong_steps, strict=True))
            if not close(s.value, w.value, 1e-3)
        }
    if wrong_answer is not None and not close(wrong_answer, steps[-1].value, 1e-3):
        step_values.setdefault(len(steps) - 1, wrong_answer)
    if first_bad is None:
        first_bad = min(step_values) if step_values else len(steps) - 1
    label = str(row.get("teacher_described_confusion") or "").strip() or "unlabelled wrong solution"
    profile = str(row.get("student_profile") or "").strip()
    return Malgorithm(
        id=f"{pid}-m{index}",
        problem_id=pid,
        label=label,
        description=f"{PROFILE_PREFIX} {profile}" if profile else "",
        wrong_solution=wrong_text,
        step=first_bad,
        step_values=step_values,
        wrong_answer=wrong_answer,
    )


def import_mathdial(path: str | Path, progress: Progress | None = None) -> ImportReport:
    """One Problem per qid (id `mathdial-<qid>`), one malgorithm per record (`mathdial-<qid>-m<i>`)."""
    path = Path(path)
    report = ImportReport(source="mathdial", path=str(path))
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        report.skipped.append((str(path), f"cannot read file: {exc.strerror or exc}"))
        return report
    rows = []
    for n, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:  # all-or-nothing: one unreadable line rejects the file
            report.records = 0
            report.skipped = [(f"{path}:{n}", f"invalid JSON: {exc.msg} (column {exc.colno}); nothing imported")]
            return report
        if not isinstance(row, dict):
            report.skipped = [(f"{path}:{n}", "a record is not a JSON object; nothing imported")]
            return report
        rows.append((n, row))
    report.records = len(rows)
    groups: dict[str, list[tuple[int, dict]]] = {}
    for n, row in rows:
        qid = str(row.get("qid", "")).strip()
        if not qid or not re.fullmatch(r"[A-Za-z0-9_.:-]+", qid):
            report.skipped.append((f"{path}:{n}", f"missing or invalid qid {row.get('qid')!r}"))
            continue
        groups.setdefault(qid, []).append((n, row))
    for qid, members in groups.items():
        pid = f"mathdial-{qid}"
        n0, first = members[0]
        steps, answer = parse_solution(str(first.get("ground_truth") or ""))
        # a ground-truth line is a worked sentence; the step keeps a concept phrase naming what it finds (no
        # expression, no result, no blank), as the starter bank's steps do
        question_text = str(first.get("question") or "")
        steps = [
            s.model_copy(update={"description": concept_phrase(s.description, s.value, i, statement=question_text)})
            for i, s in enumerate(steps)
        ]
        where = f"{path}:{n0} (qid {qid})"
        if not str(first.get("question") or "").strip():
            report.skipped += [(f"{path}:{n} (qid {qid})", "empty question") for n, _ in members]
            continue
        if answer is None or not steps:
            reason = (
                "no final answer on the last line of ground_truth"
                if answer is None
                else "no 'a op b = c' step in ground_truth"
            )
            report.skipped += [(f"{path}:{n} (qid {qid})", reason) for n, _ in members]
            continue
        if not close(steps[-1].value, answer, 1e-3):
            report.notes.append(
                f"{where}: last parsed step {steps[-1].value:g} is not the final answer {answer:g}; added a final step"
            )
            steps.append(Step(description="The final answer", expression="", value=answer))
        malgorithms = []
        for n, row in members:
            try:
                m = _mathdial_malgorithm(pid, len(malgorithms), row, steps)
            except pydantic.ValidationError as exc:
                report.skipped.append((f"{path}:{n} (qid {qid})", f"invalid malgorithm: {exc.errors()[0]['msg']}"))
                continue
            if m.wrong_answer is None:
                report.skipped.append(
                    (f"{path}:{n} (qid {qid})", "no number on the last line of student_incorrect_solution")
                )
                continue
            malgorithms.append(m)
        grade = re.search(r"(\d+)(?:st|nd|rd|th) grade", str(first.get("student_profile") or ""))
        question = str(first["question"]).strip()
        try:
            problem = Problem(
                id=pid,
                domain="math",
                title=f"MathDial {qid}: "
                + " ".join(question.split()[:8])
                + ("\u2026" if len(question.split()) > 8 else ""),
                statement=question,
                skills=_skills(steps, question),
                grade=int(grade.group(1)) if grade else None,
                difficulty="easy" if len(steps) <= 2 else "medium" if len(steps) <= 4 else "hard",
                source="mathdial",
                steps=steps,
                answer=answer,
                malgorithms=malgorithms,
                student_profile=str(first.get("student_profile") or "").strip(),
            )
            problem.tree = derive_tree(problem)
        except pydantic.ValidationError as exc:
            report.skipped += [
                (f"{path}:{n} (qid {qid})", f"invalid problem: {exc.errors()[0]['msg']}") for n, _ in members
            ]
            continue
        report.problems.append(problem)
        report.imported += len(malgorithms)
        report.steps_parsed += len(steps)
        if progress:
            progress(len(members))
    return report


def import_sdb(directory: str | Path, progress: Progress | None = None, *, verify: bool = True) -> ImportReport:
    """Socratic Debugging Benchmark files grouped per problem-bug into problems `sdb-<problem>_<bug>`."""
    return import_sdb_dir(Path(directory), ImportReport(source="sdb", path=str(directory)), progress, verify=verify)


def require_clean(report: ImportReport) -> ImportReport:
    """Raise ValidationError when a whole-file failure left nothing to import (used by the CLI)."""
    if not report.problems and report.skipped:
        where, reason = report.skipped[0]
        raise ValidationError(f"{where}: {reason}")
    return report
