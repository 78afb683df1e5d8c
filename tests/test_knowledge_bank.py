"""The original starter bank: it validates, its math is right, and its code exercises behave as documented.

Code is run in a subprocess (one per exercise, all variants inside it), never in the test process.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import textwrap

import pytest
import yaml

from knowledge import bank
from knowledge.types import Problem

TOL = dict(rel_tol=1e-9, abs_tol=1e-9)


@pytest.fixture(scope="module")
def problems() -> list[Problem]:
    return bank.load_starter()


def math_problems() -> list[Problem]:
    return [p for p in bank.load_starter() if p.domain == "math"]


def code_problems() -> list[Problem]:
    return [p for p in bank.load_starter() if p.domain == "code"]


def raw_math_records() -> list[dict]:
    out = []
    for path in bank.bank_files():
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
        out += [r for r in data if r["id"].startswith("math-")]
    return out


# ---------------------------------------------------------------- the bank as a whole


def test_bank_validates_with_enough_problems(problems):
    math_ids = [p.id for p in problems if p.domain == "math"]
    code_ids = [p.id for p in problems if p.domain == "code"]
    assert len(math_ids) >= 30
    assert len(code_ids) >= 12
    assert all(i.startswith("math-") for i in math_ids)
    assert all(i.startswith("code-") for i in code_ids)
    assert len({p.id for p in problems}) == len(problems)
    assert all(p.source == "starter" for p in problems)
    mal_ids = [m.id for p in problems for m in p.malgorithms]
    assert len(set(mal_ids)) == len(mal_ids)


def test_math_covers_the_topics_and_grades(problems):
    skills = {s for p in problems if p.domain == "math" for s in p.skills}
    for needed in ("fractions", "percent", "rates", "ratio", "unit_conversion", "money", "time", "multi_step"):
        assert needed in skills, needed
    grades = {p.grade for p in problems if p.domain == "math"}
    assert grades <= set(range(4, 9)) and len(grades) >= 4


def test_code_covers_the_topics(problems):
    skills = {s for p in problems if p.domain == "code" for s in p.skills}
    for needed in (
        "loops",
        "off_by_one",
        "mutation_while_iterating",
        "integer_division",
        "string_indexing",
        "return_vs_print",
        "scope",
        "mutable_default",
        "accumulator",
        "range_bounds",
        "early_return",
    ):
        assert needed in skills, needed


def test_load_starter_returns_independent_copies():
    first = bank.load_starter()
    first[0].title = "changed"
    first[0].malgorithms.clear()
    again = bank.load_starter()
    assert again[0].title != "changed"
    assert again[0].malgorithms


def test_starter_problem_by_id(problems):
    some = problems[0]
    got = bank.starter_problem(some.id)
    assert got == some
    assert set(bank.starter_ids("math")) == {p.id for p in problems if p.domain == "math"}
    with pytest.raises(KeyError, match="no-such"):
        bank.starter_problem("math-no-such-problem")


def test_json_round_trip(problems):
    for p in problems:
        assert Problem.model_validate_json(p.model_dump_json()) == p


def test_trees_attached(problems):
    assert bank.trees_attached()
    for p in problems:
        assert p.tree is not None and p.tree.problem_id == p.id and p.tree.nodes


# ---------------------------------------------------------------- math


@pytest.mark.parametrize("p", math_problems(), ids=lambda p: p.id)
def test_math_steps_evaluate_and_answer_is_last_step(p):
    for step in p.steps:
        assert math.isclose(
            eval(step.expression, {"__builtins__": {}}, dict(bank.EXPRESSION_FUNCTIONS)), step.value, **TOL
        ), step
    assert math.isclose(p.answer, p.steps[-1].value, **TOL)
    assert p.answer_unit
    assert 4 <= p.grade <= 8
    assert p.skills and all(s == s.lower() and " " not in s for s in p.skills)


@pytest.mark.parametrize("p", math_problems(), ids=lambda p: p.id)
def test_math_malgorithms_are_distinguishable(p):
    assert len(p.malgorithms) >= 2
    wrong = [m.wrong_answer for m in p.malgorithms]
    for i, m in enumerate(p.malgorithms):
        assert m.label and m.description and m.wrong_solution
        assert m.step is not None and m.step in m.step_values
        assert not math.isclose(m.wrong_answer, p.answer, **TOL), m.id
        assert not any(math.isclose(m.wrong_answer, w, **TOL) for w in wrong[:i]), m.id
        assert max(m.step_values) == len(p.steps) - 1
        assert math.isclose(m.wrong_answer, m.step_values[len(p.steps) - 1], **TOL)
        assert not math.isclose(m.step_values[m.step], p.steps[m.step].value, **TOL), m.id


def test_step_descriptions_name_the_quantity_without_giving_it_away():
    """Trees turn step descriptions into questions, so they must not carry the step's value or an equation."""
    for p in math_problems():
        for i, step in enumerate(p.steps):
            text = step.description
            assert "=" not in text, (p.id, i)
            shown = f"{step.value:g}"
            assert not re.search(rf"(?<![\d.]){re.escape(shown)}(?![\d]|\.\d)", text), (p.id, i, text)


def test_math_wrong_step_values_have_expressions():
    """The raw files carry the arithmetic behind every wrong step value; check it independently of the loader."""
    records = raw_math_records()
    assert len(records) >= 30
    for r in records:
        for m in r["malgorithms"]:
            assert set(m["step_expressions"]) == set(m["step_values"]), (r["id"], m["id"])
            for k, expr in m["step_expressions"].items():
                got = eval(expr, {"__builtins__": {}}, dict(bank.EXPRESSION_FUNCTIONS))
                assert math.isclose(got, m["step_values"][k], **TOL), (r["id"], m["id"], k)


def test_wrong_answers_do_not_collide_with_right_step_values():
    """A student's wrong final answer should not look like a correct intermediate result."""
    clashes = []
    for p in math_problems():
        right = [s.value for s in p.steps]
        for m in p.malgorithms:
            if any(math.isclose(m.wrong_answer, v, **TOL) for v in right):
                clashes.append(m.id)
    assert clashes == []


def test_wrong_solution_text_shows_the_wrong_answer():
    """The student-style wrong solution states the number the path ends with."""
    for p in math_problems():
        for m in p.malgorithms:
            shown = f"{m.wrong_answer:g}"
            assert shown in m.wrong_solution.replace(",", ""), (m.id, shown)


# ---------------------------------------------------------------- code

RUNNER = textwrap.dedent(
    """
    import contextlib, io, json, signal, sys

    def on_alarm(signum, frame):
        raise TimeoutError("took too long")

    signal.signal(signal.SIGALRM, on_alarm)
    job = json.loads(sys.stdin.read())
    results = {}
    for name, code in job["variants"].items():
        outcome = []
        for test in job["tests"]:
            env = {"__name__": "exercise"}
            signal.alarm(2)
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    exec(compile(code, "exercise.py", "exec"), env)
                    exec(compile(test, "test", "exec"), env)
                outcome.append(None)
            except BaseException as exc:  # the verdict is the point, whatever the failure
                outcome.append(type(exc).__name__)
            finally:
                signal.alarm(0)
        results[name] = outcome
    print(json.dumps(results))
    """
)


def run_variants(p: Problem) -> dict[str, list[str | None]]:
    variants = {"buggy": p.buggy_code}
    for b, bug in enumerate(p.bugs):
        for k, fix in enumerate(bug.fixes):
            variants[f"fix-{b}-{k}"] = fix.code
    for m in p.malgorithms:
        variants[f"wrong-{m.id}"] = m.wrong_code
    proc = subprocess.run(
        [sys.executable, "-I", "-c", RUNNER],
        input=json.dumps({"variants": variants, "tests": p.unit_tests}),
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


@pytest.mark.parametrize("p", code_problems(), ids=lambda p: p.id)
def test_code_exercise_fails_on_bug_passes_on_fixes(p):
    results = run_variants(p)
    assert any(results["buggy"]), f"{p.id}: the buggy code passes every test"
    for name, outcome in results.items():
        if name.startswith("fix-"):
            assert not any(outcome), f"{p.id} {name} fails: {outcome}"
        if name.startswith("wrong-"):
            assert any(outcome), f"{p.id} {name}: the wrong fix passes every test"
    assert len(p.malgorithms) >= 1 and all(m.bug is not None for m in p.malgorithms)


@pytest.mark.parametrize("p", code_problems(), ids=lambda p: p.id)
def test_code_exercise_shape(p):
    assert f"def {p.entry_point}(" in p.buggy_code
    lines = p.buggy_code.splitlines()
    for bug in p.bugs:
        assert all(1 <= n <= len(lines) for n in bug.lines)
        for fix in bug.fixes:
            assert fix.lines
            fixed = [ln.strip() for ln in fix.code.splitlines()]
            buggy = [ln.strip() for ln in lines]
            for ln in fix.lines:
                assert ln.strip() in fixed, (p.id, ln)
            # a fix changes something and the accepted fixes are not the buggy program again
            assert fixed != buggy
    for m in p.malgorithms:
        assert m.label and m.description
        assert m.wrong_code.strip() != p.buggy_code.strip()
