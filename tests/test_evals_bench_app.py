"""`python -m evals.bench app`: the scripts it replays are real validate dialogues, `--dialogues` gives the
single-student level a larger sample of different dialogues (never the same one twice), and the load ratio compares
p95 with p95 (not with the single student's median, a template turn)."""

from __future__ import annotations

from evals.bench_app import _scripts, build_parser, load_ratio
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


def test_load_ratio_is_p95_over_p95() -> None:
    single = {"students": 1, "whole_ms_p50": 40.0, "whole_ms_p95": 8000.0}
    crowd = {"students": 20, "whole_ms_p50": 90.0, "whole_ms_p95": 500.0}
    what, ratio = load_ratio([single, crowd])
    assert ratio == 500.0 / 8000.0  # not 500 / 40 (the median, a template turn)
    assert "p95 reply at 20 students / p95 reply at 1 student" in what
    assert load_ratio([single]) is None
    assert load_ratio([{**single, "whole_ms_p95": None}, crowd]) is None
