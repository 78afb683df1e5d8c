"""Socratic Debugging Benchmark parsing: tagged sections, numbered code, fixes applied as edits, dialogue turns.

Files are grouped per problem-bug (`PROBLEM_BUG_name_(socratic_dialogue|conversational_thread_N|...).txt`) into one
Problem `sdb-<problem>_<bug>`; the socratic_dialogue file is canonical. Each file is parsed whole or not at all.
Validation runs the buggy code and each fixed program against the unit tests in a subprocess (never in-process).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic

from knowledge.fixes import REPLACE_PAIR, apply_fix, numbers_after, run_programs
from knowledge.trees import derive_tree
from knowledge.types import Bug, Fix, Problem, QuestionTree

FILENAME = re.compile(r"^(?P<problem>\d+)_(?P<bug>\d+)_(?P<name>.+?)_(?P<kind>socratic_dialogue|\w+_thread_\d+)\.txt$")
REQUIRED = ("problem", "bug_code", "bug_desc", "bug_fixes", "unit_tests")
MAX_VARIANTS = 10  # per node and depth, templates included
_LINE_NO = re.compile(r"^\s*\d+\. ?")


class SDBFormatError(ValueError):
    """A malformed SDB file; the message says where."""


def section(text: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>\n?(.*?)</{tag}>", text, re.S)
    return match.group(1) if match else None


def strip_line_numbers(block: str) -> str:
    """'11.    for i in x:' -> '   for i in x:' (only 'N. ' is removed; the indentation after it is kept), then
    repair the column jitter the benchmark introduces where line numbers go from one to two digits."""
    lines = block.rstrip("\n").split("\n")
    code = [_LINE_NO.sub("", ln, count=1) for ln in lines]
    text = "\n".join(code).rstrip() + "\n"
    try:
        compile(text, "<bug_code>", "exec")
    except (IndentationError, TabError):
        repaired = _snap_indentation(code)
        try:
            compile(repaired, "<bug_code>", "exec")
            return repaired
        except (IndentationError, TabError):
            return text
    except SyntaxError:
        pass  # the bug itself may be a syntax error
    return text


def _snap_indentation(lines: list[str]) -> str:
    """Snap off-by-one indents to a known level: a deeper indent opens a level only after a line ending in ':'."""
    stack = [0]
    out = []
    prev_opens = False
    for line in lines:
        if not line.strip():
            out.append("")
            continue
        body = line.lstrip(" ")
        width = len(line) - len(body)
        if width > stack[-1] and prev_opens:
            stack.append(width)
        elif width not in stack:
            candidates = [w for w in stack if w <= width + 1]
            width = min(candidates or stack, key=lambda w: abs(w - width))
        while stack[-1] > width:
            stack.pop()
        width = stack[-1] if width not in stack else width
        out.append(" " * width + body)
        prev_opens = body.split("#")[0].rstrip().endswith(":")
    return "\n".join(out).rstrip() + "\n"


def parse_file(path: Path) -> dict[str, Any]:
    """Parse one SDB file into raw fields; raises SDBFormatError naming the file and what is wrong."""
    match = FILENAME.match(path.name)
    if not match:
        raise SDBFormatError(f"{path}: file name does not match PROBLEM_BUG_name_kind.txt")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SDBFormatError(f"{path}: cannot read: {exc}") from exc
    sections = {tag: section(text, tag) for tag in (*REQUIRED, "stu_desc", "dialogue")}
    missing = [t for t in REQUIRED if not (sections[t] or "").strip()]
    if missing:
        raise SDBFormatError(f"{path}: missing or empty section <{'>, <'.join(missing)}>")
    numbered = [ln for ln in sections["bug_code"].strip("\n").split("\n") if ln.strip()]
    for k, ln in enumerate(numbered, start=1):
        if not _LINE_NO.match(ln):
            line_no = text[: text.index("<bug_code>")].count("\n") + 1 + k
            raise SDBFormatError(f"{path}:{line_no}: <bug_code> line {k} has no 'N. ' line number: {ln[:40]!r}")
    return {
        "key": f"{match['problem']}_{match['bug']}",
        "name": match["name"],
        "kind": match["kind"],
        "statement": sections["problem"].strip(),
        "code": strip_line_numbers(sections["bug_code"]),
        "bug_desc": " ".join(sections["bug_desc"].split()),
        "fixes": [
            ln.strip()
            for ln in sections["bug_fixes"].strip().split("\n")
            if ln.strip() and not ln.strip().startswith("```")
        ],
        "tests": [ln.strip() for ln in sections["unit_tests"].split("\n") if ln.strip()],
        "profile": " ".join((sections["stu_desc"] or "").split()),
        "turns": assistant_turns(sections["dialogue"] or ""),
    }


def assistant_turns(dialogue: str) -> list[list[str]]:
    """Each Assistant turn as [main utterance, *alternatives]; code blocks are dropped."""
    dialogue = re.sub(r"<code>.*?</code>", "", dialogue, flags=re.S)
    turns: list[list[str]] = []
    current: list[str] | None = None
    for raw in dialogue.split("\n"):
        line = raw.strip()
        if line.startswith("Assistant:"):
            current = [line.removeprefix("Assistant:").strip()]
            turns.append(current)
        elif line.startswith("User:"):
            current = None
        elif line.startswith("<alt>") and current is not None:
            current.append(line.removeprefix("<alt>").strip())
    return [t for t in turns if t and t[0]]


_SKILLS = {
    "loops": r"\bloop|range\(|iterat",
    "off-by-one": r"off-by-one|one (?:additional|extra|more|less)|range\(|\+ ?1|- ?1\b",
    "indexing": r"\bindex|slice|\[\s*-?\d",
    "conditionals": r"\bif\b|condition|elif|else",
    "return values": r"\breturn",
    "comparison operators": r"[<>]=?|==|!=|strictly",
    "recursion": r"recurs",
    "mutation": r"mutat|in place|modif",
    "strings": r"\bstring|str\b",
    "syntax": r"syntax",
}


def _skills(desc: str, fixes: list[str]) -> list[str]:
    text = desc + " " + " ".join(fixes)
    return ["debugging"] + [s for s, pat in _SKILLS.items() if re.search(pat, text, re.I)]


def _bug_lines(parsed: dict[str, Any]) -> list[int]:
    n_lines = len(parsed["code"].rstrip("\n").split("\n"))
    lines = [n for n in numbers_after(parsed["bug_desc"], "line") if 0 < n <= n_lines]
    if not lines:
        for fix in parsed["fixes"]:
            lines += [n for n in numbers_after(fix, "line") if 0 < n <= n_lines]
    if not lines:
        code_lines = parsed["code"].split("\n")
        snippets = [old for old, _ in REPLACE_PAIR.findall(" ".join(parsed["fixes"]))]
        for text in [*parsed["fixes"], parsed["bug_desc"]]:
            snippets += [snip for snip in re.findall(r"`([^`]*)`", text) if len(snip.strip()) >= 3]
        for snippet in snippets:
            where = [i + 1 for i, ln in enumerate(code_lines) if snippet.strip() in ln]
            if 0 < len(where) <= 2:
                lines += where
    if not lines and any(re.search(r"\bconditions?\b", f, re.I) for f in parsed["fixes"]):
        code_lines = parsed["code"].split("\n")
        lines = [i + 1 for i, ln in enumerate(code_lines) if re.match(r"\s*(?:if|elif|while)\b", ln)]
    return sorted(dict.fromkeys(lines))


def _entry_point(code: str, tests: list[str]) -> str:
    names = re.findall(r"^def\s+(\w+)\s*\(", code, re.M)
    called = [n for n in names if any(re.search(rf"\b{n}\s*\(", t) for t in tests)]
    return (called or names or [""])[0]


def _variants(turns: list[list[str]], tree: QuestionTree, leaks: list[str]) -> None:
    """Map the reference dialogue's Assistant turns onto the code nodes: early -> behaviour, middle -> locate,
    late -> fix; keyword cues (a line number, 'fix'/'change') override the position. Turns that state a fix are
    left out."""
    kinds = {n.kind: n for n in tree.nodes if n.bug == 0}
    usable = [t for t in turns if "?" in t[0]]
    for k, turn in enumerate(usable):
        frac = k / max(len(usable), 1)
        for j, utterance in enumerate(turn):
            if "?" not in utterance or any(leak and leak in utterance for leak in leaks):
                continue
            low = utterance.lower()
            if re.search(r"\b(fix|change|modify|replace|edit|correct)\b", low) and frac > 0.3:
                kind = "fix"
            elif re.search(r"\bline \d+|\bwhere\b|which part|print statement|debugger|trace", low):
                kind = "locate"
            else:
                kind = "behaviour" if frac < 0.34 else "locate" if frac < 0.67 else "fix"
            node = kinds.get(kind)
            if node is None:
                continue
            bucket = node.questions.focus if j == 0 and frac < 0.5 else node.questions.probing
            seen = {_dedupe_key(q) for q in node.questions.focus + node.questions.probing}
            if _dedupe_key(utterance) not in seen and len(bucket) < MAX_VARIANTS:
                bucket.append(utterance)


def _dedupe_key(text: str) -> str:
    text = re.sub(
        r"^(?:(?:good|great|okay|ok|sure|i see|perfect|correct|excellent|nice)[\w ]{0,12}[.!,]\s*)+",
        "",
        text.strip(),
        flags=re.I,
    )
    return " ".join(re.findall(r"[a-z0-9]+", text.lower()))


def build_problem(group: list[dict[str, Any]], verify: bool) -> tuple[Problem, int, list[str]]:
    """One Problem from a group of parsed files; returns (problem, fixes verified, notes)."""
    canonical = next((g for g in group if g["kind"] == "socratic_dialogue"), group[0])
    key, notes = canonical["key"], []
    code, tests = canonical["code"], canonical["tests"]
    lines = _bug_lines(canonical)
    if not lines:
        raise SDBFormatError("no bug line found in <bug_desc> or <bug_fixes>")
    fixes, programs = [], []
    for desc in canonical["fixes"]:
        applied = apply_fix(code, desc)
        fixes.append((desc, applied))
        if applied:
            programs.append(applied[0])
    verified = 0
    failing_tests: list[str] = []
    if verify:
        results = run_programs([code, *programs], tests)
        if results is None:
            raise SDBFormatError("running the unit tests timed out or crashed")
        if results[0]["passed"]:
            raise SDBFormatError("the buggy code passes all of its unit tests")
        failing_tests = [t for t in results[0]["failed"] if t != "<load>"]
        outcomes = iter(results[1:])
        checked = []
        for desc, applied in fixes:
            ok = applied is not None and next(outcomes)["passed"]
            verified += ok
            checked.append((desc, applied if ok else None))
            if applied is not None and not ok:
                notes.append(f"sdb-{key}: fix {desc[:60]!r} applied but still fails the tests; code left empty")
        fixes = checked
    fix_models = []
    for desc, applied in fixes:
        if applied:
            new_code, changed = applied
            new_lines = new_code.rstrip("\n").split("\n")
            fix_models.append(Fix(description=desc, code=new_code, lines=[new_lines[n - 1].strip() for n in changed]))
        else:
            fix_models.append(Fix(description=desc, lines=[y.strip() for _, y in REPLACE_PAIR.findall(desc)]))
    title = canonical["name"].replace("_", " ").strip().capitalize()
    problem = Problem(
        id=f"sdb-{key}",
        domain="code",
        title=f"{title} (SDB {key.replace('_', ', bug ')})",
        statement=canonical["statement"],
        skills=_skills(canonical["bug_desc"], canonical["fixes"]),
        difficulty="medium",
        source="sdb",
        buggy_code=code,
        entry_point=_entry_point(code, tests),
        unit_tests=tests,
        bugs=[Bug(lines=lines, description=canonical["bug_desc"], fixes=fix_models)],
        student_profile=canonical["profile"],
    )
    tree = derive_tree(problem, failing_tests=failing_tests or None)
    leaks = [ln for f in fix_models for ln in f.lines if len(ln) >= 3]
    for g in sorted(group, key=lambda g: g["kind"] != "socratic_dialogue"):
        _variants(g["turns"], tree, leaks)
    problem.tree = tree
    return problem, verified, notes


def import_sdb_dir(
    directory: Path, report: Any, progress: Callable[[int], None] | None = None, *, verify: bool = True
) -> Any:
    files = sorted(directory.glob("*.txt")) if directory.is_dir() else []
    if not directory.is_dir():
        report.skipped.append((str(directory), "not a directory"))
        return report
    report.records = len(files)
    groups: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for path in files:
        try:
            parsed = parse_file(path)
        except SDBFormatError as exc:
            report.skipped.append((path.name, str(exc).removeprefix(f"{path}: ")))
            continue
        groups.setdefault(parsed["key"], []).append((path, parsed))
    for key in sorted(groups, key=lambda k: tuple(int(x) for x in k.split("_"))):
        members = groups[key]
        try:
            problem, verified, notes = build_problem([p for _, p in members], verify)
        except (SDBFormatError, pydantic.ValidationError) as exc:
            reason = str(exc) if isinstance(exc, SDBFormatError) else f"invalid problem: {exc.errors()[0]['msg']}"
            report.skipped += [(path.name, reason) for path, _ in members]
            continue
        report.problems.append(problem)
        report.imported += len(members)
        report.steps_parsed += verified
        report.notes += notes
        if progress:
            progress(len(members))
    return report
