"""A student's own code as a problem: pasted buggy Python and the tests it fails become an ad-hoc code problem.

`build_custom_problem` checks the paste (length, each test a Python statement, a function the tests call), runs the
tests in the sandbox (they must fail: a passing test leaves nothing to work on) and derives the question tree.
"""

from __future__ import annotations

import ast
import hashlib
import re
from typing import Any

from errors import InputError
from knowledge.trees import derive_tree
from knowledge.types import Bug, Fix, Problem
from tutor import sandbox
from ui.context import MAX_CODE_CHARS, check_text


def build_custom_problem(code: Any, tests: Any) -> Problem:
    """An ad-hoc code problem from pasted buggy Python and at least one failing test (an assert statement)."""
    code, notice = check_text(code, MAX_CODE_CHARS, "code")
    if notice:
        raise InputError(
            f"Your code is too long (over {MAX_CODE_CHARS:,} characters); paste just the function that fails."
        )
    tests_text, _ = check_text(tests, 4000, "test")
    test_lines = [t.strip() for t in tests_text.splitlines() if t.strip() and not t.strip().startswith("#")]
    for t in test_lines:
        try:
            ast.parse(t)
        except SyntaxError as exc:
            raise InputError(f"This test is not a Python statement: {t[:80]!r} ({exc.msg}).") from exc
    names = re.findall(r"^def\s+([A-Za-z_]\w*)\s*\(", code, re.M)
    if not names:
        raise InputError("Paste a Python function (a `def ...:`) for the tutor to work on.")
    used = [n for n in names if any(re.search(rf"\b{n}\s*\(", t) for t in test_lines)]
    if not used:
        raise InputError(f"Your test should call your function ({', '.join(names)}).")
    entry = used[0]
    def_line = next(i for i, line in enumerate(code.splitlines(), 1) if re.match(rf"def\s+{entry}\s*\(", line))
    pid = "own-" + hashlib.sha256((code + "\n" + "\n".join(test_lines)).encode()).hexdigest()[:10]
    problem = Problem(
        id=pid,
        domain="code",
        title=f"Your code: {entry}()",
        source="student",
        difficulty="medium",
        skills=["debugging"],
        statement=f"Make `{entry}` pass your test"
        + ("s" if len(test_lines) > 1 else "")
        + ":\n\n"
        + "\n".join(f"    {t}" for t in test_lines),
        buggy_code=code,
        entry_point=entry,
        unit_tests=test_lines,
        bugs=[
            Bug(
                lines=[def_line],
                description="The function does not pass the student's test.",
                fixes=[Fix(description="Change the function so that the failing test passes.")],
            )
        ],
    )
    run = sandbox.run_tests(code, problem)
    if run.unavailable:
        raise InputError(run.describe(), f"sandbox unavailable: {run.unavailable}")
    if run.passed:
        raise InputError("Your test passes already; paste a test that fails so we can work on it.")
    problem.tree = derive_tree(problem)
    return problem
