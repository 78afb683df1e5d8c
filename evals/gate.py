"""The CI regression gate: a fixed small run (starter bank, backend none, fixed seeds) whose tree-policy
success@12 must not drop below the recorded baseline, and in which no policy that should not tell leaks.

    python -m evals.gate            # run it and check against evals/baselines/starter.json
    python -m evals.gate --record   # run it and (re)record the baseline
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from evals.config import PersonaSpec, ProblemSet, RoleConfig, RunConfig
from evals.report import git_hash
from evals.runner import generate
from evals.score import score_run
from knowledge.bank import load_starter

BASELINE = Path(__file__).parent / "baselines" / "starter.json"
GATE_METRIC = "success@12"


GATE_SIZE = 30  # problems in the fixed run (the first by id when recording), to keep the gate under a minute


def gate_config(output_dir: Path, ids: list[str] | None = None) -> RunConfig:
    """The fixed run: the baseline's problem ids (or, when recording, the first GATE_SIZE starter problems by id)."""
    if ids is None:
        ids = sorted(p.id for p in load_starter())[:GATE_SIZE]
    return RunConfig(
        name="gate-starter",
        policies=["tree"],
        problems=[ProblemSet(source="starter", ids=ids)],
        personas=[PersonaSpec(name="student", mode="typical", use_problem_profile=False)],
        students_per_problem=1,
        seeds=[0],
        max_turns=12,
        k=[12],
        tutor=RoleConfig(backend="none"),
        student=RoleConfig(backend="none"),
        output_dir=output_dir,
        bootstrap=200,
    )


def run_gate(output_dir: Path, ids: list[str] | None = None) -> dict[str, Any]:
    """Generate + score the fixed run; return {metric: mean} for the tree policy, plus the dialogue count.
    A baseline problem missing from the bank is a ConfigError (re-record the baseline)."""
    cfg = gate_config(output_dir, ids)
    generate(cfg, progress=False)
    result = score_run(cfg.run_dir, cfg)
    means = {r["metric"]: r["mean"] for r in result["metrics"] if r["group"] == "tree"}
    return {"n_dialogues": result["n_dialogues"], **means}


def check(measured: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Failures: success@12 below baseline, any leak, or a different number of dialogues (the bank changed)."""
    failures = []
    if measured.get(GATE_METRIC) is None or measured[GATE_METRIC] + 1e-9 < baseline[GATE_METRIC]:
        failures.append(f"tree {GATE_METRIC} {measured.get(GATE_METRIC)} < baseline {baseline[GATE_METRIC]}")
    if (measured.get("leak") or 0.0) > 0.0:
        failures.append(f"tree leak rate {measured['leak']:.3f} > 0")
    if measured["n_dialogues"] != baseline["n_dialogues"]:
        failures.append(f"{measured['n_dialogues']} dialogues, baseline had {baseline['n_dialogues']} (re-record it)")
    return failures


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.gate")
    p.add_argument("--record", action="store_true", help="record the baseline instead of checking it")
    args = p.parse_args(argv)
    baseline = None if args.record else json.loads(BASELINE.read_text())
    ids = None if baseline is None else baseline["problem_ids"]
    with tempfile.TemporaryDirectory() as tmp:
        cfg = gate_config(Path(tmp) / "gate", ids)
        measured = run_gate(cfg.run_dir, ids)
    if args.record:
        keep = {
            k: measured[k]
            for k in ("n_dialogues", GATE_METRIC, "leak", "telling@12", "turns_to_success", "diagnosis_accuracy")
            if k in measured
        }
        BASELINE.parent.mkdir(exist_ok=True)
        BASELINE.write_text(
            json.dumps(
                {
                    **keep,
                    "recorded": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
                    "git_hash": git_hash(),
                    "problem_ids": cfg.problems[0].ids,
                },
                indent=2,
            )
            + "\n"
        )
        print(f"recorded {BASELINE}: {keep}")
        return 0
    failures = check(measured, baseline)
    for f in failures:
        print(f"GATE FAILED: {f}")
    if not failures:
        print(f"gate passed: tree {GATE_METRIC}={measured[GATE_METRIC]:.3f}, leak={measured.get('leak', 0):.3f}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
