"""The LLM judge's structured output and its validation statistics (scripted fake backend; no model)."""

from __future__ import annotations

import json

import pytest

from errors import ConfigError
from evals import judge, runner
from evals.config import JudgeConfig, RunConfig
from evals.judge import DIMENSIONS, SCHEMA, JudgeVerdict, judge_reply
from evals.judge_validate import agreement, cohen_kappa, load_items
from evals.records import RecordFile, write_json
from evals.score import score_run
from inference import get_backend
from tests.shared_data import MRBENCH
from tests.test_evals_helpers import record

GOOD = {
    "mistake_identification": "yes",
    "mistake_location": "partly",
    "revealing": "no",
    "guidance": "yes",
    "actionability": "no",
    "coherence": "yes",
    "tone": "neutral",
}


def test_judge_decodes_a_valid_verdict_and_sends_the_schema():
    fake = get_backend("fake").enqueue(json.dumps(GOOD))
    v = judge_reply(fake, "Student: 3+4=12", "Where did the 12 come from?", "7")
    assert v == JudgeVerdict(**GOOD)
    assert fake.options[0].json_schema == SCHEMA and fake.options[0].actor == "judge"
    assert "<tutor_reply>\nWhere did the 12 come from?" in fake.history[0][-1].content


@pytest.mark.parametrize("raw", ["not json", json.dumps({**GOOD, "tone": "angry"}), json.dumps({"guidance": "yes"})])
def test_judge_rejects_out_of_schema_output(raw):
    assert judge_reply(get_backend("fake").enqueue(raw), "c", "r") is None


def test_judge_needs_a_model():
    with pytest.raises(ConfigError):
        judge_reply(get_backend("none"), "c", "r")


def test_schema_is_bounded():
    for dim, spec in SCHEMA["properties"].items():
        assert spec["enum"] == list(DIMENSIONS[dim])
    assert set(SCHEMA["required"]) == set(DIMENSIONS)


def test_cohen_kappa():
    assert cohen_kappa(["a", "b", "a", "b"], ["a", "b", "a", "b"]) == 1.0
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "a", "b"]) == 0.0
    assert cohen_kappa(["a", "b"], ["b", "a"]) == pytest.approx(-1.0)
    assert cohen_kappa(["a", "a"], ["a", "a"]) == 1.0  # total chance agreement and total agreement


def test_agreement_counts_invalid_as_wrong():
    items = [{"human": dict(GOOD)}, {"human": {**GOOD, "tone": "encouraging"}}]
    result = agreement(items, [dict(GOOD), None])
    assert result["tone"]["accuracy"] == 0.5 and result["tone"]["n"] == 2
    assert result["guidance"]["majority_baseline"] == 1.0


@pytest.mark.skipif(not MRBENCH.exists(), reason="MRBench data not present at ../shared/data/mrbench")
def test_load_mrbench_items():
    items = load_items(MRBENCH, limit=15)
    assert len(items) == 15
    for it in items:
        assert it["response"] and it["conversation"]
        for dim, label in it["human"].items():
            assert label in DIMENSIONS[dim]


def test_judge_in_the_score_stage_is_cached(tmp_path, monkeypatch):
    fake = get_backend("fake")
    fake.enqueue(*[json.dumps(GOOD)] * 2)
    monkeypatch.setattr(judge, "make_backend", lambda cfg: fake)  # the judge's backend is the scripted fake
    cfg = RunConfig(
        name="j",
        output_dir=tmp_path,
        judge=JudgeConfig(enabled=True, backend="fake", turns_per_dialogue=2),
        bootstrap=10,
    )
    write_json(tmp_path / "config.json", cfg.model_dump(mode="json"))
    RecordFile(runner.records_path(tmp_path)).append(record(["hi", "q1", "q2", "q3"], ["7", "a", "b"]))
    result = score_run(tmp_path)
    rows = {r["metric"]: r for r in result["metrics"]}
    assert rows["judge.guidance"]["mean"] == 1.0 and rows["judge.actionability"]["mean"] == 0.0
    assert rows["judge.mistake_location"]["mean"] == 0.5
    assert result["metric_info"]["judge.revealing"]["higher_is_better"] is False
    assert len(fake.history) == 2  # two tutor replies judged, the third is over the per-dialogue limit
    score_run(tmp_path)
    assert len(fake.history) == 2  # verdicts come from judge.jsonl the second time
