"""True or false facts a student states about the code, checked by running or reading it, that are no step of the
question tree: they make the verdict (right / wrong) without resolving a node.

- which tests pass: "my program passes all test cases except the second and third", "none of the test cases are
  passing", "I'm failing even the first assertion", "the first test case passes, but the second one fails" -- the
  buggy program's own test run (tutor.codecheck.buggy_run), test by test;
- what a line or loop does, of any line (tutor.codelines.line_results): "Line 2 makes an empty list";
- arithmetic on literals: "`b = 3 + 5` which is 8", "2.5 squared is 6.25";
- what the buggy program returns or raises, said on another node than the behaviour one ("It's 8 which is what I
  am returning instead of 5!" while fixing): the failing tests' run (tutor.codecheck.judge_behaviour).

And the code a student sends to look at the program, not to fix it (`looking`): the buggy program with only
`print` calls added ("let me add a print statement"), which is no submitted fix unless the message says it is fixed.
"""

from __future__ import annotations

import ast
import re

from knowledge.numbers import safe_eval
from knowledge.types import Problem
from tutor.codecheck import CodeVerdict, buggy_run, judge_behaviour, same_value, sentences
from tutor.codelines import line_results
from tutor.sandbox import SandboxLimits

_ORD = {
    "first": 1,
    "second": 2,
    "third": 3,
    "fourth": 4,
    "fifth": 5,
    "sixth": 6,
    "seventh": 7,
    "eighth": 8,
    "ninth": 9,
    "tenth": 10,
    "1st": 1,
    "2nd": 2,
    "3rd": 3,
    "4th": 4,
    "5th": 5,
    "last": -1,
}
_O = r"(?:" + "|".join(_ORD) + r")"
_ORDS = rf"({_O}(?:\s*(?:,|and|or|&)\s*(?:the\s+)?{_O})*)"
_TEST = r"(?:unit\s+)?(?:tests?(?:\s+cases?)?|cases?|assert(?:ion)?s?|ones?)"
_PASS = r"(?:pass(?:es|ed|ing)?|works?|working)"
_FAIL = r"(?:fail(?:s|ed|ing)?)"
_NOT_PASS = rf"(?:(?:is|are)\s+not\s+{_PASS}|(?:does|do)\s*n[o']t\s+{_PASS}|(?:is|are)n'?t\s+{_PASS})"
_ALL_BUT = re.compile(
    rf"\b{_PASS}\s+(?:all|every)\s+(?:of\s+)?(?:the\s+|my\s+)?{_TEST}\s+(?:except|but)\s+(?:for\s+)?"
    rf"(?:the\s+)?{_ORDS}",
    re.I,
)
_NONE_PASS = re.compile(
    rf"\b(?:none|not\s+one)\s+of\s+(?:the\s+|my\s+)?{_TEST}\s+(?:is|are)\s+{_PASS}|"
    rf"\b{_FAIL}\s+(?:all|every)\s+(?:of\s+)?(?:the\s+|my\s+)?{_TEST}|"
    rf"\ball\s+(?:of\s+)?(?:the\s+|my\s+)?{_TEST}\s+(?:are\s+)?{_FAIL}\b",
    re.I,
)
_SUBJECT = re.compile(rf"\b(?:the\s+)?{_ORDS}\s+{_TEST}\s+(?:\w+\s+)?({_NOT_PASS}|{_FAIL}|{_PASS})\b", re.I)
_OBJECT = re.compile(rf"\b({_FAIL}|{_PASS})\s+(?:even\s+|only\s+)?(?:on\s+)?the\s+{_ORDS}\s+{_TEST}", re.I)
_TAG = re.compile(r"(?:,\s*(?:right|correct|yes)|isn'?t it|doesn'?t it)\s*\?\s*$", re.I)


def _ordinals(text: str, n: int) -> list[int]:
    """1-based test numbers of "second and third" ("last" is the n-th)."""
    return [n if _ORD[w.lower()] == -1 else _ORD[w.lower()] for w in re.findall(_O, text, re.I)]


def _passes(word: str) -> bool:
    return not re.match(_FAIL, word, re.I) and not re.match(_NOT_PASS, word, re.I)


def stated_tests(text: str, n: int) -> list[tuple[int, bool]]:
    """(test number, passes) for each test the message says passes or fails, of `n` tests; questions say nothing."""
    out: list[tuple[int, bool]] = []
    for s in sentences(text):
        if s.rstrip().endswith("?") and not _TAG.search(s):
            continue
        if m := _ALL_BUT.search(s):
            failing = set(_ordinals(m.group(1), n))
            out += [(k, k not in failing) for k in range(1, n + 1)]
            continue
        if _NONE_PASS.search(s):
            out += [(k, False) for k in range(1, n + 1)]
            continue
        for m in _SUBJECT.finditer(s):
            out += [(k, _passes(m.group(2))) for k in _ordinals(m.group(1), n)]
        for m in _OBJECT.finditer(s):
            out += [(k, _passes(m.group(1))) for k in _ordinals(m.group(2), n)]
    return [(k, ok) for k, ok in out if 1 <= k <= n]


def judge_tests(text: str, problem: Problem, limits: SandboxLimits | None = None) -> CodeVerdict | None:
    """right when every test the message says passes (fails) does pass (fail) on the buggy program; wrong when one
    does not; None when it names no test. Tests are counted as the problem's `assert` lines, in order."""
    asserts = [i for i, t in enumerate(problem.unit_tests) if re.match(r"\s*assert\b", t)]
    said = stated_tests(text, len(asserts))
    if not said:
        return None
    run = buggy_run(problem, limits)
    if run.unavailable or run.timed_out or run.limit_hit:
        return None
    passed = {r.index: r.passed for r in run.results}
    if run.load_error is not None:
        passed = {i: False for i in asserts}
    verdicts = [passed.get(asserts[k - 1]) == ok for k, ok in said if asserts[k - 1] in passed]
    return None if not verdicts else "right" if all(verdicts) else "wrong"


# --- arithmetic on literals (knowledge.numbers evaluates them) -------------------------------------------------
_NUM = r"-?\d+(?:\.\d+)?"
_CALC = re.compile(
    rf"`(?:[A-Za-z_]\w*\s*=\s*)?([-+*/%().\d\s]+)`\s*,?\s*(?:which\s+is|is|equals|=|gives|makes)\s+`?({_NUM})`?(?![\w.]\d)"
)
_POWER = re.compile(rf"\b({_NUM})\s+(squared|cubed)\s+(?:is|equals|=|gives)\s+(?:still\s+)?({_NUM})\b", re.I)


def judge_arithmetic(text: str) -> CodeVerdict | None:
    """right when every computation on literals the message states holds ("`b = 3 + 5` which is 8", "2.5 squared
    is 6.25"); wrong when one does not; None without one."""
    verdicts = []
    for s in sentences(text):
        if s.rstrip().endswith("?") and not _TAG.search(s):
            continue
        for m in _CALC.finditer(s):
            try:
                tree = ast.parse(m.group(1).strip(), mode="eval").body
            except SyntaxError:
                continue
            if isinstance(tree, ast.BinOp) and (v := safe_eval(m.group(1))) is not None:
                verdicts.append(same_value(float(m.group(2)), v))
        for m in _POWER.finditer(s):
            base, power = float(m.group(1)), 2 if m.group(2).lower() == "squared" else 3
            verdicts.append(same_value(float(m.group(3)), base**power))
    return None if not verdicts else "right" if all(verdicts) else "wrong"


def judge_facts(
    text: str,
    problem: Problem,
    limits: SandboxLimits | None = None,
    own_calls: list[str] | None = None,
    *,
    tests: bool = True,
    behaviour: bool = False,
) -> CodeVerdict | None:
    """The checks together: wrong if one finds a false fact, right if they find true ones only, else None.
    `tests=False`: which tests pass is not judged (the student has changed the program since). `behaviour`: what
    the message says the buggy program returns or raises is judged too (tutor.codecheck.judge_behaviour, a claim
    whose value cannot be placed says nothing) -- off the behaviour node, where it is no step but still a fact."""
    found = [judge_tests(text, problem, limits) if tests else None, judge_arithmetic(text)]
    if behaviour and tests:
        said = judge_behaviour(text, buggy_run(problem, limits))
        found.append(said if said != "unsure" else None)
    lines = line_results(text, problem, limits, own_calls)
    if lines:
        found.append("right" if all(ok for _, ok in lines) else "wrong")
    return "wrong" if "wrong" in found else "right" if "right" in found else None


# --- code sent to look, not to fix -------------------------------------------------------------------------------
_PRINT = re.compile(r"^\s*print\s*\(")
_CLAIMS_FIXED = re.compile(r"\b(?:fixed|works?|working|passe[sd]|passing|solved|correct(?:ed)?)\b", re.I)
_NEG = re.compile(r"\b(?:not|n't|still|never|no)\b[^.!?]{0,20}$", re.I)
# words that hand the code in as the student's own ("Here is my code:", "my new code"): a submission, to be run
_PRESENTS = re.compile(r"\bhere(?:'s| is)\b[^.!?]{0,20}\bcode\b|\bmy (?:new |updated |changed )?code\b", re.I)


def _body(src: str) -> list[str]:
    return [ln.strip() for ln in src.splitlines() if ln.strip() and not _PRINT.match(ln)]


class _NoPrints(ast.NodeTransformer):
    def visit_Expr(self, node: ast.Expr) -> ast.AST | None:
        call = node.value
        printed = isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "print"
        return None if printed else node


def _shape(src: str) -> str | None:
    """The program's syntax tree without its `print(...)` statements (an emptied block keeps a `pass`)."""
    try:
        tree = _NoPrints().visit(ast.parse(src))
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return None
    for node in ast.walk(tree):
        if isinstance(getattr(node, "body", None), list) and not node.body:
            node.body = [ast.Pass()]
    return ast.dump(tree)


def debug_copy(code: str, problem: Problem) -> bool:
    """The buggy program as it is, or with only `print(...)` statements added: the same syntax tree without them
    (indentation is meaning: an unindented `return` is a fix). Code that does not parse is compared line by line,
    its indentation kept."""
    if not problem.buggy_code.strip():
        return False
    mine, theirs = _shape(code), _shape(problem.buggy_code)
    if mine is not None and theirs is not None:
        return mine == theirs

    def lines(src: str) -> list[str]:
        return [ln.rstrip().expandtabs(4) for ln in src.splitlines() if ln.strip() and not _PRINT.match(ln)]

    return lines(code) == lines(problem.buggy_code)


def edited(code_lines: list[str], problem: Problem) -> bool:
    """Lines of code the student has sent that are neither the buggy program's nor prints: a program of their own."""
    own = set(_body(problem.buggy_code))
    return any(ln.strip() not in own for ln in _body("\n".join(code_lines)))


def looking(code: str, text: str, problem: Problem) -> bool:
    """Code sent to look at the program, not as a fix: a debug copy with prints added, or the buggy program as it is
    with words around it ("I made that change, but it still prints None"), and no claim that it works. The bare
    buggy program, sent with no words or handed in as the student's code ("Here is my code:"), stays a submission
    (that fails)."""
    if not code.strip() or not debug_copy(code, problem) or claims_fixed(text):
        return False
    code_lines = {ln.strip() for ln in code.splitlines()}
    words = [ln for ln in re.sub(r"```.*?(?:```|$)", "", text, flags=re.S).splitlines() if ln.strip() not in code_lines]
    if any(_PRINT.match(ln) for ln in code.splitlines()):
        return True
    return not _PRESENTS.search("\n".join(words)) and any(re.search(r"[A-Za-z]", ln) for ln in words)


def claims_fixed(text: str) -> bool:
    """The message says the code now works ("I've fixed it", "It works!"), not negated ("still not working")."""
    return any(not _NEG.search(text[: m.start()]) for m in _CLAIMS_FIXED.finditer(text))
