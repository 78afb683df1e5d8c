"""Score stage, report files (JSON, CSV, self-contained HTML, plots), load_report and compare, from hand-made
records."""

from __future__ import annotations

import csv
import json
import re

from evals.api import load_report
from evals.config import RunConfig
from evals.records import RecordFile, write_json
from evals.report import build_report, compare, git_hash, model_hashes
from evals.runner import records_path
from evals.score import score_run
from tests.test_evals_helpers import record


def _run(tmp_path, name: str, tree_solved: list[int | None]) -> RunConfig:
    cfg = RunConfig(name=name, policies=["tree", "telling"], max_turns=6, output_dir=tmp_path / name, bootstrap=200)
    write_json(cfg.run_dir / "config.json", cfg.model_dump(mode="json"))
    store = RecordFile(records_path(cfg.run_dir))
    for i, t in enumerate(tree_solved):
        student = ["I got 7"] + ["hmm"] * 5
        if t is not None:
            student[t] = "so it is 12"
        store.append(
            record(
                ["hi"] + ["Which operation fits 'in each box'?"] * 6,
                student[: (t or 5) + 1],
                solved_turn=t,
                key=f"tree-{i}",
                diagnoses=[["t-apples-m0" if i % 2 else "t-apples-m1"]],
                mastery=0.8,
            )
        )
        store.append(
            record(
                ["hi", "The answer is 12.", "ok"],
                ["I got 7", "12"],
                policy="telling",
                solved_turn=1,
                moves=["telling", "generic"],
                key=f"telling-{i}",
            )
        )
    return cfg


def test_score_and_report(tmp_path):
    cfg = _run(tmp_path, "a", [2, 3, None, 1])
    result = score_run(cfg.run_dir)
    table = {(r["group"], r["metric"]): r for r in result["metrics"]}
    assert result["n_dialogues"] == 8
    assert table[("tree", "success@6")]["mean"] == 0.75
    assert table[("tree", "leak")]["mean"] == 0.0 and table[("telling", "leak")]["mean"] == 1.0
    assert table[("telling", "telling@6")]["mean"] == 1.0 and table[("tree", "telling@6")]["mean"] == 0.0
    assert table[("tree", "diagnosis_accuracy")]["mean"] == 0.5
    assert table[("tree", "success@6")]["lo"] <= 0.75 <= table[("tree", "success@6")]["hi"]

    html_path = build_report(cfg.run_dir)
    html = html_path.read_text()
    assert "<img" in html and "data:image/png;base64," in html
    assert not re.search(r"""(src|href)=["']https?://""", html)  # self-contained
    assert git_hash() in html and "success@6" in html
    report = json.loads((cfg.run_dir / "report.json").read_text())
    assert report["stamp"]["git_hash"] == git_hash() and report["stamp"]["date"]
    assert report["config"]["name"] == "a"
    with (cfg.run_dir / "metrics.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {"group", "metric", "mean", "lo", "hi"} <= set(rows[0])
    loaded = load_report(cfg.run_dir)
    assert set(loaded["plots"]) == {"success_vs_turns", "move_mix", "leak_rate", "diagnosis_confusion"}
    for path in loaded["plots"].values():
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scores_are_reproducible(tmp_path):
    cfg = _run(tmp_path, "a", [2, None, 1])
    first = score_run(cfg.run_dir)
    assert score_run(cfg.run_dir) == first  # seeded bootstrap


def test_compare_reports_deltas_and_direction(tmp_path):
    a = _run(tmp_path, "a", [None, None, None, 1])
    b = _run(tmp_path, "b", [1, 2, 2, 1])
    score_run(a.run_dir)
    score_run(b.run_dir)
    out = compare(a.run_dir, b.run_dir)
    line = next(ln for ln in out.splitlines() if ln.startswith("success@6") and " tree " in ln)
    assert "+0.750" in line and "better" in line
    ttl = next(ln for ln in out.splitlines() if ln.startswith("telling@6") and " telling " in ln)
    assert "same" in ttl


def test_model_hashes_use_the_registry():
    cfg = {
        "tutor": {"backend": "llama_cpp", "model": "qwen2.5-coder-0.5b"},
        "student": {"backend": "none", "model": ""},
        "judge": {"enabled": False},
    }
    hashes = model_hashes(cfg)
    assert hashes["tutor"].endswith("1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32")
    assert hashes["student"] == "none (no model)" and "judge" not in hashes
