"""The phrasing benchmark's figures and the measured-acceptance file round trip (no model: scripted rows and the
fake backend on real replayed pairs)."""

from __future__ import annotations

import argparse

import pytest

from evals.bench_phrasing import figures, pairs_and_traces, table
from inference import FakeBackend
from tests.shared_data import MATHDIAL


def _row(kind: str, accepted: bool, model_ms: float, why: str | None = None, tokens: int = 10) -> dict:
    return {
        "kind": kind,
        "job": "revoice",
        "accepted": accepted,
        "differs": accepted,
        "rejected": why,
        "tokens": tokens,
        "leak": bool(why and why.startswith("leak")),
        "model_ms": model_ms,
        "student": "I got 12",
        "model_text": "You got 12.",
        "shown": "You got 12. What next?",
    }


def test_figures_per_kind() -> None:
    rows = [
        _row("focus", True, 100),
        _row("focus", False, 300, "too long (30 words)", 30),
        _row("probe", True, 200),
        {**_row("focus", False, 0), "job": ""},
    ]  # not called: left out
    f = figures(rows)
    assert f["called"] == 3 and f["acceptance"] == pytest.approx(2 / 3, abs=1e-3)
    assert f["kinds"]["focus"]["n"] == 2 and f["kinds"]["focus"]["acceptance"] == 0.5
    assert f["kinds"]["focus"]["reasons"] == {"too long": 1} and f["kinds"]["probe"]["differs_share"] == 1.0
    assert f["tokens_generated"] == 50 and f["tokens_of_rejected_texts"] == 30 and f["wasted_token_share"] == 0.6
    assert "| focus |" in table(rows, 4) and "template (too long" in table(rows, 4)


def test_pairs_come_from_replayed_dialogues_with_the_fake_backend() -> None:
    if not MATHDIAL.exists():
        pytest.skip("MathDial dev data not present")
    fake = FakeBackend(["You found a number."] * 10)
    args = argparse.Namespace(source=f"mathdial:{MATHDIAL}", part="validate", pairs=6, per_dialogue=2, job="revoice")
    rows = pairs_and_traces(fake, args)
    called = [r for r in rows if r["job"] == "revoice"]
    assert len(rows) == 6 and called and len(fake.history) == len(called)  # llm_moves=all: every move kind
    assert all("already says" in r["note"] for r in rows if not r["job"])  # the template said their value back
    again = pairs_and_traces(FakeBackend(), args)  # the pairs do not depend on the model's words
    assert [(r["dialogue_id"], r["turn"], r["kind"]) for r in again] == [
        (r["dialogue_id"], r["turn"], r["kind"]) for r in rows
    ]
