"""Socratic Debugging Benchmark problems: fixes applied as edits and verified, bug lines, skills, question variants.

Files are grouped per problem-bug (`PROBLEM_BUG_name_(socratic_dialogue|conversational_thread_N|...).txt`) into one
Problem `sdb-<problem>_<bug>`; the socratic_dialogue file is canonical. Each file is parsed whole or not at all
(`knowledge.sdb_format`).
Validation runs the buggy code and each fixed program against the unit tests in a subprocess (never in-process).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic

from knowledge.fixes import REPLACE_PAIR, apply_fix, numbers_after, run_programs
from knowledge.sdb_attempts import (
    FixCounts,
    dialogue_attempts,
    near_misses,
    partial_fixes,
    program_key,
    resolve,
)
from knowledge.sdb_format import SDBFormatError, parse_file
from knowledge.trees import derive_tree
from knowledge.types import Bug, Fix, Malgorithm, Problem, QuestionTree

MAX_VARIANTS = 10  # per node and depth, templates included


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


def _run(programs: list[str], tests: list[str]) -> list[dict[str, Any]]:
    results = run_programs(programs, tests)
    if results is None:
        raise SDBFormatError("running the unit tests timed out or crashed")
    return results


def _inconsistent_tests(
    fix_results: list[dict[str, Any]], programs: list[str], attempts: list[Any], tests: list[str]
) -> list[str]:
    """Tests the benchmark's own solution fails: every applied fix fails the same tests (not all of them, and
    loading fine), and a student's program in the dialogues is one of those fixes. Empty when there is no such
    evidence."""
    failed = {tuple(r["failed"]) for r in fix_results}
    if not fix_results or len(failed) != 1:
        return []
    only = list(failed.pop())
    if not only or "<load>" in only or len(only) >= len(tests):
        return []
    keys = {program_key(p) for p in programs}
    return only if any(a.kind == "dialogue" and program_key(a.code) in keys for a in attempts) else []


def build_problem(group: list[dict[str, Any]], verify: bool) -> tuple[Problem, FixCounts, list[str]]:
    """One Problem from a group of parsed files; returns (problem, what became of its fixes, notes).

    With `verify`, the buggy code, every applied fix, and every program the students send in the group's dialogues
    (and each single edit of a several-edit fix) run against the unit tests in one isolated subprocess: fixes
    keep their corrected program only when it passes (else the note says why), failing student programs and partial
    fixes become the bug's wrong-fix malgorithms (see `knowledge.sdb_attempts`)."""
    canonical = next((g for g in group if g["kind"] == "socratic_dialogue"), group[0])
    key, notes = canonical["key"], []
    pid = f"sdb-{key}"
    code, tests = canonical["code"], canonical["tests"]
    entry_point = _entry_point(code, tests)
    lines = _bug_lines(canonical)
    if not lines:
        raise SDBFormatError("no bug line found in <bug_desc> or <bug_fixes>")
    fixes = [(desc, apply_fix(code, desc)) for desc in canonical["fixes"]]
    counts = FixCounts()
    malgorithms: list[Malgorithm] = []
    failing_tests: list[str] = []
    if verify:
        ordered = sorted(group, key=lambda g: (g["kind"] != "socratic_dialogue", g["stem"]))
        blocks = [(g["stem"], b) for g in ordered for b in g["blocks"]]
        attempts = dialogue_attempts(blocks, code, entry_point) + partial_fixes(code, canonical["fixes"])
        seen = {program_key(a[0]) for _, a in fixes if a}
        attempts = [a for a in attempts if a.kind == "dialogue" or program_key(a.code) not in seen]
        seen |= {program_key(a.code) for a in attempts}
        for near in near_misses(code, lines):
            if program_key(near.code) not in seen:
                seen.add(program_key(near.code))
                attempts.append(near)
        programs = [a[0] for _, a in fixes if a]
        results = _run([code, *programs, *(a.code for a in attempts)], tests)
        broken = _inconsistent_tests(results[1 : 1 + len(programs)], programs, attempts, tests)
        if broken:
            tests = [t for t in tests if t not in broken]
            notes.append(
                f"{pid}: unit test(s) {'; '.join(broken)} dropped: every benchmark fix fails them and a "
                "student's final program in the dialogues is that fix"
            )
            results = _run([code, *programs, *(a.code for a in attempts)], tests)
        if results[0]["passed"]:
            raise SDBFormatError("the buggy code passes all of its unit tests")
        failing_tests = [t for t in results[0]["failed"] if t != "<load>"]
        fix_models, malgorithms, counts, resolved = resolve(
            pid,
            code,
            tests,
            fixes,
            attempts,
            results[1 : 1 + len(programs)],
            results[1 + len(programs) :],
            buggy_loads=results[0]["failed"] != ["<load>"],
        )
        notes += resolved
    else:
        fix_models = [
            Fix(
                description=desc,
                code=applied[0],
                lines=[applied[0].rstrip("\n").split("\n")[n - 1].strip() for n in applied[1]],
            )
            if applied
            else Fix(description=desc, lines=[y.strip() for _, y in REPLACE_PAIR.findall(desc)])
            for desc, applied in fixes
        ]
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
        entry_point=entry_point,
        unit_tests=tests,
        bugs=[Bug(lines=lines, description=canonical["bug_desc"], fixes=fix_models)],
        malgorithms=malgorithms,
        student_profile=canonical["profile"],
    )
    tree = derive_tree(problem, failing_tests=failing_tests or None)
    leaks = [ln for f in fix_models for ln in f.lines if len(ln) >= 3]
    for g in sorted(group, key=lambda g: g["kind"] != "socratic_dialogue"):
        _variants(g["turns"], tree, leaks)
    problem.tree = tree
    return problem, counts, notes


def import_sdb_dir(
    directory: Path, report: Any, progress: Callable[[int], None] | None = None, *, verify: bool = True
) -> Any:
    files = (
        sorted(p for p in directory.iterdir() if p.suffix.lower() == ".txt" and p.is_file())
        if directory.is_dir()
        else []
    )
    if not directory.is_dir():
        report.skipped.append((str(directory), "not a directory"))
        return report
    report.records = len(files)
    groups: dict[str, list[tuple[Path, dict[str, Any]]]] = {}
    for path in files:
        try:
            parsed = parse_file(path)
        except SDBFormatError as exc:
            reason = str(exc).removeprefix(str(path))
            located = re.match(r":(\d+): ", reason)
            reason = f"line {located[1]}: {reason[located.end() :]}" if located else reason.removeprefix(": ")
            report.skipped.append((path.name, reason))
            continue
        groups.setdefault(parsed["key"], []).append((path, parsed))
    for key in sorted(groups, key=lambda k: tuple(int(x) for x in k.split("_"))):
        members = groups[key]
        try:
            problem, counts, notes = build_problem([p for _, p in members], verify)
        except (SDBFormatError, pydantic.ValidationError) as exc:
            reason = str(exc) if isinstance(exc, SDBFormatError) else f"invalid problem: {exc.errors()[0]['msg']}"
            report.skipped += [(path.name, reason) for path, _ in members]
            continue
        report.problems.append(problem)
        report.imported += len(members)
        report.steps_parsed += counts.verified
        report.fixes.add(counts)
        report.notes += notes
        if progress:
            progress(len(members))
    return report
