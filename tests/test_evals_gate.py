"""CI regression gate: the fixed starter-bank run (backend none, fixed seeds) must keep the tree policy's
success@12 at or above the recorded baseline, with no leak."""

from __future__ import annotations

import json

import pytest

from evals.gate import BASELINE, GATE_METRIC, check, run_gate


def test_baseline_is_a_fixed_run():
    baseline = json.loads(BASELINE.read_text())
    assert baseline["n_dialogues"] == len(baseline["problem_ids"]) > 0
    assert 0.0 < baseline[GATE_METRIC] <= 1.0


def test_gate_check_fails_on_regressions():
    base = {"n_dialogues": 10, GATE_METRIC: 0.8}
    assert check({"n_dialogues": 10, GATE_METRIC: 0.8, "leak": 0.0}, base) == []
    assert check({"n_dialogues": 10, GATE_METRIC: 0.7, "leak": 0.0}, base)
    assert check({"n_dialogues": 10, GATE_METRIC: 0.9, "leak": 0.1}, base)
    assert check({"n_dialogues": 9, GATE_METRIC: 0.9, "leak": 0.0}, base)


@pytest.mark.slow
def test_starter_gate(tmp_path):
    baseline = json.loads(BASELINE.read_text())
    measured = run_gate(tmp_path / "gate", baseline["problem_ids"])
    failures = check(measured, baseline)
    assert not failures, failures
