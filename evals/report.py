"""Reports of a scored run: report.json, metrics.csv, dialogues.csv, plots/*.png and one self-contained report.html.

Every report is stamped with the run config, the git hash of the code, the date and the SHA-256 of the models
used (from `inference.models.MODELS`). `compare(run_a, run_b)` prints the metric table with deltas and whether
the confidence intervals overlap.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import html
import json
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from evals.metrics import STAGES
from evals.records import write_json
from evals.score import load_records, load_run_config, load_scores
from evals.validity import panel_lines
from inference.models import MODELS
from vocabulary import MOVES

REPO = Path(__file__).resolve().parents[1]
PLOTS = ("success_vs_turns", "move_mix", "leak_rate", "diagnosis_confusion")


def git_hash(repo: Path = REPO) -> str:
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 and out.stdout.strip() else "unknown"


def model_hashes(config_json: dict[str, Any]) -> dict[str, str]:
    """role -> 'model: sha256' for registered models; local paths and template-only roles say so."""
    out = {}
    for role in ("tutor", "student", "judge"):
        rc = config_json.get(role) or {}
        if role == "judge" and not rc.get("enabled"):
            continue
        backend, model = rc.get("backend", "none"), rc.get("model", "")
        if backend in ("none", "fake") or not model:
            out[role] = f"{backend} (no model)" if not model else f"{backend}:{model}"
        elif model in MODELS:
            out[role] = f"{model} sha256:{MODELS[model].sha256}"
        else:
            out[role] = f"{model} (unregistered)"
    return out


# ---------------------------------------------------------------- plots


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig: Any, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, format="png", dpi=100)
    _plt().close(fig)
    return path


def plot_success_vs_turns(scores: list[dict], max_turns: int, path: Path) -> Path:
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 3.6))
    for policy in sorted({s["policy"] for s in scores}):
        rows = [s for s in scores if s["policy"] == policy]
        ks = list(range(0, max_turns + 1))
        ys = [sum(1 for s in rows if s["solved_turn"] is not None and s["solved_turn"] <= k) / len(rows) for k in ks]
        ax.step(ks, ys, where="post", label=f"{policy} (n={len(rows)})")
    ax.set(xlabel="turns (k)", ylabel="success@k", ylim=(-0.02, 1.02), title="Success vs turns")
    ax.legend(loc="lower right", fontsize=8)
    ax.grid(alpha=0.3)
    return _save(fig, path)


def plot_move_mix(scores: list[dict], path: Path) -> Path:
    plt = _plt()
    policies = sorted({s["policy"] for s in scores})
    fig, ax = plt.subplots(figsize=(7, 3.6))
    labels, bottoms = [], None
    cols = [(p, st) for p in policies for st in STAGES]
    labels = [f"{p}\n{st}" for p, st in cols]
    bottoms = np.zeros(len(cols))
    for move in MOVES:
        vals = []
        for p, st in cols:
            xs = [
                s[f"moves.{st}.{move}"] for s in scores if s["policy"] == p and s.get(f"moves.{st}.{move}") is not None
            ]
            vals.append(sum(xs) / len(xs) if xs else 0.0)
        ax.bar(range(len(cols)), vals, bottom=bottoms, label=move)
        bottoms += np.asarray(vals)
    ax.set_xticks(range(len(cols)), labels, fontsize=7)
    ax.set(ylabel="share of tutor moves", title="Move mix by dialogue stage", ylim=(0, 1.05))
    ax.legend(fontsize=7, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.22))
    return _save(fig, path)


def plot_leak_rate(table: list[dict], path: Path) -> Path:
    plt = _plt()
    rows = [r for r in table if r["metric"] == "leak" and r["mean"] is not None]
    fig, ax = plt.subplots(figsize=(5, 3.2))
    xs = range(len(rows))
    means = [r["mean"] for r in rows]
    err = [[r["mean"] - r["lo"] for r in rows], [r["hi"] - r["mean"] for r in rows]]
    ax.bar(xs, means, yerr=err, capsize=4, color="#c0504d")
    ax.set_xticks(list(xs), [r["group"] for r in rows])
    ax.set(ylabel="dialogues with a leak", ylim=(0, 1.05), title="Leak rate (95% bootstrap CI)")
    return _save(fig, path)


def plot_confusion(scores: list[dict], path: Path) -> Path:
    plt = _plt()
    pairs = Counter((s["diag_hidden"], s["diag_predicted"]) for s in scores if s.get("diag_hidden"))
    totals = Counter()
    for (h, _), c in pairs.items():
        totals[h] += c
    hidden = sorted(h for h, _ in totals.most_common(20))  # the 20 most frequent hidden misconceptions
    folded = Counter()
    for (h, p), c in pairs.items():
        if h in hidden:
            folded[(h, p if p in hidden or p == "none" else "other")] += c
    pairs = folded
    predicted = hidden + ["other", "none"]
    fig, ax = plt.subplots(figsize=(max(4, 0.5 * len(predicted) + 3), max(3, 0.35 * len(hidden) + 2)))
    if not hidden:
        ax.text(0.5, 0.5, "no hidden malgorithms in this run", ha="center", va="center")
        ax.axis("off")
        return _save(fig, path)
    grid = [[pairs.get((h, p), 0) for p in predicted] for h in hidden]
    ax.imshow(grid, cmap="Blues", aspect="auto")
    for i, row in enumerate(grid):
        for j, v in enumerate(row):
            if v:
                ax.text(j, i, str(v), ha="center", va="center", fontsize=7)
    short = [x[:28] for x in predicted]
    ax.set_xticks(range(len(predicted)), short, rotation=45, ha="right", fontsize=7)
    ax.set_yticks(range(len(hidden)), [x[:28] for x in hidden], fontsize=7)
    ax.set(xlabel="tutor's top diagnosis", ylabel="hidden malgorithm", title="Diagnosis confusion (all policies)")
    return _save(fig, path)


# ---------------------------------------------------------------- report


def build_report(run_dir: Path) -> Path:
    """Write report.json, metrics.csv, dialogues.csv, plots/ and report.html; return the HTML path."""
    run_dir = Path(run_dir)
    config = load_run_config(run_dir)
    metrics = json.loads((run_dir / "metrics.json").read_text(encoding="utf-8"))
    scores = load_scores(run_dir)
    table = metrics["metrics"]
    cfg = config.model_dump(mode="json")
    stamp = {
        "run": config.name,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "git_hash": git_hash(),
        "models": model_hashes(cfg),
        "n_dialogues": metrics["n_dialogues"],
        "wall_s_dialogues": round(sum(s.get("total_s") or 0.0 for s in scores), 2),
        "wall_s_generate": _generate_wall(run_dir),
    }
    plots_dir = run_dir / "plots"
    plots_dir.mkdir(exist_ok=True)
    paths = {
        "success_vs_turns": plot_success_vs_turns(scores, config.max_turns, plots_dir / "success_vs_turns.png"),
        "move_mix": plot_move_mix(scores, plots_dir / "move_mix.png"),
        "leak_rate": plot_leak_rate(table, plots_dir / "leak_rate.png"),
        "diagnosis_confusion": plot_confusion(scores, plots_dir / "diagnosis_confusion.png"),
    }
    write_json(
        run_dir / "report.json",
        {"stamp": stamp, "config": cfg, **metrics, "plots": {k: f"plots/{v.name}" for k, v in paths.items()}},
    )
    _write_csv(run_dir / "metrics.csv", table, ["group", "metric", "n", "mean", "lo", "hi", "higher_is_better"])
    _write_csv(run_dir / "dialogues.csv", scores, list(scores[0].keys()) if scores else [])
    out = run_dir / "report.html"
    out.write_text(_html(stamp, cfg, metrics, paths, run_dir), encoding="utf-8")
    return out


def _generate_wall(run_dir: Path) -> float | None:
    """Sum of the generate stage's wall times over all (resumed) invocations, if logged."""
    path = run_dir / "generate_log.jsonl"
    if not path.exists():
        return None
    return round(sum(json.loads(line)["wall_s"] for line in path.read_text().splitlines() if line.strip()), 2)


def _write_csv(path: Path, rows: list[dict], fields: list[str]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=fields, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def _fmt(row: dict | None) -> str:
    if not row or row["mean"] is None:
        return "–"
    return f"{row['mean']:.3f} <small>[{row['lo']:.3f}, {row['hi']:.3f}] n={row['n']}</small>"


def _html(stamp: dict, cfg: dict, metrics: dict, paths: dict[str, Path], run_dir: Path) -> str:
    e = html.escape
    table = metrics["metrics"]
    info = metrics.get("metric_info", {})
    groups = sorted({r["group"] for r in table})
    names = list(dict.fromkeys(r["metric"] for r in table))
    by = {(r["group"], r["metric"]): r for r in table}
    head = "".join(f"<th>{e(g)}</th>" for g in groups)
    body = []
    for name in names:
        hib = info.get(name, {}).get("higher_is_better")
        arrow = "↑" if hib else ("↓" if hib is False else "")
        desc = e(info.get(name, {}).get("description", ""))
        cells = "".join(f"<td>{_fmt(by.get((g, name)))}</td>" for g in groups)
        body.append(f"<tr><th title='{desc}'>{e(name)} {arrow}</th>{cells}</tr>")
    stamp_rows = "".join(
        f"<tr><th>{e(k)}</th><td>{e(json.dumps(v) if isinstance(v, dict) else str(v))}</td></tr>"
        for k, v in stamp.items()
    )
    imgs = "".join(
        f"<figure><img alt='{e(k)}' "
        f"src='data:image/png;base64,{base64.b64encode(p.read_bytes()).decode()}'><figcaption>{e(k)}</figcaption></figure>"
        for k, p in paths.items()
    )
    samples = _sample_transcripts(run_dir)
    validity = (
        "<ul>" + "".join(f"<li>{e(line)}</li>" for line in panel_lines(metrics["validity"])) + "</ul>"
        if "validity" in metrics
        else "<p>not computed (scored before the panel existed: rerun the score stage)</p>"
    )
    return f"""<!doctype html><html><head><meta charset="utf-8"><title>Evaluation {e(stamp["run"])}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em;max-width:1100px}}
table{{border-collapse:collapse;margin:1em 0}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:left;font-size:13px}}small{{color:#666}}
figure{{display:inline-block;margin:.5em}}img{{max-width:520px}}pre{{background:#f6f6f6;padding:1em;white-space:pre-wrap}}
.t{{color:#1f4e79}}.s{{color:#7f3f00}}.t,.s{{white-space:pre-wrap;margin:.2em 0}}</style></head><body>
<h1>Evaluation run: {e(stamp["run"])}</h1>
<h2>Stamp</h2><table>{stamp_rows}</table>
<h2>Metrics (mean [95% bootstrap CI] per policy; ↑ higher is better, ↓ lower is better)</h2>
<table><tr><th>metric</th>{head}</tr>{"".join(body)}</table>
<h2>Validity panel (can this run separate policies?)</h2>{validity}
<h2>Plots</h2>{imgs}
<h2>Sample transcripts</h2>{samples}
<h2>Config</h2><pre>{e(json.dumps(cfg, indent=2))}</pre>
</body></html>
"""


def _sample_transcripts(run_dir: Path, per_policy: int = 2) -> str:
    e = html.escape
    out, seen = [], Counter()
    for r in load_records(run_dir):
        if seen[r.policy] >= per_policy:
            continue
        seen[r.policy] += 1
        lines = "".join(
            f"<div class='{'t' if u.role == 'tutor' else 's'}'><b>{u.role} {u.turn}:</b> {e(u.text)}</div>"
            for u in r.transcript
        )
        summary = f"{e(r.policy)} · {e(r.problem_id)} · {e(r.persona_label)} · seed {r.seed} · {e(r.outcome.ended)}"
        out.append(f"<details><summary>{summary}</summary>{lines}</details>")
    return "".join(out)


def load_report(run_dir: Path) -> dict[str, Any]:
    """The metrics table and plot PNG paths of a reported run (for the app's Evaluate tab)."""
    run_dir = Path(run_dir)
    data = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    data["plots"] = {k: run_dir / v for k, v in data.get("plots", {}).items()}
    data["html"] = run_dir / "report.html"
    return data


def compare(run_a: Path, run_b: Path) -> str:
    """A text table: metric, group, A, B, delta (B - A), whether B is better, whether the CIs overlap."""
    a = json.loads((Path(run_a) / "metrics.json").read_text(encoding="utf-8"))
    b = json.loads((Path(run_b) / "metrics.json").read_text(encoding="utf-8"))
    ia = {(r["group"], r["metric"]): r for r in a["metrics"]}
    lines = [f"{'metric':<24} {'group':<10} {'A':>22} {'B':>22} {'delta':>8}  verdict"]
    for r in b["metrics"]:
        ra = ia.get((r["group"], r["metric"]))
        if ra is None or ra["mean"] is None or r["mean"] is None:
            continue
        delta = r["mean"] - ra["mean"]
        overlap = not (r["lo"] > ra["hi"] or r["hi"] < ra["lo"])
        hib = r.get("higher_is_better")
        if abs(delta) < 1e-12:
            verdict = "same"
        elif hib is None:
            verdict = "changed"
        else:
            verdict = "better" if (delta > 0) == hib else "worse"
        verdict += (
            " (CIs overlap)" if overlap and verdict != "same" else (" (CIs disjoint)" if verdict != "same" else "")
        )
        fa = f"{ra['mean']:.3f} [{ra['lo']:.2f},{ra['hi']:.2f}]"
        fb = f"{r['mean']:.3f} [{r['lo']:.2f},{r['hi']:.2f}]"
        lines.append(f"{r['metric']:<24} {r['group']:<10} {fa:>22} {fb:>22} {delta:>+8.3f}  {verdict}")
    return "\n".join(lines)
