"""Load and save problems (and question trees) as JSON or YAML, with precise validation errors.

A file holds one record, a list of records, or a mapping with a `problems` (or `trees`) list. Every error names the
file, the record (index and id) and the field path, plus the YAML line where known, and raises
`errors.ValidationError`. Loading is all-or-nothing: one bad record fails the whole file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TypeVar

import pydantic
import yaml

from errors import ValidationError
from knowledge.bank import load_bank_file
from knowledge.types import Problem, QuestionTree

M = TypeVar("M", bound=pydantic.BaseModel)
SUFFIXES = {".json": "json", ".yaml": "yaml", ".yml": "yaml", ".jsonl": "jsonl"}


def _format(path: Path) -> str:
    kind = SUFFIXES.get(path.suffix.lower())
    if kind is None:
        raise ValidationError(f"{path}: unsupported file type {path.suffix!r} (use .json, .jsonl, .yaml or .yml)")
    return kind


def load_yaml(text: str) -> Any:
    """yaml.safe_load without aliases: `*name` references let a few hundred bytes expand into millions of values
    (a 484-byte file cost 2.6 s of CPU), so a document that uses them is refused (yaml.YAMLError naming the line)."""
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.YAMLError(
                f"line {event.start_mark.line + 1}: YAML aliases (*{event.anchor}) are not allowed; "
                "write the values out"
            )
    return yaml.safe_load(text)


def _yaml_lines(text: str) -> Any:
    """The YAML node tree, used to map a field path to its line number (None when the text does not compose)."""
    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return None


def _line_of(node: Any, path: list[Any]) -> int | None:
    for key in path:
        if isinstance(node, yaml.MappingNode):
            node = next((v for k, v in node.value if k.value == str(key)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            break
        if node is None:
            return None
    return node.start_mark.line + 1 if node is not None else None


def read_records(path: str | Path, key: str = "problems") -> tuple[list[dict[str, Any]], list[Any], Any]:
    """Parse the file into raw records; returns (records, path prefix of the list inside the file, yaml node tree)."""
    path = Path(path)
    kind = _format(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ValidationError(f"{path}: cannot read file: {exc.strerror or exc}") from exc
    nodes = None
    try:
        if kind == "json":
            data = json.loads(text)
        elif kind == "jsonl":
            data = []
            for n, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    try:
                        data.append(json.loads(line))
                    except json.JSONDecodeError as exc:
                        raise ValidationError(f"{path}:{n}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
        else:
            data = load_yaml(text)
            nodes = _yaml_lines(text)
    except json.JSONDecodeError as exc:
        raise ValidationError(f"{path}:{exc.lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        raise ValidationError(f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}") from exc
    prefix: list[Any] = []
    if isinstance(data, dict) and key in data:
        prefix, data = [key], data[key]
    if isinstance(data, dict):
        return [data], None, nodes  # type: ignore[return-value]
    if not isinstance(data, list):
        raise ValidationError(f"{path}: expected a {key[:-1]} record, a list of them, or a mapping with '{key}'")
    for i, record in enumerate(data):
        if not isinstance(record, dict):
            raise ValidationError(f"{path}: record {i}: expected a mapping, got {type(record).__name__}")
    return data, prefix, nodes


def _describe(
    path: Path, index: int, record: dict[str, Any], exc: pydantic.ValidationError, prefix: Any, nodes: Any
) -> str:
    rid = record.get("id") or record.get("problem_id")
    head = f"{path}: record {index}" + (f" (id {rid})" if rid else "")
    parts = []
    for err in exc.errors():
        loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-after"))]
        field = ".".join(str(p) for p in loc) or "(record)"
        line = None
        if nodes is not None:
            base = (prefix + [index]) if prefix is not None else []
            line = _line_of(nodes, base + loc)
        where = f" (line {line})" if line else ""
        message = err["msg"].removeprefix("Value error, ")
        parts.append(f"field {field}{where}: {message}")
    return head + ": " + "; ".join(parts)


def load_models(path: str | Path, model: type[M], key: str) -> list[M]:
    path = Path(path)
    records, prefix, nodes = read_records(path, key)
    out: list[M] = []
    seen: dict[str, int] = {}
    for i, record in enumerate(records):
        try:
            item = model.model_validate(record)
        except pydantic.ValidationError as exc:
            raise ValidationError(_describe(path, i, record, exc, prefix, nodes), f"{path}: {exc}") from exc
        ident = getattr(item, "id", None) or getattr(item, "problem_id", None)
        if ident is not None and ident in seen:
            raise ValidationError(f"{path}: record {i} (id {ident}): field id: duplicate of record {seen[ident]}")
        if ident is not None:
            seen[ident] = i
        out.append(item)
    return out


def load_problems(path: str | Path) -> list[Problem]:
    """All problems in a JSON/JSONL/YAML file; raises ValidationError naming file, record and field."""
    return load_models(path, Problem, "problems")


def load_trees(path: str | Path) -> list[QuestionTree]:
    return load_models(path, QuestionTree, "trees")


def dump_records(models: list[pydantic.BaseModel], fmt: str, key: str = "problems") -> str:
    data = [m.model_dump(mode="json", exclude_defaults=False) for m in models]
    if fmt == "json":
        return json.dumps({key: data}, indent=2, ensure_ascii=False) + "\n"
    if fmt == "jsonl":
        return "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in data)
    return yaml.safe_dump({key: data}, sort_keys=False, allow_unicode=True, width=120)


def save_problems(problems: list[Problem], path: str | Path) -> Path:
    """Write problems atomically (temp file + rename) as JSON, JSONL or YAML by suffix."""
    path = Path(path)
    text = dump_records(list(problems), _format(path))
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def save_trees(trees: list[QuestionTree], path: str | Path) -> Path:
    path = Path(path)
    text = dump_records(list(trees), _format(path), key="trees")
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def _bank_format(records: list[dict[str, Any]]) -> bool:
    """Starter-bank files (knowledge/bank/*.yaml) leave `domain` and malgorithm `problem_id` to the bank loader."""
    return bool(records) and any("domain" not in r for r in records)


def load_any_problems(path: str | Path) -> list[Problem]:
    """Problems from a full-format file, or from a starter-bank-format file through `knowledge.bank`."""
    records, _, _ = read_records(path, "problems")
    if _bank_format(records):
        return load_bank_file(path)
    return load_problems(path)


def validate_file(path: str | Path) -> tuple[str, int]:
    """Validate a problems, starter-bank or trees file; returns (kind, count). Trees are recognised by their
    `trees` key or by records carrying `nodes` and `problem_id`."""
    records, _, _ = read_records(path, "trees")
    is_trees = bool(records) and all("nodes" in r and "problem_id" in r and "domain" not in r for r in records)
    if is_trees:
        return "trees", len(load_trees(path))
    problems = load_any_problems(path)
    return ("starter-bank problems" if _bank_format(read_records(path, "problems")[0]) else "problems"), len(problems)


def print_json(result: Any, path: Path | None = None) -> None:
    """Print a measurement's result as indented JSON and, with `path`, also write it there."""
    text = json.dumps(result, indent=2)
    print(text)
    if path:
        path.write_text(text + "\n")


def read_jsonl(path: str | Path, kind: str = "JSONL file", item: str = "record") -> list[tuple[str, dict[str, Any]]]:
    """(`path:line`, object) for every non-blank line of a JSON Lines file. A file that cannot be read, or a line
    that is not one JSON object, raises ValidationError naming it (`kind`, `item`: how the message calls them)."""
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise ValidationError(f"Cannot read the {kind} {path}: {exc}") from exc
    out = []
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{path}:{n}"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationError(f"{where}: invalid JSON ({exc.msg}, column {exc.colno})") from exc
        if not isinstance(row, dict):
            raise ValidationError(f"{where}: a {item} is not a JSON object")
        out.append((where, row))
    return out
