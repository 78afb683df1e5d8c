"""Writing problems: imports (a problems file or MathDial JSONL), new math and code problems, copies, edited trees.

Every function starts with `ctx.require(token, "teacher")`; a teacher changes only problems they wrote or imported
(starter problems are read-only: copy to edit). Imports are all-or-nothing: a file is fully validated before anything
is written.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pydantic
import yaml

from errors import InputError, ValidationError
from knowledge.bank import starter_ids
from knowledge.importers import import_mathdial
from knowledge.io import load_problems, load_yaml
from knowledge.types import Bug, Fix, Problem, QuestionTree, Step
from store import visible_controls
from ui.context import MAX_UPLOAD_BYTES, AppContext, AuthError, attach_tree, check_text, opt_int


def _upload_path(upload: Any) -> Path:
    path = Path(
        upload if isinstance(upload, str | Path) else getattr(upload, "name", "") or getattr(upload, "path", "")
    )
    if not path.is_file():
        raise InputError("Choose a file to import.")
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        raise InputError(f"The file is larger than {MAX_UPLOAD_BYTES // 1_000_000} MB.")
    try:
        path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path.name} is not UTF-8 text (byte {exc.start}); save it as UTF-8 and try again.") from exc
    return path


def import_problems(ctx: AppContext, token: str, upload: Any) -> tuple[list[str], list[str]]:
    """Import problems from a JSON/YAML problems file or a MathDial JSONL file. Returns (imported ids, skipped
    notes)."""
    teacher = ctx.require(token, "teacher")
    path = _upload_path(upload)
    skipped: list[str] = []
    if path.suffix.lower() == ".jsonl" and _looks_mathdial(path):
        report = import_mathdial(path)
        problems = list(report.problems)
        skipped = [f"{where}: {why}" for where, why in report.skipped]
    else:
        problems = load_problems(path)  # ValidationError names file, record and field; nothing is written
    if not problems:
        raise ValidationError(
            f"{path.name}: no problems found." + (f" Skipped: {'; '.join(skipped[:5])}" if skipped else "")
        )
    for p in problems:
        _check_owner(ctx, teacher.id, p.id)
    checked = [attach_tree(p) for p in problems]
    with ctx.store.db.transaction():
        for p in checked:
            ctx.store.save_problem(p.model_dump(mode="json"), author_id=teacher.id)
    ctx.knowledge.upsert(checked)
    return [p.id for p in checked], skipped


def _looks_mathdial(path: Path) -> bool:
    first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()), "")
    try:
        return "ground_truth" in json.loads(first) or "conversation" in json.loads(first)
    except (json.JSONDecodeError, TypeError):
        return False


def add_math_problem(
    ctx: AppContext,
    token: str,
    *,
    title: str,
    statement: str,
    steps: str,
    answer: Any,
    skills: str = "",
    difficulty: str = "medium",
    grade: Any = None,
) -> Problem:
    """Steps: one per line, `description | expression | value`. The tree is drafted from them."""
    teacher = ctx.require(token, "teacher")
    parsed = []
    for n, line in enumerate((steps or "").splitlines(), 1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) != 3:
            raise InputError(f"Step line {n} needs three parts: description | expression | value.")
        try:
            parsed.append(Step(description=parts[0], expression=parts[1], value=float(parts[2])))
        except (ValueError, pydantic.ValidationError) as exc:
            raise InputError(
                f"Step line {n}: {parts[2]!r} is not a number." if "float" in str(exc) else f"Step line {n}: {exc}"
            ) from None
    try:
        answer_value = float(answer)
    except (TypeError, ValueError):
        raise InputError("The answer must be a number.") from None
    return _save_new(
        ctx,
        teacher.id,
        dict(
            domain="math",
            title=title,
            statement=statement,
            steps=parsed,
            answer=answer_value,
            skills=_skills(skills),
            difficulty=difficulty or "medium",
            grade=opt_int(grade),
        ),
    )


def add_code_problem(
    ctx: AppContext,
    token: str,
    *,
    title: str,
    statement: str,
    code: str,
    entry_point: str,
    tests: str,
    bug_lines: str,
    bug_description: str,
    fix_description: str,
    fixed_code: str = "",
    skills: str = "",
    difficulty: str = "medium",
) -> Problem:
    teacher = ctx.require(token, "teacher")
    try:
        lines = [int(x) for x in (bug_lines or "").replace(",", " ").split()]
    except ValueError:
        raise InputError("Bug lines must be line numbers, e.g. 3 or 3, 4.") from None
    bug = dict(
        lines=lines,
        description=bug_description,
        fixes=[Fix(description=fix_description or "fix the bug", code=fixed_code or "")],
    )
    try:
        bugs = [Bug(**bug)]
    except pydantic.ValidationError as exc:
        raise InputError(f"The bug needs line numbers and a description ({exc.errors()[0]['loc'][0]}).") from None
    return _save_new(
        ctx,
        teacher.id,
        dict(
            domain="code",
            title=title,
            statement=statement,
            buggy_code=code or "",
            entry_point=(entry_point or "").strip(),
            unit_tests=[t.strip() for t in (tests or "").splitlines() if t.strip()],
            bugs=bugs,
            skills=_skills(skills) or ["debugging"],
            difficulty=difficulty or "medium",
        ),
    )


def _skills(text: str) -> list[str]:
    return [s.strip().replace(" ", "_") for s in (text or "").split(",") if s.strip()]


def _check_owner(ctx: AppContext, teacher_id: int, problem_id: str) -> None:
    """A teacher changes only problems they wrote or imported; starter problems are read-only (copy to edit)."""
    rec = ctx.store.get_problem(problem_id)
    if rec is None and problem_id in starter_ids():
        raise AuthError(f"{problem_id} is a starter problem, which is read-only; copy it to edit your own version.")
    if rec is not None and rec.author_id != teacher_id:
        what = "a starter problem, which is read-only" if rec.author_id is None else "another teacher's problem"
        raise AuthError(
            f"{problem_id} is {what}; copy it to edit your own version.",
            f"teacher {teacher_id} tried to change problem {problem_id} of author {rec.author_id}",
        )


def _free_id(ctx: AppContext, title: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40] or "problem"
    pid, n = f"t-{slug}", 2
    while ctx.store.get_problem(pid) is not None or pid in starter_ids():
        pid, n = f"t-{slug}-{n}", n + 1
    return pid


def copy_problem(ctx: AppContext, token: str, problem_id: str) -> Problem:
    """A copy of any problem (starter or another teacher's), owned by this teacher and editable by them."""
    teacher = ctx.require(token, "teacher")
    original = ctx.problem(problem_id)
    pid = _free_id(ctx, f"{original.title} copy")
    data = original.model_dump(mode="json")
    tree = {**data["tree"], "problem_id": pid} if data.get("tree") else None
    malgorithms = [{**m, "problem_id": pid} for m in data.get("malgorithms", [])]
    problem = Problem.model_validate({**data, "id": pid, "source": "teacher", "tree": tree, "malgorithms": malgorithms})
    ctx.store.save_problem(problem.model_dump(mode="json"), author_id=teacher.id)
    ctx.knowledge.upsert([problem])
    return problem


def _save_new(ctx: AppContext, teacher_id: int, fields: dict[str, Any]) -> Problem:
    title = (fields.get("title") or "").strip()
    if not title or not (fields.get("statement") or "").strip():
        raise InputError("A problem needs a title and a statement.")
    pid = _free_id(ctx, title)
    try:
        problem = Problem(id=pid, source="teacher", **fields)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(x) for x in err["loc"]) or "problem"
        raise InputError(f"{field}: {err['msg'].removeprefix('Value error, ')}") from None
    problem = attach_tree(problem)
    ctx.store.save_problem(problem.model_dump(mode="json"), author_id=teacher_id)
    ctx.knowledge.upsert([problem])
    return problem


def tree_text(ctx: AppContext, token: str, problem_id: str) -> str:
    ctx.require(token, "teacher")
    problem = ctx.problem(problem_id)
    assert problem.tree is not None
    return visible_controls(json.dumps(problem.tree.model_dump(mode="json"), indent=2, ensure_ascii=False))


def save_tree(ctx: AppContext, token: str, problem_id: str, text: str) -> QuestionTree:
    """Validate an edited tree (JSON or YAML) and store it with its problem; nothing is written when invalid."""
    teacher = ctx.require(token, "teacher")
    problem = ctx.problem(problem_id)
    _check_owner(ctx, teacher.id, problem.id)
    text, notice = check_text(text, 200_000, "tree")
    if notice:
        raise InputError("The tree is too large.")
    try:
        data = json.loads(text) if text.lstrip().startswith("{") else load_yaml(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"The tree is not valid JSON or YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(data, dict):
        raise InputError("The tree must be a mapping with problem_id and nodes.")
    data = {**data, "problem_id": data.get("problem_id", problem.id), "source": "teacher"}
    try:
        tree = QuestionTree.model_validate(data)
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(
            f"Tree field {'.'.join(str(x) for x in err['loc'])}: {err['msg'].removeprefix('Value error, ')}"
        ) from None
    if tree.problem_id != problem.id:
        raise InputError(f"This tree is for {tree.problem_id}, not {problem.id}.")
    problem.tree = tree
    Problem.model_validate(problem.model_dump())
    ctx.store.save_problem({**problem.model_dump(mode="json"), "source": problem.source}, author_id=teacher.id)
    ctx.knowledge.upsert([problem])
    return tree
