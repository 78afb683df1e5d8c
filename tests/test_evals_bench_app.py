"""`python -m evals.bench app`: the scripts it replays are real validate dialogues, and `--dialogues` gives the
single-student level a larger sample of different dialogues (never the same one twice)."""

from __future__ import annotations

from evals.bench_app import _scripts, build_parser
from tests.shared_data import MATHDIAL, needs_mathdial


@needs_mathdial
def test_scripts_start_where_asked_and_differ():
    source = f"mathdial:{MATHDIAL}"
    three = _scripts(source, 3, 2)
    assert _scripts(source, 2, 2, first=1) == three[1:]
    assert len({(problem.id, tuple(messages)) for problem, messages in three}) == 3
    assert all(0 < len(messages) <= 2 for _, messages in three)


def test_dialogues_defaults_to_one():
    assert build_parser().parse_args([]).dialogues == 1
    assert build_parser().parse_args(["--dialogues", "8"]).dialogues == 8
