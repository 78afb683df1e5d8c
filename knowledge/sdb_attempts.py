"""The code students send in Socratic Debugging Benchmark dialogues, and partial fixes: wrong fixes and corrected
programs.

Every `<code>` block of a dialogue is the student's program at that point (`knowledge.dialogues` reads them the same
way). Blocks are compared with the buggy code after dropping the `print(...)` lines the student added to debug
(a block that only adds prints is instrumentation, not a fix attempt). A block that still fails the unit tests is
a plausible **wrong fix**; a benchmark fix that makes several edits, applied with only one of them, is a **partial
fix**; both become malgorithms when they fail at least one test. A block that passes every test is a **corrected
program** a student wrote: it gives a benchmark fix that could not be applied as an edit its verified code (when
the block makes that fix's edit), and a bug with no verified fix a fix of its own.
"""

from __future__ import annotations

import difflib
import re
import textwrap
from dataclasses import dataclass

from pydantic import BaseModel

from knowledge.fixes import REPLACE_PAIR, apply_fix, numbers_after
from knowledge.sdb_format import snap_indentation, strip_line_numbers
from knowledge.types import Fix, Malgorithm

WANTED_WRONG_FIXES = 3  # near misses are generated only to bring a bug up to this many wrong fixes
MAX_NEAR_MISSES = 2
_PRINT = re.compile(r"^\s*print\s*\(.*\)\s*(#.*)?$")
_SPACE = re.compile(r"\s+")


def norm(code: str) -> str:
    """Whitespace-free form for comparing lines (and snippets within lines)."""
    return _SPACE.sub("", code)


def line_keys(code: str) -> list[str]:
    """Per line: its block depth and its whitespace-free text ("" for a blank line). Programs with the same keys
    are the same program; indentation counts by structure, so the benchmark's one-column jitter does not."""
    stack, keys = [0], []
    for line in code.splitlines():
        if not line.strip():
            keys.append("")
            continue
        width = len(line) - len(line.lstrip())
        if width > stack[-1]:
            stack.append(width)
        else:
            while len(stack) > 1 and stack[-1] > width:
                stack.pop()
            if width > stack[-1]:
                stack.append(width)
        keys.append(f"{len(stack) - 1}:{norm(line)}")
    return keys


def program_key(code: str) -> str:
    return "\n".join(k for k in line_keys(code) if k)


def edited_lines(before: str, after: str) -> list[int]:
    """1-based line numbers of `before` that `after` changes (aligned on `line_keys`; an insertion counts the line it
    follows, or the last line)."""
    a = line_keys(before)
    out: set[int] = set()
    for tag, i1, i2, _j1, _j2 in difflib.SequenceMatcher(a=a, b=line_keys(after), autojunk=False).get_opcodes():
        if tag != "equal":
            out.update(range(i1 + 1, max(i2, i1 + 1) + 1))
    return sorted({min(n, max(len(a), 1)) for n in out if n >= 1})


@dataclass
class Attempt:
    """A candidate program: where it comes from and what it changes."""

    code: str
    kind: str  # "dialogue" (a student's block) | "partial" (one edit of a benchmark fix) | "near-miss" (generated)
    origin: str  # the file stem, or the fix description it is part of
    edit: str = ""  # partial: the one edit applied


def _compiles(code: str) -> bool:
    try:
        compile(code, "<attempt>", "exec")
    except SyntaxError:
        return False
    return True


def unnumber(block: str, buggy: str) -> str:
    """A numbered block as a program. The benchmark writes the code either right after `N. ` or at a fixed column
    whatever the width of N (so `9.     a` and `10.    b` are one level); of the readings that compile, the one
    whose block structure is closest to the buggy program's."""
    first = strip_line_numbers(block)
    column = (
        textwrap.dedent(
            "\n".join(re.sub(r"^\s*\d+\.", lambda m: " " * len(m.group(0)), ln) for ln in block.split("\n"))
        ).rstrip()
        + "\n"
    )
    snapped = snap_indentation(column.rstrip("\n").split("\n"))
    readings = [c for c in dict.fromkeys([first, column, snapped]) if _compiles(c)] or [first]
    target = line_keys(buggy)
    return max(readings, key=lambda c: difflib.SequenceMatcher(a=target, b=line_keys(c), autojunk=False).ratio())


def without_added_prints(code: str, buggy: str) -> str:
    """`code` without the print(...) lines that the buggy program does not have (kept when dropping them breaks it)."""
    known = {ln.strip() for ln in buggy.splitlines()}
    kept = [ln for ln in code.splitlines() if not (_PRINT.match(ln) and ln.strip() not in known)]
    out = "\n".join(kept).rstrip() + "\n"
    try:
        compile(out, "<attempt>", "exec")
    except SyntaxError:
        return code
    return out


def dialogue_attempts(blocks: list[tuple[str, str]], buggy: str, entry_point: str) -> list[Attempt]:
    """Distinct fix attempts among (file stem, block) pairs: defining the entry point, differing from the buggy code
    once debugging prints are dropped."""
    seen = {program_key(buggy)}
    out = []
    for origin, block in blocks:
        code = without_added_prints(unnumber(block, buggy), buggy)
        if not re.search(rf"^\s*def\s+{re.escape(entry_point)}\s*\(", code, re.M) or program_key(code) in seen:
            continue
        seen.add(program_key(code))
        out.append(Attempt(code=code, kind="dialogue", origin=origin))
    return out


def partial_fixes(buggy: str, fix_descriptions: list[str]) -> list[Attempt]:
    """Each single edit of a benchmark fix that makes several (`Replace `a` with `b` and `c` with `d` on lines 8
    and 10`): the fix with only that edit made."""
    out = []
    for desc in fix_descriptions:
        pairs = REPLACE_PAIR.findall(desc)
        lines = numbers_after(desc, "line")
        edits = []
        if len(pairs) > 1:
            edits = [
                f"Replace `{a}` with `{b}`" + (f" on lines {', '.join(map(str, lines))}." if lines else ".")
                for a, b in pairs
            ]
        elif len(pairs) == 1 and len(lines) > 1:
            edits = [f"Replace `{pairs[0][0]}` with `{pairs[0][1]}` on line {n}." for n in lines]
        for edit in edits:
            applied = apply_fix(buggy, edit)
            if applied and program_key(applied[0]) != program_key(buggy):
                out.append(Attempt(code=applied[0], kind="partial", origin=desc, edit=edit))
    return out


def new_snippets(description: str) -> list[str]:
    """What a fix writes: the `Y` of `replace X with Y`, else its backticked snippets, else its code lines."""
    pairs = REPLACE_PAIR.findall(description)
    if pairs:
        return [b.strip() for _, b in pairs]
    ticks = [s.strip() for s in re.findall(r"`([^`\n]+)`", description) if len(s.strip()) >= 2]
    if ticks:
        return ticks
    body = description.split("```")
    return [ln.strip() for ln in (body[1] if len(body) > 2 else "").splitlines()[1:] if ln.strip()]


def _is_code(snippet: str) -> bool:
    text = snippet.strip().rstrip(":")
    for candidate in (
        text,
        text + ": pass",
        text + ": None",
        "def _f():\n    " + text,
        "def _f():\n    " + text + ": pass",
    ):
        try:
            compile(candidate, "<snippet>", "exec")
            return True
        except SyntaxError:
            continue
    return False


def realises(description: str, code: str, buggy: str) -> bool:
    """Whether `code` makes the edit a fix describes: each snippet of code it writes is on a changed line."""
    snippets = [norm(s).rstrip(":") for s in new_snippets(description) if _is_code(s)]
    if not snippets:
        return False
    fresh = [norm(ln) for ln in changed_code_lines(code, buggy, keep_known=True)]
    return all(any(s in ln for ln in fresh) for s in snippets)


def changed_code_lines(code: str, buggy: str, *, keep_known: bool = False) -> list[str]:
    """The lines `code` writes that differ from the buggy program's at their place (an aligned diff; stripped,
    debugging prints left out). Lines the buggy program has elsewhere are left out too, unless that leaves none
    (a moved line) or `keep_known`."""
    b = code.splitlines()
    matcher = difflib.SequenceMatcher(a=line_keys(buggy), b=line_keys(code), autojunk=False)
    new = [b[j].strip() for tag, _i1, _i2, j1, j2 in matcher.get_opcodes() if tag != "equal" for j in range(j1, j2)]
    new = [ln for ln in new if ln and not _PRINT.match(ln)]
    if keep_known:
        return new
    known = {norm(ln) for ln in buggy.splitlines()}
    return [ln for ln in new if norm(ln) not in known] or new


def label(attempt: Attempt, buggy: str, failed: list[str], n_tests: int) -> tuple[str, str]:
    """(label, description) of a wrong-fix malgorithm. The label is what a tutor's probe may name: the student's
    own change and the test it fails, never the fix."""
    lines = edited_lines(buggy, attempt.code)
    where = (
        f"line {lines[0]}" if len(lines) == 1 else f"lines {', '.join(map(str, lines[:4]))}" if lines else "the code"
    )
    test = failed[0].removeprefix("assert ").strip() if failed else ""
    test = f"`{test}`" if test and len(test) <= 60 else "a test"
    if attempt.kind == "partial":
        text = f"only part of the fix is made (the change on {where}); {test} still fails"
        desc = f"A partial fix: {attempt.edit} Still fails {len(failed)} of {n_tests} tests."
    elif attempt.kind == "near-miss":
        text = f"the change on {where} still fails {test}"
        desc = (
            f"A near miss (generated, not from a student): {attempt.edit} on the bug line. Still fails "
            f"{len(failed)} of {n_tests} tests."
        )
    else:
        text = f"the change on {where} still fails {test}"
        desc = f"A fix a student sent in {attempt.origin}; still fails {len(failed)} of {n_tests} tests."
    return text, desc


class FixCounts(BaseModel):
    """What became of a problem's benchmark fixes (each is verified or reported) and the corrected programs added."""

    verified: int = 0  # the corrected program passes every test (applied as an edit, or a dialogue's program)
    from_dialogue: int = 0  # ... of which the program is a student's block that makes the fix's edit
    failed: int = 0  # applied as an edit, still fails a test, and no dialogue program makes it: reported
    unapplied: int = 0  # the edit could not be read and no dialogue program makes it: reported
    added: int = 0  # a bug with no verified fix got a student's corrected program as a fix of its own

    def add(self, other: FixCounts) -> None:
        for name in type(self).model_fields:
            setattr(self, name, getattr(self, name) + getattr(other, name))


def _fix(desc: str, code: str, buggy: str, changed: list[int] | None = None) -> Fix:
    if changed is not None:
        new_lines = code.rstrip("\n").split("\n")
        lines = [new_lines[n - 1].strip() for n in changed if 0 < n <= len(new_lines)]
    else:
        lines = changed_code_lines(code, buggy)
    return Fix(description=desc, code=code, lines=lines)


def resolve(
    pid: str,
    buggy: str,
    tests: list[str],
    fixes: list[tuple[str, tuple[str, list[int]] | None]],
    attempts: list[Attempt],
    fix_results: list[dict],
    attempt_results: list[dict],
    buggy_loads: bool,
) -> tuple[list[Fix], list[Malgorithm], FixCounts, list[str]]:
    """Verified fixes, wrong-fix malgorithms, counts and notes from the test runs of the fix programs (one result
    per applied fix, in order) and of the attempts."""
    counts, notes = FixCounts(), []
    passing = [a for a, r in zip(attempts, attempt_results, strict=True) if r["passed"] and a.kind == "dialogue"]
    outcomes = iter(fix_results)
    models: list[Fix] = []
    for desc, applied in fixes:
        result = next(outcomes) if applied is not None else None
        if applied is not None and result["passed"]:
            counts.verified += 1
            models.append(_fix(desc, applied[0], buggy, applied[1]))
            continue
        made = next((a for a in passing if realises(desc, a.code, buggy)), None)
        if made is not None:
            counts.verified += 1
            counts.from_dialogue += 1
            models.append(_fix(desc, made.code, buggy))
            notes.append(f"{pid}: fix {desc[:60]!r} verified with the corrected program in {made.origin}")
            continue
        snippets = [b.strip() for _, b in REPLACE_PAIR.findall(desc)]
        models.append(Fix(description=desc, lines=snippets))
        if applied is None:
            counts.unapplied += 1
            notes.append(
                f"{pid}: fix {desc[:60]!r} not verified: the edit could not be applied and no dialogue "
                "program makes it; code left empty"
            )
        else:
            counts.failed += 1
            failed = len(result["failed"])
            notes.append(
                f"{pid}: fix {desc[:60]!r} applied but still fails {failed} of {len(tests)} tests "
                f"({result['error'] or 'failed'}); code left empty"
            )
    if passing and not any(f.code for f in models):
        best = min(passing, key=lambda a: (len(changed_code_lines(a.code, buggy)), len(a.code)))
        counts.added += 1
        models.append(_fix(f"The corrected program a student wrote in {best.origin}.", best.code, buggy))
        notes.append(f"{pid}: no benchmark fix verified; added the corrected program from {best.origin}")
    malgorithms: list[Malgorithm] = []
    fix_keys = {program_key(applied[0]) for _, applied in fixes if applied}
    pairs = [(a, r) for a, r in zip(attempts, attempt_results, strict=True) if a.kind != "near-miss"]
    real = sum(1 for a, r in pairs if not r["passed"] and program_key(a.code) not in fix_keys)
    generated = sorted(
        (
            (a, r)
            for a, r in zip(attempts, attempt_results, strict=True)
            if a.kind == "near-miss" and not r["passed"] and r["failed"] != ["<load>"]
        ),
        key=lambda ar: len(ar[1]["failed"]),
    )  # the closest misses first
    pairs += generated[: max(0, min(MAX_NEAR_MISSES, WANTED_WRONG_FIXES - real))]
    for attempt, result in pairs:
        if result["passed"] or program_key(attempt.code) in fix_keys:  # the benchmark's own fix is no wrong fix
            continue
        if (
            result["failed"] == ["<load>"]
            and result["error"] in ("SyntaxError", "IndentationError", "TabError")
            and buggy_loads
        ):
            notes.append(f"{pid}: a program in {attempt.origin} does not compile; not used as a wrong fix")
            continue
        failed = [t for t in result["failed"] if t != "<load>"] or tests
        text, desc = label(attempt, buggy, failed, len(tests))
        malgorithms.append(
            Malgorithm(
                id=f"{pid}-m{len(malgorithms)}",
                problem_id=pid,
                label=text,
                description=desc,
                bug=0,
                wrong_code=attempt.code,
            )
        )
    return models, malgorithms, counts, notes


_OPS = {"<=": "<", "<": "<=", ">=": ">", ">": ">=", "==": "!=", "!=": "=="}
_OP = re.compile(r"<=|>=|==|!=|(?<![<>=!-])[<>](?!=)")
_INT = re.compile(r"(?<![\w.])\d+(?![\w.])")


def near_misses(buggy: str, lines: list[int]) -> list[Attempt]:
    """Generated wrong fixes: the bug line with one number moved by one (not a divisor or factor, never to `-0`) or
    one comparison tightened/loosened: a student who found the line but made the wrong change. Callers keep only
    those that still fail a test, and only to bring a bug up to `WANTED_WRONG_FIXES`."""
    rows = buggy.rstrip("\n").split("\n")
    out: list[Attempt] = []
    for n in lines[:2]:
        if not 0 < n <= len(rows):
            continue
        line = rows[n - 1]
        body = line.split("#")[0]
        variants = []
        for m in _INT.finditer(body):
            before = body[: m.start()].rstrip()
            if before.endswith(("/", "%", "*")):  # a divisor or factor: not the kind of number students nudge
                continue
            k = int(m.group(0))
            variants += [
                body[: m.start()] + str(v) + body[m.end() :]
                for v in (k + 1, k - 1)
                if v > 0 or (v == 0 and not before.endswith("-"))
            ]
        for m in _OP.finditer(body):
            variants.append(body[: m.start()] + _OPS[m.group(0)] + body[m.end() :])
        for new in variants:
            code = "\n".join(rows[: n - 1] + [new.rstrip()] + rows[n:]) + "\n"
            if _compiles(code):
                out.append(
                    Attempt(
                        code=code, kind="near-miss", origin=f"line {n}", edit=f"`{line.strip()}` -> `{new.strip()}`"
                    )
                )
    return out
