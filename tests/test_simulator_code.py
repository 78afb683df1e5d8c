"""The code path: the student's wrong fix fails the unit tests, its accepted fix (after teaching) passes."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from knowledge.bank import load_starter
from knowledge.types import Problem
from simulator import StudentSession, builtin
from simulator.testing import sum_problem
from simulator.types import Persona


def passes(code: str, problem: Problem) -> bool:
    """Run the unit tests on `code`: through the tutor's sandbox when it exists, else a plain subprocess."""
    try:
        from tutor.sandbox import run_tests
    except ImportError:
        program = code + "\n" + "\n".join(problem.unit_tests) + "\n"
        proc = subprocess.run([sys.executable, "-I", "-c", program], capture_output=True, timeout=20)
        return proc.returncode == 0
    return run_tests(code, problem).passed


def submitted(text: str) -> str:
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match, text
    return match.group(1)


def code_problems() -> list[Problem]:
    return [sum_problem(), *[p for p in load_starter() if p.domain == "code"][:4]]


@pytest.mark.parametrize("problem", code_problems(), ids=lambda p: p.id)
def test_wrong_fix_fails_and_accepted_fix_passes(problem: Problem) -> None:
    for m in problem.malgorithms[:2]:
        s = StudentSession.start(problem, builtin("typical"), seed=0, malgorithm_id=m.id, use_embeddings=False)
        s.persona = Persona(resistance=0.0)
        wrong = submitted(s.opening)
        assert wrong == m.wrong_code and not s.solved
        assert not passes(wrong, problem)
        for node in s.tree.nodes:
            reply = s.respond(node.questions.focus[0])
            if s.solved:
                break
        assert s.solved, [t.text for t in s.turns]
        fixed = submitted(reply)
        assert fixed == s.last_code and s.last_code_accepted
        assert passes(fixed, problem)
        assert any(e.kind == "submitted" and e.detail == "accepted" for e in s.events)


def test_resistant_student_keeps_submitting_the_wrong_fix() -> None:
    problem = sum_problem()
    s = StudentSession.start(problem, Persona(resistance=1.0), seed=0,
                             malgorithm_id="sim-sum-up-to-moves-start-only", use_embeddings=False)
    fix_node = s.tree.node("b0-fix")
    for k in range(6):
        reply = s.respond(fix_node.questions.focus[k % len(fix_node.questions.focus)])
        assert submitted(reply) == s.malgorithm.wrong_code
    assert not s.solved and not passes(s.last_code, problem)


def test_telling_the_fix_line_counts_as_told() -> None:
    problem = sum_problem()
    s = StudentSession.start(problem, Persona(resistance=1.0), seed=0,
                             malgorithm_id="sim-sum-up-to-moves-start-only", use_embeddings=False)
    reply = s.respond("Change line 3 to `for i in range(1, n + 1):` and it will work.")
    assert s.told and s.solved
    assert passes(submitted(reply), problem)
