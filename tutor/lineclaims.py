"""The line and loop claims of a student's message, each tied to a line of the buggy program (no running).

Loop claims: "the loop starts at 1", "the for loop loops from 0 until `n - 1`", "it iterates 5 times when `n` is
5", "line 15 never runs"; line claims: "line 2 creates an empty list", "line 3 makes a for loop", "line 5 returns
`lst2`". Questions, expectations ("it should start at 0") and negated sentences claim nothing. `tutor.codelines`
checks them against the program.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from knowledge.numbers import NUMBER_WORDS
from knowledge.types import Problem
from tutor.codecheck import sentences

_EXPR = r"(?:`([^`]+)`|(-?\d+(?:\.\d+)?)|\b([a-z_]\w*)\b(?!\s*\())"
_NUM_WORDS = {"once": 1, "twice": 2, **{w: v for w, v in NUMBER_WORDS.items() if v <= 10}, "no": 0}
_LOOP = re.compile(r"\b(?:the|my|this|that|our)\s+(?:(first|second|outer|inner)\s+)?(?:(for|while)\s+)?loop\b", re.I)
_LINE = re.compile(r"\blines?\s*(?:#|no\.?|number)?\s*(\d+)\b", re.I)
_EXPECTED = re.compile(
    r"\b(?:should|supposed|expected?|want(?:ed)?|would|need(?:s|ed)?|must|meant|has to|have to|"
    r"could|might|instead)\b",
    re.I,
)
_NEGATED = re.compile(r"\b(?:not|n't|never|no longer)\b", re.I)
_START = re.compile(
    r"\b(?:starts?|begins?|starting|beginning|started)\s+(?:at|from|with)\s+(?:the\s+value\s+(?:of\s+)?"
    r"|index\s+|value\s+)?" + _EXPR,
    re.I,
)
_RANGE = re.compile(
    r"\bfrom\s+(?:index\s+)?" + _EXPR + r"\s+(?:to|until|till|up to|through|upto)\s+(?:the\s+value\s+of\s+"
    r"|value\s+of\s+|index\s+)?" + _EXPR,
    re.I,
)
_TIMES = re.compile(
    r"\b(?:iterates?|runs?|loops?|executes?|goes|repeats?|cycles?)\s+(?:\w+\s+){0,2}?"
    r"(?:(?:`([^`]+)`|(\d+)|(one|two|three|four|five|six|seven|eight|nine|ten|zero))\s+times|"
    r"(once|twice))\b",
    re.I,
)
_NEVER_LOOP = re.compile(
    r"\b(?:never\s+(?:runs?|executes?|iterates?|starts?|loops?|gets?\s+executed|entered)|is\s+never\s+"
    r"(?:executed|run|entered|reached)|(?:does\s+not|doesn'?t)\s+(?:run|execute|iterate|loop)|"
    r"is\s+(?:not|never)\s+executed|is\s+skipped|never\s+happens)\b",
    re.I,
)
_EMPTY_LIST = re.compile(
    r"\b(?:creates?|makes?|initiali[sz]es?|declares?|sets?\s+up|defines?|is)\s+(?:an?\s+)?(?:new\s+)?"
    r"empty\s+(?:list|array)\b",
    re.I,
)
_MAKES_LOOP = re.compile(
    r"\b(?:makes?|creates?|starts?|begins?|is|has|opens?)\s+(?:an?\s+|the\s+)?(?:(for|while)\s+)?"
    r"loop\b|\bloops?\s+(?:through|over)\b",
    re.I,
)
_RETURNS = re.compile(r"\breturns?\b(?:\s+`([^`]+)`)?", re.I)
_RETURNING_ON = re.compile(r"\breturn(?:s|ing)?\s+`([^`]+)`\s+(?:on|in|at)\s+line\s*(\d+)", re.I)


@dataclass
class Claim:
    line: int  # the line the claim is about (a loop: its `for` / `while` line)
    what: str  # start | range | times | never | empty_list | loop | returns
    exprs: tuple[str, ...] = ()
    text: str = ""


def buggy_tree(problem: Problem) -> ast.Module | None:
    try:
        return ast.parse(problem.buggy_code)
    except (SyntaxError, ValueError):
        return None


def _loops(tree: ast.Module) -> list[ast.For | ast.While]:
    return sorted((n for n in ast.walk(tree) if isinstance(n, ast.For | ast.While)), key=lambda n: n.lineno)


def statement_at(tree: ast.Module, line: int) -> ast.stmt | None:
    return next((n for n in ast.walk(tree) if isinstance(n, ast.stmt) and n.lineno == line), None)


def _loop_of(sentence: str, tree: ast.Module) -> int | None:
    """The line of the loop the sentence speaks of: the only loop (of that kind), or the first / outer, second /
    inner one."""
    m = _LOOP.search(sentence)
    if not m:
        return None
    loops = [
        n
        for n in _loops(tree)
        if not m.group(2) or isinstance(n, ast.For if m.group(2).lower() == "for" else ast.While)
    ]
    order = (m.group(1) or "").lower()
    if order in ("first", "outer") and loops:
        return loops[0].lineno
    if order in ("second", "inner") and len(loops) >= 2:
        return loops[1].lineno
    return loops[0].lineno if len(loops) == 1 else None


def _target(tree: ast.Module, line: int) -> str:
    node = statement_at(tree, line)
    return ast.unparse(node.target) if isinstance(node, ast.For) else ""


def _about(before: str, target: str) -> bool:
    """ "`b` starts at 1" is about `b`, not the loop: a claim right after another name than the loop's variable is
    not a claim about the loop."""
    m = re.search(r"`?\b([A-Za-z_]\w*)`?\s*$", before)
    if m is None or m.group(1).lower() in (
        "loop",
        "it",
        "that",
        "this",
        "which",
        "and",
        "also",
        "iterations",
        "iteration",
        "values",
        "value",
        "then",
    ):
        return True
    return m.group(1) == target or "`" not in before[m.start() :]


def _expr(groups: tuple[str | None, ...], names: set[str]) -> str | None:
    """A claimed value: a `code` span, a number, a number word, or a bare name the program uses."""
    code, number, name = (tuple(groups) + (None, None, None))[:3]
    if name and name.lower() in _NUM_WORDS:
        return str(_NUM_WORDS[name.lower()])
    if name and name not in names:
        return None  # "starts at the beginning"
    text = (code or number or name or "").strip()
    try:
        ast.parse(text, mode="eval")
    except SyntaxError:
        return None
    return text or None


def claims(text: str, problem: Problem) -> list[Claim]:
    """The line and loop claims of a message, each tied to a line of the buggy program."""
    tree = buggy_tree(problem)
    if tree is None:
        return []
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | {
        n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)
    }
    out: list[Claim] = []
    for s in sentences(text):
        if s.rstrip().endswith("?"):
            continue
        for m in _RETURNING_ON.finditer(s):
            out.append(Claim(int(m.group(2)), "returns", (m.group(1),), s))
        if _RETURNING_ON.search(s):
            continue
        named = set(int(n) for n in _LINE.findall(s))
        loop = _loop_of(s, tree)
        line = next(iter(named)) if len(named) == 1 else None
        node = statement_at(tree, line) if line else None
        if loop is None and isinstance(node, ast.For | ast.While):
            loop = line  # "Line 3 loops through ..."
        # what the student expects or wishes is no claim about what the code does
        if _EXPECTED.search(s):
            continue
        if loop is not None:
            target = _target(tree, loop)  # "" for a while loop: no variable of its own to start anywhere
            if (
                target
                and (m := _RANGE.search(s))
                and _about(s[: m.start()], target)
                and (a := _expr(m.groups()[:3], names))
                and (b := _expr(m.groups()[3:], names))
            ):
                out.append(Claim(loop, "range", (a, b), s))
            elif (
                target
                and (m := _START.search(s))
                and _about(s[: m.start()], target)
                and (a := _expr(m.groups(), names))
            ):
                out.append(Claim(loop, "start", (a,), s))
            if _NEVER_LOOP.search(s):
                out.append(Claim(loop, "times", ("0",), s))
            elif m := _TIMES.search(s):
                times = _expr((m.group(1), m.group(2), m.group(3) or m.group(4)), names)
                if times is not None:
                    out.append(Claim(loop, "times", (times,), s))
        if line is None or node is None or line == loop and any(c.line == loop for c in out):
            continue
        if _NEVER_LOOP.search(s):
            out.append(Claim(line, "never", (), s))
            continue
        if _NEGATED.search(s):
            continue
        if _EMPTY_LIST.search(s):
            out.append(Claim(line, "empty_list", (), s))
        elif m := _MAKES_LOOP.search(s):
            out.append(Claim(line, "loop", ((m.group(1) or "").lower(),), s))
        elif (m := _RETURNS.search(s)) and not re.search(r"\b(?:the|a|my)\s+returns?\b", s, re.I):
            out.append(Claim(line, "returns", (m.group(1),) if m.group(1) else (), s))
    return out
