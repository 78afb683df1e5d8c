"""What a line or a loop does, as the student says it, checked against the program.

- by running it: "the loop starts at 1", "the for loop loops from 0 until `n - 1`", "it iterates 5 times when `n` is
  5", "line 15 never runs" -- the buggy program, instrumented to note each pass of the loop (and the value of the
  student's own expressions there) or each run of the line, runs in the sandbox (tutor.codecheck.run_cached) on the
  student's own call, else on the first failing test's call;
- by reading it: "line 2 creates an empty list", "line 3 makes a for loop", "line 5 returns `lst2`" -- the
  statement on that line (ast).

`judge_lines` says wrong when a claim is false; a true claim about a line of the bug earns credit (right) only on a
behaviour or locate node, where describing the bug's line is the step asked for; anything else is None. The claims
themselves are read from the message in `tutor.lineclaims` (questions, expectations and negated sentences claim
nothing).
"""

from __future__ import annotations

import ast
import re

from knowledge.types import Problem
from tutor.codecheck import CodeVerdict, bug_lines, buggy_run, plain_value, run_cached, same_value
from tutor.lineclaims import Claim, buggy_tree, claims, statement_at
from tutor.sandbox import SandboxLimits

CREDITED_KINDS = ("behaviour", "locate")
MAX_NOTES = 500  # loop passes noted per run


# --- reading the line ------------------------------------------------------------------------------------------
def _norm(src: str) -> str:
    try:
        return ast.unparse(ast.parse(src.strip(), mode="eval"))
    except SyntaxError:
        return re.sub(r"\s+", "", src)


def _read(c: Claim, tree: ast.Module) -> bool | None:
    node = statement_at(tree, c.line)
    if node is None:
        return None
    if c.what == "empty_list":
        value = node.value if isinstance(node, ast.Assign | ast.AnnAssign) else None
        return (isinstance(value, ast.List) and not value.elts) or (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "list"
            and not value.args
        )
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
_PRELUDE = (
    "_cl_log = []\n"
    "def _cl_note(*a):\n"
    f"    if len(_cl_log) < {MAX_NOTES}:\n"
    "        _cl_log.append(a)\n"
    "def _cl_try(f):\n"
    "    try:\n"
    "        return f()\n"
    "    except Exception:\n"
    "        return None\n"
)


def _instrumented(problem: Problem, tree: ast.Module, wanted: list[Claim]) -> str | None:
    """The buggy program with a note at the top of each claimed loop's body ((line, target, the claimed expressions)
    and before each claimed line ((line,)); None when a note cannot be placed."""
    lines = problem.buggy_code.splitlines()
    inserts: dict[int, list[str]] = {}  # before 1-based line -> statements (with their indent)
    for line in sorted({c.line for c in wanted}):
        node = statement_at(tree, line)
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


def _run_check(c: Claim, notes: list[tuple]) -> bool | None:
    """The claim against the notes of one run: the passes of the first time the loop was entered (its variable,
    and the claimed expressions' values at the first pass), or whether the line ran."""
    if c.what == "never":
        return not any(len(n) == 1 and n[0] == c.line for n in notes)
    entered = [i for i, n in enumerate(notes) if n[:2] == (c.line, "enter")]
    if not entered:
        return None  # the loop was never reached: nothing to say about its passes
    end = entered[1] if len(entered) > 1 else len(notes)
    passes = [n for n in notes[entered[0] + 1 : end] if len(n) == 3 and n[0] == c.line]
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


def line_results(
    text: str, problem: Problem, limits: SandboxLimits | None = None, own_calls: list[str] | None = None
) -> list[tuple[Claim, bool]]:
    """Each line or loop claim of the message that could be checked, with whether it is true. `own_calls`: the
    student's own calls (tutor.codewords.calls), run instead of the failing test's."""
    found = claims(text, problem)
    tree = buggy_tree(problem)
    if not found or tree is None:
        return []
    results: list[tuple[Claim, bool]] = []
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
    return results


def judge_lines(
    text: str,
    problem: Problem,
    bug: int,
    kind: str | None,
    limits: SandboxLimits | None = None,
    own_calls: list[str] | None = None,
) -> CodeVerdict | None:
    """wrong when a claim about a line or loop is false; right when one is true of a line of the bug and the node
    asks for the behaviour or the bug's place (`kind`); else None (see line_results)."""
    results = line_results(text, problem, limits, own_calls)
    if not results:
        return None
    if any(not ok for _, ok in results):
        return "wrong"
    lines = bug_lines(problem, bug) if 0 <= bug < len(problem.bugs) else set()
    if kind in CREDITED_KINDS and any(c.line in lines for c, _ in results):
        return "right"
    return None
