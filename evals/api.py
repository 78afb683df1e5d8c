"""The entry points the app's Evaluate tab calls."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from evals.config import RunConfig
from evals.report import build_report
from evals.report import load_report as _load
from evals.runner import generate
from evals.score import score_run
from inference.base import Backend
from settings import Settings


def run_config(
    config: RunConfig,
    *,
    progress: bool = False,
    generate_only: bool = False,
    backends: dict[str, Backend] | None = None,
    settings: Settings | None = None,
) -> Path:
    """Generate (resumable), score and report one run; return its folder. `settings`: the entry point's (model
    cache)."""
    run_dir = generate(config, progress=progress, backends=backends, settings=settings)
    if not generate_only:
        score_run(run_dir, config)
        build_report(run_dir)
    return run_dir


def start_run(config: RunConfig) -> Path:
    """Run generate + score + report for `config` and return the run folder (blocking; no progress bar)."""
    return run_config(config, progress=False)


def load_report(run_dir: str | Path) -> dict[str, Any]:
    """{'stamp', 'config', 'metrics' (rows: group, metric, n, mean, lo, hi, higher_is_better), 'plots' (name -> PNG
    path), 'html' (path), ...} of a reported run."""
    return _load(Path(run_dir))
