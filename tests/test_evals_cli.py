"""`python -m evals run|score|report|compare` and the app's API, end to end on two starter problems (no model)."""

from __future__ import annotations

import json

from evals.__main__ import main
from evals.api import load_report, start_run
from evals.bench_evals import main as bench
from evals.config import PersonaSpec, ProblemSet, RunConfig


def test_cli_run_score_report_compare(tmp_path, capsys):
    out = tmp_path / "run"
    argv = [
        "run",
        "--problems",
        "starter",
        "--domain",
        "math",
        "--limit",
        "2",
        "--policies",
        "tree,telling",
        "--max-turns",
        "4",
        "--backend",
        "none",
        "--output-dir",
        str(out),
        "--no-progress",
    ]
    assert main(argv) == 0
    text = capsys.readouterr().out
    assert "4 dialogues" in text and "success@4" in text
    assert len((out / "records.jsonl").read_text().splitlines()) == 4
    assert main(argv) == 0  # resumed: nothing to generate, still scores and reports
    assert len((out / "records.jsonl").read_text().splitlines()) == 4
    assert main(["score", str(out)]) == 0
    assert main(["report", str(out)]) == 0
    assert (out / "report.html").exists()
    capsys.readouterr()
    assert main(["compare", str(out), str(out)]) == 0
    assert "same" in capsys.readouterr().out


def test_cli_reports_bad_config(tmp_path, capsys):
    assert main(["run", "--problems", "sdb:/does/not/exist", "--output-dir", str(tmp_path), "--no-progress"]) == 2
    assert "not found" in capsys.readouterr().err


def test_api_start_run_and_load_report(tmp_path):
    cfg = RunConfig(
        name="api",
        policies=["tree"],
        problems=[ProblemSet(source="starter", domain="code", limit=1)],
        personas=[PersonaSpec(use_problem_profile=False)],
        max_turns=6,
        output_dir=tmp_path / "api",
    )
    run_dir = start_run(cfg)
    report = load_report(run_dir)
    rows = {(r["group"], r["metric"]): r for r in report["metrics"]}
    assert rows[("tree", "success@6")]["n"] == 1
    assert report["stamp"]["n_dialogues"] == 1 and report["html"].exists()
    assert all(p.exists() for p in report["plots"].values())
    record = json.loads((run_dir / "records.jsonl").read_text().splitlines()[0])
    assert record["problem"]["domain"] == "code" and record["tutor_traces"]


def test_bench_evals_templates_only(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert (
        bench(
            [
                "--dialogues",
                "1",
                "--turns",
                "2",
                "--concurrency",
                "",
                "--skip-in-process",
                "--out",
                str(tmp_path / "b"),
                "--json",
                str(out),
            ]
        )
        == 0
    )
    result = json.loads(out.read_text())
    run = result["runs"]["templates"]
    assert run["dialogues"] == 1 and run["llm_phrased_turns"] == 0 and run["dialogues_per_hour"] > 0
