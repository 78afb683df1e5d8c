"""The hand-made problems the tests share, read from tests/data/problems.yaml through the real loader."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from knowledge.io import load_problems
from knowledge.types import Problem

PATH = Path(__file__).with_name("data") / "problems.yaml"


@cache
def _by_id() -> dict[str, Problem]:
    return {p.id: p for p in load_problems(PATH)}


def problem(problem_id: str) -> Problem:
    """A fresh copy of one problem (a test may change it)."""
    return _by_id()[problem_id].model_copy(deep=True)


def jacket_problem() -> Problem:
    """The simulator's math problem: 25% off $80, then 10% off the sale price -> $54; three malgorithms."""
    return problem("sim-jacket")


def sum_problem() -> Problem:
    """The simulator's code problem: range(n) in sum_up_to misses n (sum_up_to(4) gives 6); two malgorithms."""
    return problem("sim-sum-up-to")
