"""A full simulated dialogue against the `tree` tutor policy with backend none ends in success."""

from __future__ import annotations

import pytest

import tutor
from knowledge.bank import load_starter
from knowledge.numbers import parse_numbers
from knowledge.types import Problem
from simulator import StudentSession, builtin
from tests.problems import jacket_problem, sum_problem


def dialogue(problem: Problem, mode: str = "typical", seed: int = 0, max_turns: int = 12):
    settings = tutor.TutorSettings(policy="tree", max_turns=max_turns)
    t = tutor.TutorSession.start(problem, settings=settings, backend=None)
    s = StudentSession.start(problem, builtin(mode), seed=seed, backend=None, use_embeddings=False)
    transcript = [("tutor", t.opening), ("student", s.opening)]
    message = s.opening
    for _ in range(max_turns):
        reply = "".join(t.reply(message))
        transcript.append(("tutor", reply))
        if t.done or s.solved:
            break
        message = s.respond(reply)
        transcript.append(("student", message))
    return t, s, transcript


def first(domain: str) -> Problem:
    return next(p for p in load_starter() if p.domain == domain)


@pytest.mark.parametrize("problem", [jacket_problem(), first("math")], ids=lambda p: p.id)
def test_math_dialogue_reaches_the_answer(problem: Problem) -> None:
    t, s, transcript = dialogue(problem)
    assert s.solved, transcript
    student_lines = [text for role, text in transcript if role == "student"]
    assert any(abs(x - problem.answer) < 1e-6 for x in parse_numbers(student_lines[-1])), transcript
    assert not any(abs(x - problem.answer) < 1e-6 for x in parse_numbers(student_lines[0]))
    assert t.solved, transcript


@pytest.mark.parametrize("problem", [sum_problem(), first("code")], ids=lambda p: p.id)
def test_code_dialogue_reaches_a_passing_fix(problem: Problem) -> None:
    t, s, transcript = dialogue(problem)
    assert s.solved and s.last_code_accepted, transcript
    assert tutor.sandbox.run_tests(s.last_code, problem).passed
    assert not tutor.sandbox.run_tests(s.malgorithm.wrong_code, problem).passed


def test_adversarial_student_gets_no_answer_from_the_tree_tutor() -> None:
    problem = jacket_problem()
    attempts = 0
    for seed in range(4):
        t, s, transcript = dialogue(problem, mode="adversarial", seed=seed)
        attempts += s.extraction_attempts
        assert not s.told, transcript
        tutor_lines = [text for role, text in transcript if role == "tutor"]
        assert not any(abs(x - problem.answer) < 1e-6 for line in tutor_lines for x in parse_numbers(line))
    assert attempts >= 2
