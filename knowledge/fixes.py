"""Code edits and test runs for imported debugging exercises.

`apply_fix` applies a fix written as prose ("Replace `X` with `Y` on line N", "After line N, insert `X`", "Change line
N to `X`", ...) to a program; `run_programs` runs programs against unit tests in an isolated subprocess.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from typing import Any


def numbers_after(text: str, word: str) -> list[int]:
    found = []
    for match in re.finditer(rf"\b{word}s?\s+((?:\d+)(?:\s*(?:,|and|, and|&)\s*\d+)*)", text, re.I):
        found += [int(n) for n in re.findall(r"\d+", match.group(1))]
    return found


REPLACE_PAIR = re.compile(r"`([^`]+)`\s+(?:with|to)\s+`([^`]+)`", re.S)


def apply_fix(code: str, description: str) -> tuple[str, list[int]] | None:
    """Apply a 'Replace `X` with `Y` on line N' style fix; returns (new code, changed 1-based lines) or None."""
    lines = code.rstrip("\n").split("\n")
    targets = numbers_after(description, "line")
    pairs = REPLACE_PAIR.findall(description)
    low = description.lower()
    if pairs and not re.search(r"\b(insert|remove|move|add)\b", low):
        changed: set[int] = set()
        for old, new in pairs:
            where = [n for n in targets if 0 < n <= len(lines) and old in lines[n - 1]]
            if not where and not targets:
                where = [i + 1 for i, ln in enumerate(lines) if old in ln]
                if len(where) != 1:
                    return None
            if not where:
                return None
            for n in where:
                lines[n - 1] = lines[n - 1].replace(old, new)
                changed.add(n)
        return "\n".join(lines) + "\n", sorted(changed)
    every = re.match(r"\s*change (?:the )?(\S+) to (\S+) in all (?:the )?conditions\.?\s*$", description, re.I)
    if every:
        old, new = every.group(1).strip("`"), every.group(2).strip("`")
        where = [i + 1 for i, ln in enumerate(lines) if re.match(r"\s*(?:if|elif|while)\b", ln) and old in ln]
        if not where:
            return None
        for n in where:
            lines[n - 1] = re.sub(re.escape(old) + r"(?!=)", new, lines[n - 1])
        return "\n".join(lines) + "\n", where
    before = re.match(r"\s*(?:add|insert)\s+`([^`]+)`\s+before\s+`([^`]+)`", description, re.I)
    if before:
        new, anchor = before.group(1).strip(), before.group(2)
        where = [n for n in targets if 0 < n <= len(lines) and anchor in lines[n - 1]]
        where = where or [i + 1 for i, ln in enumerate(lines) if anchor in ln]
        if len(where) != 1:
            return None
        n = where[0]
        lines[n - 1] = lines[n - 1].replace(anchor, f"{new} {anchor}", 1)
        return "\n".join(lines) + "\n", [n]
    change_line = re.match(r"\s*change line (\d+) to `([^`]+)`\.?\s*$", description, re.I)
    if change_line:
        n, new = int(change_line.group(1)), change_line.group(2)
        if not 0 < n <= len(lines):
            return None
        indent = lines[n - 1][: len(lines[n - 1]) - len(lines[n - 1].lstrip())]
        lines[n - 1] = indent + new.strip()
        return "\n".join(lines) + "\n", [n]
    insert = re.match(
        r"\s*(?:after line (\d+),? (?:insert|add)|on line (\d+),? insert)\D*?`([^`]+)`[^`]*$", description, re.I
    )
    if insert:
        n = int(insert.group(1) or insert.group(2))
        if not 0 < n <= len(lines):
            return None
        anchor = lines[n - 1]
        indent = anchor[: len(anchor) - len(anchor.lstrip())]
        if anchor.rstrip().endswith(":"):
            indent += "    "
        pos = n if insert.group(1) else n - 1
        lines.insert(pos, indent + insert.group(3).strip())
        return "\n".join(lines) + "\n", [pos + 1]
    return None


_RUNNER = r"""
import json, signal, sys
payload = json.loads(sys.stdin.read())
limit = payload["per_test_s"]

class Timeout(BaseException):
    pass

def _alarm(signum, frame):
    raise Timeout()

signal.signal(signal.SIGALRM, _alarm)

def run(source, ns):
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        exec(source, ns)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)

results = []
for code in payload["programs"]:
    ns = {"__name__": "__sdb__"}
    try:
        run(compile(code, "<program>", "exec"), ns)
    except BaseException as exc:
        results.append({"passed": False, "failed": ["<load>"], "error": type(exc).__name__})
        continue
    failed, error = [], ""
    for test in payload["tests"]:
        try:
            run(test, ns)
        except BaseException as exc:
            failed.append(test)
            error = error or type(exc).__name__
    results.append({"passed": not failed, "failed": failed, "error": error})
print(json.dumps(results))
"""


def run_programs(
    programs: list[str], tests: list[str], timeout: float = 60.0, per_test_s: float = 1.0
) -> list[dict[str, Any]] | None:
    """Run each program then the tests in one isolated subprocess (each statement under a `per_test_s` alarm, so an
    infinite loop fails its test); None when the whole run times out or the runner crashes."""
    try:
        proc = subprocess.run(
            [sys.executable, "-I", "-c", _RUNNER],
            input=json.dumps({"programs": programs, "tests": tests, "per_test_s": per_test_s}),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={"PYTHONHASHSEED": "0", "MPLBACKEND": "Agg", "PATH": ""},
        )
    except subprocess.TimeoutExpired:
        return None
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (json.JSONDecodeError, IndexError):
        return None
