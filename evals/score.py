"""The score stage: metrics from saved records only (no tutor or simulator session is started here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from errors import ConfigError
from evals.config import RunConfig
from evals.judge import judge_metrics, judge_records
from evals.metrics import diagnosis_pair, metrics_for, score_record
from evals.records import DialogueRecord, RecordFile, write_json
from evals.runner import records_path
from evals.stats import aggregate
from evals.validity import validity_panel


def load_run_config(run_dir: Path) -> RunConfig:
    path = Path(run_dir) / "config.json"
    if not path.exists():
        raise ConfigError(f"{run_dir} is not a run folder (no config.json).")
    return RunConfig.model_validate(json.loads(path.read_text(encoding="utf-8")))


def load_records(run_dir: Path) -> list[DialogueRecord]:
    records = RecordFile(records_path(run_dir)).read()
    if not records:
        raise ConfigError(f"{run_dir} holds no finished dialogues; run the generate stage first.")
    return records


def score_run(run_dir: Path, config: RunConfig | None = None) -> dict[str, Any]:
    """Score every record, aggregate per policy (and overall) with bootstrap CIs, write scores.jsonl + metrics.json."""
    run_dir = Path(run_dir)
    config = config or load_run_config(run_dir)
    records = load_records(run_dir)
    metrics = metrics_for(config.k)
    rows = []
    for r in records:
        row: dict[str, Any] = {
            "key": r.key,
            "problem_id": r.problem_id,
            "domain": r.problem.domain,
            "policy": r.policy,
            "persona": r.persona_label,
            "seed": r.seed,
            "malgorithm_id": r.malgorithm_id,
            "ended": r.outcome.ended,
            "turns": r.outcome.turns,
            "total_s": r.timings.get("total_s"),
        }
        pair = diagnosis_pair(r)
        row["solved_turn"] = r.outcome.solved_turn
        row["diag_hidden"], row["diag_predicted"] = pair if pair else (None, None)
        row.update(score_record(r, metrics))
        rows.append(row)
    kwargs = {"n_boot": config.bootstrap, "ci": config.ci, "seed": config.bootstrap_seed}
    table = aggregate(rows, metrics, group_by="policy", **kwargs)
    if config.judge.enabled:
        judged = judge_records(records, config.judge, run_dir / "judge.jsonl")
        for row in rows:
            row.update(judged.get(row["key"], {}))
        jmetrics = [m for m in _judge_metrics() if any(row.get(m.name) is not None for row in rows)]
        table += aggregate(rows, jmetrics, group_by="policy", **kwargs)
        metrics = metrics + jmetrics
    result = {
        "n_dialogues": len(records),
        "metrics": [a.as_dict() for a in table],
        "validity": validity_panel(rows, max(config.k), **kwargs),
        "metric_info": {
            m.name: {"higher_is_better": m.higher_is_better, "description": m.description} for m in metrics
        },
    }
    with (run_dir / "scores.jsonl").open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row) + "\n")
    write_json(run_dir / "metrics.json", result)
    return result


def _judge_metrics() -> list:
    return judge_metrics()


def load_scores(run_dir: Path) -> list[dict[str, Any]]:
    path = Path(run_dir) / "scores.jsonl"
    if not path.exists():
        raise ConfigError(f"{run_dir} has not been scored; run `python -m evals score {run_dir}`.")
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
