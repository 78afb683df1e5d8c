"""What a line or a loop does, as the student says it, checked against the program.

- by running it: "the loop starts at 1", "the for loop loops from 0 until `n - 1`", "it iterates 5 times when `n` is
  5", "line 15 never runs" -- the buggy program, instrumented to note each pass of the loop (and the value of the
  student's own expressions there) or each run of the line, runs in the sandbox (tutor.codecheck.run_cached) on the
  student's own call, else on the first failing test's call;
- by reading it: "line 2 creates an empty list", "line 3 makes a for loop", "line 5 returns `lst2`" -- the
  statement on that line (ast).

`judge_lines` says wrong when a claim is false; a true claim about a line of the bug earns credit (right) only on a
behaviour or locate node, where describing the bug's line is the step asked for; anything else is None. Questions,
expectations ("it should start at 0") and negated sentences claim nothing here.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from knowledge.types import Problem
from tutor.codecheck import Verdict, bug_lines, buggy_run, plain_value, run_cached, same_value, sentences
from tutor.sandbox import SandboxLimits

CREDITED_KINDS = ("behaviour", "locate")
MAX_NOTES = 500  # loop passes noted per run
_EXPR = r"(?:`([^`]+)`|(-?\d+(?:\.\d+)?)|\b([a-z_]\w*)\b(?!\s*\())"
_NUM_WORDS = {"once": 1, "twice": 2, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
              "eight": 8, "nine": 9, "ten": 10, "zero": 0, "no": 0}
_LOOP = re.compile(r"\b(?:the|my|this|that|our)\s+(?:(first|second|outer|inner)\s+)?(?:(for|while)\s+)?loop\b", re.I)
_LINE = re.compile(r"\blines?\s*(?:#|no\.?|number)?\s*(\d+)\b", re.I)
_EXPECTED = re.compile(r"\b(?:should|supposed|expected?|want(?:ed)?|would|need(?:s|ed)?|must|meant|has to|have to|"
                       r"could|might|instead)\b", re.I)
_NEGATED = re.compile(r"\b(?:not|n't|never|no longer)\b", re.I)
_START = re.compile(r"\b(?:starts?|begins?|starting|beginning|started)\s+(?:at|from|with)\s+(?:the\s+value\s+(?:of\s+)?"
                    r"|index\s+|value\s+)?" + _EXPR, re.I)
_RANGE = re.compile(r"\bfrom\s+(?:index\s+)?" + _EXPR + r"\s+(?:to|until|till|up to|through|upto)\s+(?:the\s+value\s+of\s+"
                    r"|value\s+of\s+|index\s+)?" + _EXPR, re.I)
_TIMES = re.compile(r"\b(?:iterates?|runs?|loops?|executes?|goes|repeats?|cycles?)\s+(?:\w+\s+){0,2}?"
                    r"(?:(?:`([^`]+)`|(\d+)|(one|two|three|four|five|six|seven|eight|nine|ten|zero))\s+times|"
                    r"(once|twice))\b", re.I)
_NEVER_LOOP = re.compile(r"\b(?:never\s+(?:runs?|executes?|iterates?|starts?|loops?|gets?\s+executed|entered)|is\s+never\s+"
                         r"(?:executed|run|entered|reached)|(?:does\s+not|doesn'?t)\s+(?:run|execute|iterate|loop)|"
                         r"is\s+(?:not|never)\s+executed|is\s+skipped|never\s+happens)\b", re.I)
_EMPTY_LIST = re.compile(r"\b(?:creates?|makes?|initiali[sz]es?|declares?|sets?\s+up|defines?|is)\s+(?:an?\s+)?(?:new\s+)?"
                         r"empty\s+(?:list|array)\b", re.I)
_MAKES_LOOP = re.compile(r"\b(?:makes?|creates?|starts?|begins?|is|has|opens?)\s+(?:an?\s+|the\s+)?(?:(for|while)\s+)?"
                         r"loop\b|\bloops?\s+(?:through|over)\b", re.I)
_RETURNS = re.compile(r"\breturns?\b(?:\s+`([^`]+)`)?", re.I)
_RETURNING_ON = re.compile(r"\breturn(?:s|ing)?\s+`([^`]+)`\s+(?:on|in|at)\s+line\s*(\d+)", re.I)


@dataclass
class _Claim:
    line: int  # the line the claim is about (a loop: its `for` / `while` line)
    what: str  # start | range | times | never | empty_list | loop | returns
    exprs: tuple[str, ...] = ()
    text: str = ""


def _tree(problem: Problem) -> ast.Module | None:
    try:
        return ast.parse(problem.buggy_code)
    except (SyntaxError, ValueError):
        return None


def _loops(tree: ast.Module) -> list[ast.For | ast.While]:
    return sorted((n for n in ast.walk(tree) if isinstance(n, ast.For | ast.While)), key=lambda n: n.lineno)


def _statement(tree: ast.Module, line: int) -> ast.stmt | None:
    return next((n for n in ast.walk(tree) if isinstance(n, ast.stmt) and n.lineno == line), None)


def _loop_of(sentence: str, tree: ast.Module) -> int | None:
    """The line of the loop the sentence speaks of: the only loop (of that kind), or the first / outer, second /
    inner one."""
    m = _LOOP.search(sentence)
    if not m:
        return None
    loops = [n for n in _loops(tree) if not m.group(2) or isinstance(n, ast.For if m.group(2).lower() == "for" else ast.While)]
    order = (m.group(1) or "").lower()
    if order in ("first", "outer") and loops:
        return loops[0].lineno
    if order in ("second", "inner") and len(loops) >= 2:
        return loops[1].lineno
    return loops[0].lineno if len(loops) == 1 else None


def _target(tree: ast.Module, line: int) -> str:
    node = _statement(tree, line)
    return ast.unparse(node.target) if isinstance(node, ast.For) else ""


def _about(before: str, target: str) -> bool:
    """"`b` starts at 1" is about `b`, not the loop: a claim right after another name than the loop's variable is
    not a claim about the loop."""
    m = re.search(r"`?\b([A-Za-z_]\w*)`?\s*$", before)
    if m is None or m.group(1).lower() in ("loop", "it", "that", "this", "which", "and", "also", "iterations",
                                           "iteration", "values", "value", "then"):
        return True
    return m.group(1) == target or "`" not in before[m.start():]


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


def claims(text: str, problem: Problem) -> list[_Claim]:
    """The line and loop claims of a message, each tied to a line of the buggy program."""
    tree = _tree(problem)
    if tree is None:
        return []
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} | \
        {n.arg for n in ast.walk(tree) if isinstance(n, ast.arg)}
    out: list[_Claim] = []
    for s in sentences(text):
        if s.rstrip().endswith("?"):
            continue
        for m in _RETURNING_ON.finditer(s):
            out.append(_Claim(int(m.group(2)), "returns", (m.group(1),), s))
        if _RETURNING_ON.search(s):
            continue
        named = set(int(n) for n in _LINE.findall(s))
        loop = _loop_of(s, tree)
        line = next(iter(named)) if len(named) == 1 else None
        node = _statement(tree, line) if line else None
        if loop is None and isinstance(node, ast.For | ast.While):
            loop = line  # "Line 3 loops through ..."
        # what the student expects or wishes is no claim about what the code does
        if _EXPECTED.search(s):
            continue
        if loop is not None:
            target = _target(tree, loop)  # "" for a while loop: no variable of its own to start anywhere
            if target and (m := _RANGE.search(s)) and _about(s[: m.start()], target) and (a := _expr(m.groups()[:3], names)) \
                    and (b := _expr(m.groups()[3:], names)):
                out.append(_Claim(loop, "range", (a, b), s))
            elif target and (m := _START.search(s)) and _about(s[: m.start()], target) and (a := _expr(m.groups(), names)):
                out.append(_Claim(loop, "start", (a,), s))
            if _NEVER_LOOP.search(s):
                out.append(_Claim(loop, "times", ("0",), s))
            elif m := _TIMES.search(s):
                times = _expr((m.group(1), m.group(2), m.group(3) or m.group(4)), names)
                if times is not None:
                    out.append(_Claim(loop, "times", (times,), s))
        if line is None or node is None or line == loop and any(c.line == loop for c in out):
            continue
        if _NEVER_LOOP.search(s):
            out.append(_Claim(line, "never", (), s))
            continue
        if _NEGATED.search(s):
            continue
        if _EMPTY_LIST.search(s):
            out.append(_Claim(line, "empty_list", (), s))
        elif m := _MAKES_LOOP.search(s):
            out.append(_Claim(line, "loop", ((m.group(1) or "").lower(),), s))
        elif (m := _RETURNS.search(s)) and not re.search(r"\b(?:the|a|my)\s+returns?\b", s, re.I):
            out.append(_Claim(line, "returns", (m.group(1),) if m.group(1) else (), s))
    return out


# --- reading the line ------------------------------------------------------------------------------------------
def _norm(src: str) -> str:
    try:
        return ast.unparse(ast.parse(src.strip(), mode="eval"))
    except SyntaxError:
        return re.sub(r"\s+", "", src)


def _read(c: _Claim, tree: ast.Module) -> bool | None:
    node = _statement(tree, c.line)
    if node is None:
        return None
    if c.what == "empty_list":
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        return (isinstance(value, ast.List) and not value.elts) or (isinstance(value, ast.Call) and
                                                                   isinstance(value.func, ast.Name) and
                                                                   value.func.id == "list" and not value.args)
    if c.what == "loop":
        kind = c.exprs[0] if c.exprs else ""
        return isinstance(node, {"for": ast.For, "while": ast.While}.get(kind, ast.For | ast.While))
    if c.what == "returns":
        if not isinstance(node, ast.Return):
            return False
        if not c.exprs or not c.exprs[0]:
            return True
        said, value = _norm(c.exprs[0]), ast.unparse(node.value) if node.value else "None"
        return said == value or re.search(rf"(?<![\w.]){re.escape(said)}(?![\w(])", value) is not None
    return None


# --- running it ------------------------------------------------------------------------------------------------
_PRELUDE = ("_cl_log = []\n"
            "def _cl_note(*a):\n"
            f"    if len(_cl_log) < {MAX_NOTES}:\n"
            "        _cl_log.append(a)\n"
            "def _cl_try(f):\n"
            "    try:\n"
            "        return f()\n"
            "    except Exception:\n"
            "        return None\n")


def _instrumented(problem: Problem, tree: ast.Module, wanted: list[_Claim]) -> str | None:
    """The buggy program with a note at the top of each claimed loop's body ((line, target, the claimed expressions)
    and before each claimed line ((line,)); None when a note cannot be placed."""
    lines = problem.buggy_code.splitlines()
    inserts: dict[int, list[str]] = {}  # before 1-based line -> statements (with their indent)
    for line in sorted({c.line for c in wanted}):
        node = _statement(tree, line)
        if node is None:
            return None
        if isinstance(node, ast.For | ast.While):
            first = node.body[0]
            if first.lineno == node.lineno:
                return None  # `for x in y: z` on one line
            exprs = dict.fromkeys(e for c in wanted if c.line == line and c.what in ("start", "range") for e in c.exprs)
            env = "{" + ", ".join(f"{e!r}: _cl_try(lambda: ({e}))" for e in exprs) + "}"
            target = ast.unparse(node.target) if isinstance(node, ast.For) else "None"
            indent = lines[first.lineno - 1][: first.col_offset]
            inserts.setdefault(first.lineno, []).append(f"{indent}_cl_note({line}, {target}, {env})")
            outer = lines[line - 1][: node.col_offset]
            inserts.setdefault(line, []).insert(0, f"{outer}_cl_note({line}, 'enter')")
        else:
            if re.match(r"\s*(?:elif|else|except|finally|@)\b", lines[line - 1]):
                return None
            inserts.setdefault(line, []).insert(0, f"{lines[line - 1][: node.col_offset]}_cl_note({line})")
    out = [ln for i, text in enumerate(lines, 1) for ln in (*inserts.get(i, []), text)]
    program = _PRELUDE + "\n".join(out) + "\n"
    try:
        ast.parse(program)
    except SyntaxError:
        return None
    return program


def _literal_call(src: str, entry: str) -> bool:
    try:
        node = ast.parse(src, mode="eval").body
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == entry):
            return False
        for a in (*node.args, *(k.value for k in node.keywords)):
            ast.literal_eval(a)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return False
    return True


def failing_call(problem: Problem, limits: SandboxLimits | None = None) -> str | None:
    """The entry point's call (literal arguments) in the first failing test of the buggy program."""
    run = buggy_run(problem, limits)
    tests = [f.test for f in run.failures] if not run.unavailable else []
    for test in tests or ([] if run.unavailable else problem.unit_tests):
        try:
            tree = ast.parse(test)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _literal_call(ast.unparse(node), problem.entry_point):
                return ast.unparse(node)
    return None


def _notes(program: str, problem: Problem, call: str, limits: SandboxLimits | None) -> list[tuple] | None:
    run = run_cached(program, problem, [f"assert ({call}) == None", "assert _cl_log == None"], limits=limits)
    if run.unavailable or run.timed_out or run.limit_hit or run.load_error is not None:
        return None
    r = next((x for x in run.results if x.index == 1), None)
    if r is None or r.got is None:
        return None
    value = plain_value(r.got)
    return [tuple(x) for x in value] if isinstance(value, list) and all(isinstance(x, tuple) for x in value) else None


def _value(text: str) -> object:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return None


def _run_check(c: _Claim, notes: list[tuple]) -> bool | None:
    """The claim against the notes of one run: the passes of the first time the loop was entered (its variable,
    and the claimed expressions' values at the first pass), or whether the line ran."""
    if c.what == "never":
        return not any(len(n) == 1 and n[0] == c.line for n in notes)
    entered = [i for i, n in enumerate(notes) if n[:2] == (c.line, "enter")]
    if not entered:
        return None  # the loop was never reached: nothing to say about its passes
    end = entered[1] if len(entered) > 1 else len(notes)
    passes = [n for n in notes[entered[0] + 1: end] if len(n) == 3 and n[0] == c.line]
    if c.what == "times":
        want = _value(c.exprs[0])
        return same_value(want, len(passes)) if isinstance(want, int) else None
    if not passes or not isinstance(passes[0][2], dict):
        return None
    env = passes[0][2]
    said = [env.get(e) for e in c.exprs]
    if any(v is None or isinstance(v, bool) for v in said):
        return None
    first, last = passes[0][1], passes[-1][1]
    if not same_value(said[0], first):
        return False
    if c.what == "start":
        return True
    # "from 0 until n": the last pass is n - 1 or n, as people say it either way
    b = said[1]
    if not (isinstance(b, int | float) and isinstance(last, int | float)):
        return same_value(b, last)
    return same_value(b, last) or same_value(b - 1, last)


def judge_lines(text: str, problem: Problem, bug: int, kind: str | None, limits: SandboxLimits | None = None,
                own_calls: list[str] | None = None) -> Verdict | None:
    """wrong when a claim about a line or loop is false; right when one is true of a line of the bug and the node
    asks for the behaviour or the bug's place (`kind`); else None. `own_calls`: the student's own calls
    (tutor.codewords.calls), run instead of the failing test's."""
    found = claims(text, problem)
    tree = _tree(problem)
    if not found or tree is None:
        return None
    results: list[tuple[_Claim, bool]] = []
    for c in found:
        if c.what in ("empty_list", "loop", "returns"):
            r = _read(c, tree)
            if r is not None:
                results.append((c, r))
    dynamic = [c for c in found if c.what in ("start", "range", "times", "never")]
    if dynamic:
        call = (own_calls or [None])[0] or failing_call(problem, limits)
        program = _instrumented(problem, tree, dynamic) if call else None
        notes = _notes(program, problem, call, limits) if program and call else None
        if notes is not None:
            for c in dynamic:
                r = _run_check(c, notes)
                if r is not None:
                    results.append((c, r))
    if not results:
        return None
    if any(not ok for _, ok in results):
        return "wrong"
    lines = bug_lines(problem, bug) if 0 <= bug < len(problem.bugs) else set()
    if kind in CREDITED_KINDS and any(c.line in lines for c, _ in results):
        return "right"
    return None
