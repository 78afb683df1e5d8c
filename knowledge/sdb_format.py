"""The Socratic Debugging Benchmark's file format: file names, tagged sections, numbered code, fixes, turns.

Parsing only; `knowledge.sdb` builds problems from what is read here, `knowledge.sdb_attempts` reads the students'
programs in a dialogue.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any

_CODE_BLOCK = re.compile(r"<code>\n?(.*?)</code>", re.S)
FILENAME = re.compile(r"^(?P<problem>\d+)_(?P<bug>\d+)_(?P<name>.+?)_(?P<kind>socratic_dialogue|\w+_thread_\d+)\.txt$")
REQUIRED = ("problem", "bug_code", "bug_desc", "bug_fixes", "unit_tests")
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
        repaired = snap_indentation(code)
        try:
            compile(repaired, "<bug_code>", "exec")
            return repaired
        except (IndentationError, TabError):
            return text
    except SyntaxError:
        pass  # the bug itself may be a syntax error
    return text


def snap_indentation(lines: list[str]) -> str:
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


def _like(word: str, target: str) -> bool:
    return word == target or difflib.SequenceMatcher(a=word, b=target).ratio() >= 0.8


def file_name_parts(name: str) -> dict[str, str] | None:
    """`PROBLEM_BUG_name_kind.txt` -> {problem, bug, name, kind}, reading misspelt kinds as the benchmark means them
    (`conversational_thead_1`, `socratic_dialog`, `socratic_thread_1`, `.TXT`); None when it is not an SDB name."""
    match = FILENAME.match(name)
    if match:
        return match.groupdict()
    stem, dot, ext = name.rpartition(".")
    head = re.match(r"^(?P<problem>\d+)_(?P<bug>\d+)_(?P<rest>.+)$", stem) if dot and ext.lower() == "txt" else None
    if not head:
        return None
    words = [w for w in re.split(r"[_\s-]+", head["rest"].lower()) if w]
    if len(words) >= 3 and words[-1].isdigit() and _like(words[-2], "thread"):
        kind_words = 2 + (_like(words[-3], "conversational") or _like(words[-3], "socratic"))
        if len(words) > kind_words:
            prefix = words[-3] if kind_words == 3 else "conversational"
            prefix = "socratic" if _like(prefix, "socratic") else "conversational"
            return {
                "problem": head["problem"],
                "bug": head["bug"],
                "name": "_".join(words[:-kind_words]),
                "kind": f"{prefix}_thread_{words[-1]}",
            }
    if len(words) >= 3 and _like(words[-2], "socratic") and _like(words[-1], "dialogue"):
        return {
            "problem": head["problem"],
            "bug": head["bug"],
            "name": "_".join(words[:-2]),
            "kind": "socratic_dialogue",
        }
    return None


def parse_file(path: Path) -> dict[str, Any]:
    """Parse one SDB file into raw fields; raises SDBFormatError naming the file and what is wrong."""
    match = file_name_parts(path.name)
    if not match:
        raise SDBFormatError(
            f"{path}: file name does not match PROBLEM_BUG_name_kind.txt "
            "(kind: socratic_dialogue or conversational_thread_N)"
        )
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
        "stem": path.stem,
        "name": match["name"],
        "kind": match["kind"],
        "statement": sections["problem"].strip(),
        "code": strip_line_numbers(sections["bug_code"]),
        "bug_desc": " ".join(sections["bug_desc"].split()),
        "fixes": fix_entries(sections["bug_fixes"]),
        "tests": [ln.strip() for ln in sections["unit_tests"].split("\n") if ln.strip()],
        "profile": " ".join((sections["stu_desc"] or "").split()),
        "turns": assistant_turns(sections["dialogue"] or ""),
        "blocks": code_blocks(sections["dialogue"] or ""),
    }


def fix_entries(block: str) -> list[str]:
    """One entry per fix: a line of prose, with the ``` code block that follows it (`After line 11, insert:` and its
    lines) kept in the same entry."""
    entries: list[str] = []
    in_code = False
    for raw in block.strip().split("\n"):
        line = raw.rstrip()
        if line.strip().startswith("```"):
            in_code = not in_code
            if entries:
                entries[-1] += "\n```" if not in_code else "\n```py"
            continue
        if in_code and entries:
            entries[-1] += "\n" + line
        elif line.strip():
            entries.append(line.strip())
    return entries


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


def code_blocks(dialogue: str) -> list[str]:
    """The student's programs in a dialogue, in order, still numbered (`N. code`): `dialogue_attempts` removes the
    numbers, reading the indentation the way that best matches the buggy program."""
    out = []
    for block in _CODE_BLOCK.findall(dialogue or ""):
        numbered = [ln for ln in block.strip("\n").split("\n") if ln.strip()]
        if numbered:
            out.append("\n".join(numbered))
    return out
