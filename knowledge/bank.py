"""The original starter bank: math word problems and Python debugging exercises written for this project.

The data lives in YAML files next to this module (`knowledge/bank/*.yaml`), one list of problem records per file.
`load_starter()` parses every file with PyYAML's safe loader, checks each record and validates it into a
`knowledge.types.Problem`; any mistake raises `errors.ValidationError` naming the file, the record (id and index)
and the field. Question trees are attached with `knowledge.trees.tree_for` when that module is available.

Checks made at load time (cheap, no code is executed):
- ids are unique, math ids start with `math-`, code ids with `code-`;
- math: every step expression is plain arithmetic that evaluates to the step's value, step descriptions do not
  give the step's value away, the answer is the last step's value; each malgorithm's `step_expressions` evaluate to
  its `step_values`, its wrong answer is its value at the last step, and wrong answers differ from the right answer,
  from the right step values and from each other (so a student's number identifies the path);
- code: the entry point is defined in the buggy code, bug line numbers exist, every fix's corrected lines appear in
  its code, and every malgorithm names a bug and carries a wrong fix.
Running the code exercises against their unit tests is done by tests/test_knowledge_bank.py, in a subprocess.
"""

from __future__ import annotations

import ast
import dataclasses
import functools
import logging
import math
import re
from pathlib import Path
from typing import Any

import pydantic
import yaml

from errors import ValidationError
from knowledge.numbers import close, evaluate
from knowledge.trees import tree_for
from knowledge.types import Problem

log = logging.getLogger(__name__)

BANK_DIR = Path(__file__).with_name("bank")

# PyYAML's safe loader, in its C version when libyaml is there (same rules, ~10x faster).
_SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

# Extra keys a bank record may carry that are checked here and not stored on the Problem.
_MALGORITHM_EXTRAS = ("step_expressions",)

__all__ = [
    "BANK_DIR",
    "EXPRESSION_FUNCTIONS",
    "bank_files",
    "evaluate_expression",
    "load_bank_dir",
    "load_bank_file",
    "load_starter",
    "starter_ids",
    "starter_problem",
    "trees_attached",
]


# ---------------------------------------------------------------- arithmetic

EXPRESSION_FUNCTIONS = {
    "round": round,
    "min": min,
    "max": max,
    "abs": abs,
    "int": int,
    "ceil": math.ceil,
    "floor": math.floor,
}


def evaluate_expression(expression: str) -> float:
    """Evaluate plain arithmetic (numbers, + - * / // % **, parentheses, EXPRESSION_FUNCTIONS) like Python would.

    Raises ValueError for anything else, so bank data can never run arbitrary code (knowledge.numbers.evaluate).
    """
    return evaluate(expression, EXPRESSION_FUNCTIONS)


def _number_re(value: float) -> str:
    """A regex for `value` written as a standalone number (12, 0.75), not as part of a longer one."""
    return rf"(?<![\d.]){re.escape(f'{value:g}')}(?![\d]|\.\d)"


# ---------------------------------------------------------------- errors


def _where(path: Path, index: int, record: Any) -> str:
    rid = record.get("id") if isinstance(record, dict) else None
    return f"{path.name}: record {index}" + (f" ({rid})" if rid else "")


def _fail(path: Path, index: int | None, record: Any, field: str | None, message: str) -> ValidationError:
    where = path.name if index is None else _where(path, index, record)
    if field:
        where += f", field {field}"
    return ValidationError(f"{where}: {message}", f"{path}: {where}: {message}")


def _loc(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(record)"


# ---------------------------------------------------------------- records


def _prepare(path: Path, index: int, raw: Any) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """Fill in derived fields (domain, malgorithm ids) and split off the check-only extras."""
    if not isinstance(raw, dict):
        raise _fail(path, index, raw, None, f"expected a mapping, got {type(raw).__name__}")
    record = dict(raw)
    pid = record.get("id")
    if not isinstance(pid, str) or not pid:
        raise _fail(path, index, record, "id", "missing or not a string")
    prefix = pid.split("-", 1)[0]
    if prefix not in ("math", "code"):
        raise _fail(path, index, record, "id", "starter ids start with 'math-' or 'code-'")
    record.setdefault("domain", prefix)
    if record["domain"] != prefix:
        raise _fail(path, index, record, "domain", f"{record['domain']!r} does not match the id prefix {prefix!r}")
    record.setdefault("source", "starter")
    extras: dict[int, dict[str, Any]] = {}
    mals = record.get("malgorithms") or []
    if not isinstance(mals, list):
        raise _fail(path, index, record, "malgorithms", "expected a list")
    fixed = []
    for j, m in enumerate(mals):
        if not isinstance(m, dict):
            raise _fail(path, index, record, f"malgorithms[{j}]", "expected a mapping")
        m = dict(m)
        slug = m.get("id")
        if not isinstance(slug, str) or not slug:
            raise _fail(path, index, record, f"malgorithms[{j}].id", "missing or not a string")
        if not slug.startswith(pid + "-"):
            m["id"] = f"{pid}-{slug}"
        m.setdefault("problem_id", pid)
        extras[j] = {k: m.pop(k) for k in _MALGORITHM_EXTRAS if k in m}
        fixed.append(m)
    record["malgorithms"] = fixed
    return record, extras


def _check_math(path: Path, index: int, p: Problem, extras: dict[int, dict[str, Any]]) -> None:
    def fail(field: str, message: str) -> ValidationError:
        return _fail(path, index, {"id": p.id}, field, message)

    for i, step in enumerate(p.steps):
        if not step.expression:
            raise fail(f"steps[{i}].expression", "every starter step needs an expression")
        try:
            got = evaluate_expression(step.expression)
        except ValueError as exc:
            raise fail(f"steps[{i}].expression", str(exc)) from None
        if not close(got, step.value):
            raise fail(f"steps[{i}].value", f"{step.expression!r} evaluates to {got!r}, not {step.value!r}")
        if "=" in step.description or re.search(_number_re(step.value), step.description):
            raise fail(f"steps[{i}].description", "name the quantity without its value or an equation")
    if not close(p.answer, p.steps[-1].value):
        raise fail("answer", f"{p.answer!r} is not the last step's value {p.steps[-1].value!r}")
    if len(p.malgorithms) < 2:
        raise fail("malgorithms", "a starter math problem needs at least 2 malgorithms")
    seen: dict[float, str] = {}
    for j, m in enumerate(p.malgorithms):
        f = f"malgorithms[{j}]"
        if m.step is None:
            raise fail(f"{f}.step", "missing: name the first corrupted step")
        if m.wrong_answer is None:
            raise fail(f"{f}.wrong_answer", "missing")
        if not m.step_values:
            raise fail(f"{f}.step_values", "missing")
        bad = [k for k in m.step_values if not m.step <= k < len(p.steps)]
        if bad:
            raise fail(f"{f}.step_values", f"step index {bad[0]} is outside {m.step}..{len(p.steps) - 1}")
        if m.step not in m.step_values:
            raise fail(f"{f}.step_values", f"no value for the first corrupted step {m.step}")
        if close(m.step_values[m.step], p.steps[m.step].value):
            raise fail(f"{f}.step_values", f"step {m.step} is said to be corrupted but has the right value")
        exprs = extras.get(j, {}).get("step_expressions") or {}
        if not isinstance(exprs, dict):
            raise fail(f"{f}.step_expressions", "expected a mapping of step index to expression")
        if set(exprs) != set(m.step_values):
            raise fail(f"{f}.step_expressions", "must give one expression for each entry of step_values")
        for k, expr in exprs.items():
            try:
                got = evaluate_expression(str(expr))
            except ValueError as exc:
                raise fail(f"{f}.step_expressions[{k}]", str(exc)) from None
            if not close(got, m.step_values[k]):
                raise fail(f"{f}.step_values[{k}]", f"{expr!r} evaluates to {got!r}, not {m.step_values[k]!r}")
        last = len(p.steps) - 1
        if last not in m.step_values:
            raise fail(f"{f}.step_values", f"no value for the last step {last} (where the wrong path ends)")
        if not close(m.wrong_answer, m.step_values[last]):
            raise fail(f"{f}.wrong_answer", f"{m.wrong_answer!r} is not the value at the last step {last}")
        if close(m.wrong_answer, p.answer):
            raise fail(f"{f}.wrong_answer", "equals the right answer")
        for i, step in enumerate(p.steps):
            if close(m.wrong_answer, step.value):
                raise fail(f"{f}.wrong_answer", f"equals the right value of step {i}; choose numbers that differ")
        for value, other in seen.items():
            if close(value, m.wrong_answer):
                raise fail(f"{f}.wrong_answer", f"same as malgorithm {other}; value matching could not tell them apart")
        seen[m.wrong_answer] = m.id


def _check_code(path: Path, index: int, p: Problem) -> None:
    def fail(field: str, message: str) -> ValidationError:
        return _fail(path, index, {"id": p.id}, field, message)

    if f"def {p.entry_point}(" not in p.buggy_code:
        raise fail("entry_point", f"{p.entry_point!r} is not defined in buggy_code")
    try:
        ast.parse(p.buggy_code)
    except SyntaxError as exc:
        raise fail("buggy_code", f"syntax error at line {exc.lineno}: {exc.msg}") from None
    n_lines = len(p.buggy_code.splitlines())
    for b, bug in enumerate(p.bugs):
        for line in bug.lines:
            if not 1 <= line <= n_lines:
                raise fail(f"bugs[{b}].lines", f"line {line} is outside 1..{n_lines}")
        for k, fix in enumerate(bug.fixes):
            if not fix.code:
                raise fail(f"bugs[{b}].fixes[{k}].code", "every starter fix carries the full corrected program")
            if not fix.lines:
                raise fail(f"bugs[{b}].fixes[{k}].lines", "name the corrected line(s)")
            fixed_lines = {ln.strip() for ln in fix.code.splitlines()}
            for ln in fix.lines:
                if ln.strip() not in fixed_lines:
                    raise fail(f"bugs[{b}].fixes[{k}].lines", f"{ln!r} is not a line of the fixed code")
    if not p.malgorithms:
        raise fail("malgorithms", "a starter code problem needs at least 1 malgorithm")
    for j, m in enumerate(p.malgorithms):
        if m.bug is None:
            raise fail(f"malgorithms[{j}].bug", "missing: name the bug this misconception belongs to")
        if not m.wrong_code:
            raise fail(f"malgorithms[{j}].wrong_code", "missing: give the plausible wrong fix")


def _validate(path: Path, index: int, raw: Any) -> Problem:
    record, extras = _prepare(path, index, raw)
    try:
        problem = Problem.model_validate(record)
    except pydantic.ValidationError as exc:
        first = exc.errors()[0]
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise _fail(path, index, record, _loc(first["loc"]), first["msg"] + more) from None
    if problem.domain == "math":
        _check_math(path, index, problem, extras)
    else:
        _check_code(path, index, problem)
    return problem


def load_bank_file(path: str | Path) -> list[Problem]:
    """Parse and validate one bank file (a YAML list of problem records). Trees are not attached."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"{path.name}: cannot read the file", f"{path}: {exc}") from None
    try:
        data = yaml.load(text, Loader=_SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ValidationError(f"{path.name}: invalid YAML{at}", f"{path}: {exc}") from None
    if not isinstance(data, list):
        raise _fail(path, None, None, None, "expected a list of problem records at the top level")
    problems = [_validate(path, i, raw) for i, raw in enumerate(data)]
    ids = [p.id for p in problems]
    for i, pid in enumerate(ids):
        if pid in ids[:i]:
            raise _fail(path, i, {"id": pid}, "id", "duplicate id in this file")
    return problems


def bank_files(directory: str | Path | None = None) -> list[Path]:
    """The bank's YAML files (default: the starter bank), math files first, then alphabetical."""
    directory = BANK_DIR if directory is None else Path(directory)
    files = [p for p in directory.iterdir() if p.suffix in (".yaml", ".yml")]
    return sorted(files, key=lambda p: (not p.name.startswith("math"), p.name))


def load_bank_dir(directory: str | Path | None = None) -> list[Problem]:
    """Parse and validate every bank file in a directory (default: the starter bank); ids must be unique across files.

    Trees are not attached; `load_starter()` is the cached entry point that does.
    """
    problems: list[Problem] = []
    where: dict[str, str] = {}
    for path in bank_files(directory):
        for i, p in enumerate(load_bank_file(path)):
            if p.id in where:
                raise _fail(path, i, {"id": p.id}, "id", f"duplicate id, already used in {where[p.id]}")
            where[p.id] = path.name
            problems.append(p)
    return problems


# ---------------------------------------------------------------- trees


def _attach_trees(problems: list[Problem]) -> bool:
    """Attach a question tree to every problem that lacks one; False when a tree could not be derived."""
    ok = True
    for p in problems:
        if p.tree is not None:
            continue
        try:
            p.tree = tree_for(p)
        except Exception as exc:  # a tree bug must not take the whole bank down; the problem stays usable
            ok = False
            log.warning("no question tree for %s: %s: %s", p.id, type(exc).__name__, exc)
    return ok


@dataclasses.dataclass(frozen=True)
class _Starter:
    problems: tuple[Problem, ...]
    trees_attached: bool  # every problem got a question tree


@functools.lru_cache(maxsize=1)
def _starter() -> _Starter:
    problems = load_bank_dir()
    return _Starter(problems=tuple(problems), trees_attached=_attach_trees(problems))


def _load_all() -> tuple[Problem, ...]:
    return _starter().problems


def load_starter() -> list[Problem]:
    """All starter problems, validated, with question trees attached where they can be derived.

    Parsed once per process; each call returns fresh copies, so callers may modify what they get.
    """
    return [p.model_copy(deep=True) for p in _load_all()]


def trees_attached() -> bool:
    """Whether every starter problem got a question tree (False when deriving one failed)."""
    return _starter().trees_attached


def starter_ids(domain: str | None = None) -> list[str]:
    return [p.id for p in _load_all() if domain is None or p.domain == domain]


def starter_problem(problem_id: str) -> Problem:
    """One starter problem by id (a fresh copy). Raises KeyError naming the id when there is no such problem."""
    for p in _load_all():
        if p.id == problem_id:
            return p.model_copy(deep=True)
    raise KeyError(f"no starter problem {problem_id!r} (there are {len(_load_all())}: math-..., code-...)")
