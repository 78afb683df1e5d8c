"""Code claims put in words, checked by running code in the sandbox, never by the words used.

- the student's own call: "When I run the function with `n` as 5 the output is 8 instead of 5", "For `split(10, 3)`
  I get `(9, 3, '...')`" -- the call runs on the buggy program (what it returns) and on the bug's fixed program (what
  it should return), and the claimed values are compared as plain data;
- a fix put in words: "I should use `range(0, len(integers))`", "change the < to <=" -- the fragment replaces the
  matching part of a bug line (tutor.codecheck.bug_lines) and the patched program runs against the tests;
- the value of a small expression: "When `c` is 1, `c < 0` returns False" -- evaluated in the sandbox with the
  bindings the sentence gives;
- what a line or a loop does ("the loop starts at 1", "line 2 creates an empty list"): tutor.codelines, when the
  caller names the current node's kind.

Each judge returns right / wrong, or None when nothing in the message can be checked that way. A message that asks
(ends in "?") is never judged wrong on these grounds: it may be a question, not a claim.
"""

from __future__ import annotations

import ast
import difflib
import re

from knowledge.types import Problem
from tutor.codecheck import CodeVerdict, bug_lines, claims, plain_value, run_cached, same_value, sentences
from tutor.codelines import judge_lines
from tutor.sandbox import SandboxLimits, TestRun

MAX_PATCH_RUNS = 3  # sandbox runs one message may cost for its fixes in words
_SPAN = re.compile(r"`([^`\n]+)`")
_LIT = r"(-?\d+(?:\.\d+)?|True|False|None|\"[^\"]*\"|'[^']*'|\[[^\]]*\])"
_EXPECTED_VALUE = re.compile(
    r"\b(?:instead of|rather than|should (?:be|give|return|output)(?: me)?|supposed to "
    r"(?:be|give|return)(?: me)?|expected(?: output)?(?: is| was)?|expecting)\s+`?" + _LIT,
    re.I,
)
# words just before a backticked fragment that state it as a fix (strong: may be judged wrong) or offer it (weak)
_STRONG = re.compile(
    r"(?:\bshould (?:be|say|use|read|start (?:at|from)|go (?:to|up to))|\b(?:need|have|has) to "
    r"(?:use|be|write|say|read|add)|\bit'?s supposed to be|\bfix(?:ed)? it (?:by|with)|\bmust be)"
    r"(?:\s+(?:a|an|the|it|just|like))?\s+$",
    re.I,
)
_WEAK = re.compile(
    r"\b(?:would be|could be|can be|use|using|try|tried|write|make it|turn it into)(?:\s+(?:a|an|the|it|"
    r"just|like))?\s+$",
    re.I,
)
_CHANGE = re.compile(
    r"\b(?:change|replace|swap|switch)\s+(?:the\s+)?(?P<old>`[^`]+`|\S+)\s+(?:on line \d+\s+)?"
    r"(?:to|with|into|for)\s+(?:an?\s+|the\s+)?(?P<new>`[^`]+`|[^\s.,;!?]+)",
    re.I,
)
_TAG = re.compile(r"(?:,\s*(?:right|correct|yes)|isn'?t it|doesn'?t it)\s*\?\s*$", re.I)
_TRUE = {"true": "True", "false": "False"}


def _params(problem: Problem) -> dict[str, tuple[int, list[str]]]:
    """The functions the buggy program defines: name -> (required arguments, parameter names)."""
    try:
        tree = ast.parse(problem.buggy_code)
    except (SyntaxError, ValueError):
        return {}
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef):
            names = [a.arg for a in node.args.args]
            out[node.name] = (len(names) - len(node.args.defaults), names)
    return out


def _balanced(text: str, start: int) -> int | None:
    """The index after the parenthesis that closes the one at `start`."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    return None


def _literal_call(src: str, funcs: dict[str, tuple[int, list[str]]]) -> bool:
    try:
        node = ast.parse(src, mode="eval").body
        if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Name) or node.keywords:
            return False
        for a in node.args:
            ast.literal_eval(a)
    except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError):
        return False
    required, names = funcs[node.func.id]
    return required <= len(node.args) <= len(names)


def calls(text: str, problem: Problem) -> list[tuple[int, str]]:
    """The calls of the student's own functions with literal arguments the message names, as (position, source):
    written out ("`get_words("Hello World")`") or as bindings of the entry point's parameters ("with `n` as 5",
    "when I write 32" for a one-parameter function)."""
    funcs = _params(problem)
    out: list[tuple[int, str]] = []
    if funcs:
        for m in re.finditer(r"\b(" + "|".join(map(re.escape, funcs)) + r")\s*\(", text):
            end = _balanced(text, m.end() - 1)
            src = text[m.start() : end] if end else ""
            if src and _literal_call(src, funcs):
                out.append((m.start(), src))
    entry = funcs.get(problem.entry_point)
    if out or entry is None or not entry[1]:
        return out
    required, names = entry
    bound: dict[str, str] = {}
    pos = None
    for name in names:
        m = re.search(
            rf"\b(?:with|when|for|if|where)\s+`?{re.escape(name)}`?\s+(?:as|is|=|equals?|equal to|being|"
            rf"set to)\s+`?{_LIT}",
            text,
            re.I,
        )
        if m:
            bound[name], pos = m.group(1), m.start() if pos is None else min(pos, m.start())
    if len(names) == 1 and not bound:
        m = re.search(
            r"\b(?:input(?: of)?|write|pass(?: in)?|enter|call it with|run it with|give it)\s+(?:the\s+)?"
            r"(?:value\s+|number\s+)?`?" + _LIT,
            text,
            re.I,
        )
        if m:
            bound[names[0]], pos = m.group(1), m.start()
    if bound and len(bound) >= required and all(n in bound for n in names[: len(bound)]) and pos is not None:
        args = ", ".join(bound[n] for n in names[: len(bound)])
        src = f"{problem.entry_point}({args})"
        if _literal_call(src, funcs):
            out.append((pos, src))
    return out


def _results(code: str, problem: Problem, srcs: list[str], limits: SandboxLimits | None) -> list[tuple[str, object]]:
    """Each call's outcome on `code`: ("returns", value) or ("raises", exception name); ("unknown", None) when it
    could not be decided."""
    run = run_cached(code, problem, [f"assert {s} == None" for s in srcs], limits=limits)
    out: list[tuple[str, object]] = []
    for i in range(len(srcs)):
        r = next((x for x in run.results if x.index == i), None)
        if run.unavailable or r is None:
            out.append(("unknown", None))
        elif r.passed:
            out.append(("returns", None))
        elif r.error_type == "AssertionError" and r.got is not None:
            out.append(("returns", plain_value(r.got)))
        elif r.error_type and r.error_type != "AssertionError":
            out.append(("raises", r.error_type))
        else:
            out.append(("unknown", None))
    return out


def _fixed_code(problem: Problem, bug: int) -> str:
    b = problem.bugs[bug] if 0 <= bug < len(problem.bugs) else None
    return next((f.code for f in b.fixes if f.code), "") if b else ""


def judge_calls(text: str, problem: Problem, bug: int, limits: SandboxLimits | None = None) -> CodeVerdict | None:
    """right when every value claimed for the student's own call is what the call really returns (or, after "instead
    of" / "should be", what the fixed program returns); wrong when one is not."""
    found = calls(text, problem)
    if not found:
        return None
    cuts = [p for p, _ in found[1:]] + [len(text)]
    segments = [text[found[0][0] if i == 0 else found[i][0] : cuts[i]] for i in range(len(found))]
    if len(found) == 1:
        segments = [text]  # one call: the whole message is about it ("I am returning X for `f(...)`")
    said, wanted = [], []
    for (_, src), seg in zip(found, segments, strict=True):
        seg_claims = [c for s in sentences(seg) if not s.rstrip().endswith("?") for c in claims(s)]
        said += [(src, c) for c in seg_claims if c.value is not None and not c.verb.lower().startswith("print")]
        wanted += [
            (src, m.group(1))
            for s in sentences(seg)
            if not s.rstrip().endswith("?")
            for m in _EXPECTED_VALUE.finditer(s)
        ]
    if not said and not wanted:
        return None
    srcs = sorted({s for s, _ in said} | {s for s, _ in wanted})
    now = dict(zip(srcs, _results(problem.buggy_code, problem, srcs, limits), strict=True))
    fixed = _fixed_code(problem, bug)
    then = dict(zip(srcs, _results(fixed, problem, srcs, limits), strict=True)) if fixed and wanted else {}
    verdicts = []
    for src, c in said:
        kind, value = now[src]
        if kind != "unknown":
            verdicts.append(
                kind == c.kind and (same_value(plain_value(c.value), value) if kind == "returns" else c.value == value)
            )
    for src, v in wanted:
        kind, value = then.get(src, ("unknown", None))
        if kind == "returns":
            verdicts.append(same_value(plain_value(v), value))
    if not verdicts:
        return None
    return "right" if all(verdicts) else "wrong"


def _tokens(s: str) -> list[tuple[str, int, int]]:
    return [(m.group(0), m.start(), m.end()) for m in re.finditer(r"\w+|[<>=!]=|\*\*|//|\S", s)]


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _patch(line: str, new: str, old: str | None) -> str | None:
    """`line` with `old` (or the span most like `new`) replaced by `new`."""
    if old:
        return line.replace(old, new, 1) if old in line else None
    body = line.strip()
    if (
        re.match(r"(?:for|while|if|elif|return|def)\b|[\w.\[\]]+\s*(?:[-+*/%]|//)?=(?!=)", new)
        and new.split()[0] == body.split()[0]
    ):
        return line[: len(line) - len(line.lstrip())] + new  # a whole statement: the line itself
    toks, want = _tokens(line), [t for t, _, _ in _tokens(new)]
    best, where = 0.0, None
    for i in range(len(toks)):
        if toks[i][0] != want[0]:
            continue  # the replaced part starts like the fragment: `range(...)` for `range(...)`
        for j in range(i + 1, min(len(toks), i + len(want) + 3) + 1):
            score = difflib.SequenceMatcher(None, [t for t, _, _ in toks[i:j]], want, autojunk=False).ratio()
            if score > best:
                best, where = score, (toks[i][1], toks[j - 1][2])
    if where is None or best < 0.5:
        return None
    return line[: where[0]] + new + line[where[1] :]


def _fragments(text: str) -> list[tuple[str | None, str, bool]]:
    """(old, new, strong) for each fix the message may state: "change X to Y", or a backticked span right after
    "should be" / "I have to use" (strong) or "it would be" / "use" (weak), or followed by "instead". A fix inside a
    question ("Should I use `x`?", not "…, right?") is never strong."""
    out: list[tuple[str | None, str, bool]] = []
    for s in sentences(text):
        asked = s.rstrip().endswith("?") and not _TAG.search(s)
        m = _CHANGE.search(s)
        if m:
            out.append((m.group("old").strip("`"), m.group("new").strip("`"), not asked))
            continue
        for span in _SPAN.finditer(s):
            before, after = s[max(0, span.start() - 40) : span.start()], s[span.end() : span.end() + 12]
            strong = bool(_STRONG.search(before)) or bool(re.match(r"\s*instead\b", after, re.I))
            if strong or _WEAK.search(before):
                out.append((None, span.group(1).strip(), strong and not asked))
    return out


def _fix_shaped(fragment: str, problem: Problem) -> bool:
    """Python that could be a changed part of the program: it parses, it is no bare literal or name, and every name
    in it is one the program uses (or a builtin)."""
    body = fragment[:-1] if fragment.endswith(":") else fragment
    try:
        tree = ast.parse(body.strip())
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    try:
        ast.literal_eval(body.strip())
        return False  # `[3, 2, 1]`: a value, not a fix
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        pass
    known = set(re.findall(r"[A-Za-z_]\w*", problem.buggy_code)) | _NAME_OK
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return bool(re.search(r"[^\w\s]", body)) and names <= known


def judge_fix(text: str, problem: Problem, bug: int, limits: SandboxLimits | None = None) -> CodeVerdict | None:
    """right when a fix the message states, put into a line of the bug, makes the program pass the tests (or gives a
    line of the bug's fixed program); wrong when it is stated as a fix (not asked) and the patched program fails."""
    if not (0 <= bug < len(problem.bugs)):
        return None
    lines = problem.buggy_code.splitlines()
    targets = sorted(n for n in bug_lines(problem, bug) if 1 <= n <= len(lines))
    fixed_lines = {_norm(ln) for f in problem.bugs[bug].fixes for ln in (f.code.splitlines() + f.lines)} - {
        _norm(ln) for ln in lines
    }
    code = _norm(problem.buggy_code)
    verdict: CodeVerdict | None = None
    runs = 0
    for old, new, strong in _fragments(text):
        if not new or (old is None and (_norm(new) in code or not _fix_shaped(new, problem))):
            continue  # the code as it is, a value or a name of the student's own: a description, not a fix
        for n in targets:
            patched = _patch(lines[n - 1], new, old)
            if patched is None or patched == lines[n - 1]:
                continue
            if _norm(patched) in fixed_lines:
                return "right"
            if runs >= MAX_PATCH_RUNS:
                break
            runs += 1
            program = "\n".join(lines[: n - 1] + [patched] + lines[n:]) + "\n"
            run: TestRun = run_cached(program, problem, limits=limits)
            if run.passed:
                return "right"
            if strong and not run.unavailable and len(problem.bugs) == 1:
                verdict = "wrong"
    return verdict


_EXPR_CLAIM = re.compile(
    r"`([^`]+)`\s+(?:returns|is|evaluates to|gives|will (?:be|return)|would (?:be|return))\s+`?"
    r"(True|False|true|false|None|-?\d+(?:\.\d+)?|\[[^\]]*\]|'[^']*'|\"[^\"]*\")`?(?!\w|\.\d)"
)
_BIND = re.compile(
    r"\b(?:when|if|where|with)\s+`?([A-Za-z_]\w*)`?\s+(?:is|=|equals|is equal to)\s+`?" + _LIT + r"`?", re.I
)
_NAME_OK = {
    "len",
    "range",
    "list",
    "sorted",
    "sum",
    "min",
    "max",
    "abs",
    "round",
    "int",
    "str",
    "float",
    "bool",
    "set",
    "tuple",
    "True",
    "False",
    "None",
}


def judge_expressions(text: str, problem: Problem, limits: SandboxLimits | None = None) -> CodeVerdict | None:
    """right when every "`expr` is VALUE" the message states holds, with the sentence's own bindings ("when `c` is
    1"); wrong when one does not. Only expressions of bound names, literals and a few builtins are judged."""
    checks: list[tuple[str, str, str]] = []  # (bindings, expression, claimed value)
    for s in sentences(text):
        if s.rstrip().endswith("?") and not _TAG.search(s):
            continue
        binds = {m.group(1): m.group(2) for m in _BIND.finditer(s)}
        for m in _EXPR_CLAIM.finditer(s):
            expr, value = m.group(1), _TRUE.get(m.group(2), m.group(2))
            try:
                names = {n.id for n in ast.walk(ast.parse(expr, mode="eval")) if isinstance(n, ast.Name)}
                ast.literal_eval(value)
            except (SyntaxError, ValueError, MemoryError, RecursionError):
                continue
            if names <= set(binds) | _NAME_OK and re.search(r"[^\w\s]", expr):
                checks.append(("\n".join(f"{k} = {v}" for k, v in sorted(binds.items()) if k in names), expr, value))
    if not checks:
        return None
    verdicts = []
    for setup, expr, value in checks:
        run = run_cached(setup + "\n", problem, [f"assert ({expr}) == ({value})"], entry_point="", limits=limits)
        r = run.results[0] if run.results else None
        if r is not None and not run.unavailable and (r.passed or r.error_type == "AssertionError"):
            verdicts.append(r.passed)
    return None if not verdicts else "right" if all(verdicts) else "wrong"


def judge_words(
    text: str,
    problem: Problem,
    bug: int,
    limits: SandboxLimits | None = None,
    kind: str | None = None,
    *,
    fixes: bool = True,
) -> CodeVerdict | None:
    """The checks together: wrong if one finds a false claim, right if one finds a true one, else None. With the
    current node's `kind`, claims about what a line or loop does are checked too (tutor.codelines); a true one about
    a line of the bug is credited only on a behaviour or locate node. Without it (None), those are not read.
    `fixes=False`: fixes in words are not judged (what the code does is, not what it should become)."""
    found = [
        judge_calls(text, problem, bug, limits),
        judge_fix(text, problem, bug, limits) if fixes else None,
        judge_expressions(text, problem, limits),
    ]
    if kind is not None:
        found.append(judge_lines(text, problem, bug, kind, limits, own_calls=[src for _, src in calls(text, problem)]))
    return "wrong" if "wrong" in found else "right" if "right" in found else None
