"""Aggregation of per-dialogue scores: means with seeded percentile-bootstrap intervals, per group and paired."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evals.metrics import Metric


@dataclass
class Aggregate:
    group: str
    metric: str
    n: int
    mean: float | None
    lo: float | None
    hi: float | None
    higher_is_better: bool | None

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def bootstrap_ci(
    values: list[float], *, n_boot: int, ci: float, seed: int
) -> tuple[float | None, float | None, float | None]:
    """Mean and a percentile bootstrap interval (seeded, so reruns give the same interval)."""
    if not values:
        return None, None, None
    arr = np.asarray(values, dtype=float)
    mean = float(arr.mean())
    if n_boot <= 0 or len(arr) < 2:
        return mean, mean, mean
    rng = np.random.default_rng(seed)
    means = arr[rng.integers(0, len(arr), size=(n_boot, len(arr)))].mean(axis=1)
    alpha = (1 - ci) / 2
    return mean, float(np.quantile(means, alpha)), float(np.quantile(means, 1 - alpha))


def aggregate(
    scores: list[dict[str, Any]],
    metrics: list[Metric],
    *,
    group_by: str = "policy",
    n_boot: int = 1000,
    ci: float = 0.95,
    seed: int = 0,
) -> list[Aggregate]:
    """One row per (group, metric). `scores` are per-dialogue rows holding `group_by` and each metric's value."""
    groups = sorted({str(s[group_by]) for s in scores})
    rows = []
    for g in groups:
        in_group = [s for s in scores if str(s[group_by]) == g]
        for m in metrics:
            values = [float(s[m.name]) for s in in_group if s.get(m.name) is not None]
            mean, lo, hi = bootstrap_ci(values, n_boot=n_boot, ci=ci, seed=seed)
            rows.append(Aggregate(g, m.name, len(values), mean, lo, hi, m.higher_is_better))
    return rows


def paired_bootstrap_ci(
    pairs: list[tuple[float, float]], *, n_boot: int, ci: float, seed: int
) -> tuple[float | None, float | None, float | None]:
    """Mean of b - a over paired observations (the same problem, persona and seed) and its bootstrap interval."""
    return bootstrap_ci([b - a for a, b in pairs], n_boot=n_boot, ci=ci, seed=seed)
