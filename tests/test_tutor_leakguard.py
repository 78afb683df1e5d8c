"""evals.leakguard: rebuilding problems from MRBench solutions, and the measurement on the shared data."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.leakguard import CORRECT, build_problem, evaluate, format_report, main, parse_solution, score, split_turns

DATA = Path(__file__).parents[1].parent / "shared" / "data" / "mrbench" / "dev.json"


def test_parse_solution_takes_step_values_and_the_last_line() -> None:
    steps, answer = parse_solution(
        "There are 26 - 2 = 24 pencils.\nEach box has 24 / 3 = 8 pencils.\nSo 72 / 8 = 9 boxes.\n 9"
    )
    assert [s.value for s in steps] == [24, 8, 9] and answer == 9
    steps, answer = parse_solution("She pays $12.50 + $7.50 = $20\n#### 20")
    assert [s.value for s in steps] == [20] and answer == 20


def test_student_turns_count_as_produced() -> None:
    record = {
        "Ground_Truth_Solution": "a = 3 + 4 = 7\nb = 7 * 2 = 14\n 14",
        "conversation_history": "Tutor: Hi, the question is: x? \n Student: I think 3 + 4 = 7\n Tutor: and then?",
    }
    problem, produced = build_problem(record, 0)
    assert 7 in produced and 14 not in produced and problem.answer == 14
    assert [r for r, _ in split_turns(record["conversation_history"])] == ["tutor", "student", "tutor"]


@pytest.mark.skipif(not DATA.exists(), reason=f"MRBench data not found at {DATA}")
def test_leakguard_on_mrbench_dev(capsys: pytest.CaptureFixture[str]) -> None:
    report, items = evaluate(DATA)
    assert report.n == len(items) > 500 and report.tp + report.fp + report.fn + report.tn == report.n
    assert len(report.skipped) > 0  # "Not Available" solutions are counted, not guessed
    # a useful guard: most human-labelled reveals are caught, and most flags are real
    assert report.recall >= 0.6 and report.precision >= 0.4
    assert "precision" in format_report(report)
    assert main([str(DATA), "--final-only"]) == 0
    assert "confusion" not in capsys.readouterr().err


@pytest.mark.skipif(not DATA.exists(), reason=f"MRBench data not found at {DATA}")
def test_mrbench_mode_meets_the_goal_and_beats_the_naive_rule(capsys: pytest.CaptureFixture[str]) -> None:
    report, items = evaluate(DATA, mode="mrbench")
    naive = score(items, path=str(DATA), mode="mrbench", conversations=report.conversations, naive=True)
    assert report.f1 >= 0.85 and report.recall_by_label[CORRECT] >= 0.95
    assert report.f1 > naive.f1 + 0.1 and report.precision > naive.precision
    halves = [
        score(items, path=str(DATA), mode="mrbench", conversations=report.conversations, part=p)
        for p in ("fit", "validate")
    ]
    assert sum(h.n for h in halves) == report.n and all(h.n > 200 for h in halves)
    assert main([str(DATA), "--mode", "mrbench", "--part", "validate", "--compare"]) == 0
    out = capsys.readouterr().out
    assert "part: validate" in out and "validate   naive" in out and "all        mrbench" in out


def test_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    assert main([str(tmp_path / "nope.json")]) == 2


def test_malformed_mrbench_file_is_a_clean_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.json"
    path.write_text('["not a conversation"]')
    assert main([str(path), "--mode", "mrbench"]) == 2
    assert "conversation 0 is not a JSON object" in capsys.readouterr().err
