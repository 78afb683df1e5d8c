"""The validity panel of every report: can this run tell good tutoring from bad?

An evaluation whose simulated students are solved by anything separates nothing. Before any policy comparison is
read, the panel says, from the scored dialogues alone:
- tree vs null: the difference in success@K (K = the largest cut-off), paired by problem, persona and seed, with a
  paired bootstrap interval. The run separates policies only if that interval lies above zero.
- telling: its success@K beside its telling@K (a telling policy that succeeds without telling is a broken baseline;
  one that succeeds by telling is the reference for "finishes the problem, leaves the misconception").
- learning gain per policy (post - pre, simulator.posttest) and tree minus telling, paired.
- replicates: success@K per seed for each policy, with the spread across seeds; one seed gives no spread, and the
  panel says so.
A policy that was not in the run is reported as "not run", never as zero.
"""

from __future__ import annotations

import statistics
from typing import Any

from evals.stats import bootstrap_ci, paired_bootstrap_ci

Row = dict[str, Any]


def _pair_key(row: Row) -> tuple[str, str, int]:
    return (str(row["problem_id"]), str(row["persona"]), int(row["seed"]))


def _interval(values: tuple[float | None, float | None, float | None], n: int) -> dict[str, Any]:
    mean, lo, hi = values
    return {"mean": mean, "lo": lo, "hi": hi, "n": n}


def _paired(rows: list[Row], a: str, b: str, metric: str, **boot: Any) -> dict[str, Any]:
    """b - a on `metric` over the dialogues both policies ran (same problem, persona, seed)."""
    by = {p: {_pair_key(r): r.get(metric) for r in rows if r["policy"] == p} for p in (a, b)}
    missing = [p for p in (a, b) if not by[p]]
    if missing:
        return {"status": "not run", "missing": missing}
    keys = [k for k in by[a] if k in by[b] and by[a][k] is not None and by[b][k] is not None]
    pairs = [(float(by[a][k]), float(by[b][k])) for k in keys]
    if not pairs:
        return {"status": "no paired dialogues"}
    out = _interval(paired_bootstrap_ci(pairs, **boot), len(pairs))
    out["status"] = "separates" if out["lo"] is not None and out["lo"] > 0 else "does not separate"
    return out


def _mean(rows: list[Row], policy: str, metric: str, **boot: Any) -> dict[str, Any]:
    values = [float(r[metric]) for r in rows if r["policy"] == policy and r.get(metric) is not None]
    if not any(r["policy"] == policy for r in rows):
        return {"status": "not run"}
    return _interval(bootstrap_ci(values, **boot), len(values))


def _replicates(rows: list[Row], policy: str, metric: str) -> dict[str, Any]:
    per_seed: dict[int, list[float]] = {}
    for r in rows:
        if r["policy"] == policy and r.get(metric) is not None:
            per_seed.setdefault(int(r["seed"]), []).append(float(r[metric]))
    means = {seed: sum(v) / len(v) for seed, v in sorted(per_seed.items())}
    out: dict[str, Any] = {"per_seed": means}
    if len(means) < 2:
        out["spread"] = None
        out["note"] = "one seed: no spread across replicates (run with several --seeds)"
    else:
        vals = list(means.values())
        out["spread"] = {"min": min(vals), "max": max(vals), "sd": statistics.stdev(vals)}
    return out


def validity_panel(rows: list[Row], k: int, *, n_boot: int = 1000, ci: float = 0.95, seed: int = 0) -> dict[str, Any]:
    """The panel (see the module docstring) over per-dialogue score rows holding policy, problem_id, persona, seed
    and the metrics success@K, telling@K and gain."""
    boot = {"n_boot": n_boot, "ci": ci, "seed": seed}
    success, telling = f"success@{k}", f"telling@{k}"
    policies = sorted({str(r["policy"]) for r in rows})
    return {
        "k": k,
        "tree_vs_null": _paired(rows, "null", "tree", success, **boot),
        "telling": {
            "success": _mean(rows, "telling", success, **boot),
            "telling": _mean(rows, "telling", telling, **boot),
        },
        "tree_telling": _mean(rows, "tree", telling, **boot),
        "gain": {p: _mean(rows, p, "gain", **boot) for p in policies},
        "gain_tree_vs_telling": _paired(rows, "telling", "tree", "gain", **boot),
        "replicates": {p: _replicates(rows, p, success) for p in policies},
    }


def _fmt(cell: dict[str, Any]) -> str:
    if cell.get("mean") is None:
        return cell.get("status", "–")
    text = f"{cell['mean']:.3f} [{cell['lo']:.3f}, {cell['hi']:.3f}] n={cell['n']}"
    return f"{text} ({cell['status']})" if "status" in cell else text


def panel_lines(panel: dict[str, Any]) -> list[str]:
    """The panel as plain text lines (the CLI summary and the HTML report both show these)."""
    k = panel["k"]
    lines = [
        f"tree - null, success@{k}: {_fmt(panel['tree_vs_null'])}",
        f"telling: success@{k} {_fmt(panel['telling']['success'])}; telling@{k} {_fmt(panel['telling']['telling'])}",
        f"tree: telling@{k} {_fmt(panel['tree_telling'])}",
    ]
    lines += [f"learning gain (post - pre), {p}: {_fmt(c)}" for p, c in panel["gain"].items()]
    lines.append(f"learning gain, tree - telling: {_fmt(panel['gain_tree_vs_telling'])}")
    for p, rep in panel["replicates"].items():
        seeds = ", ".join(f"seed {s}: {v:.3f}" for s, v in rep["per_seed"].items())
        spread = rep["spread"]
        tail = (
            rep.get("note", "")
            if spread is None
            else f"min {spread['min']:.3f}, max {spread['max']:.3f}, sd {spread['sd']:.3f}"
        )
        lines.append(f"replicates {p}, success@{k}: {seeds or 'no dialogues'}; {tail}")
    return lines
