"""`python -m evals.bench evals`: simulated dialogues per hour with an LLM phrasing the tutor, in process and
against a local llama.cpp server at several concurrency levels.

    python -m evals.bench_evals --model qwen2.5-coder-0.5b --dialogues 4 --turns 10 --concurrency 1,2,4

Problems are the starter bank's (cycled), the student phrases with templates (backend none), so the figure is
the tutor's cost. Dialogues that end early (student solved) are also reported as tutor turns per hour and
"ten-turn equivalents" (tutor turns / 10). The server is `python -m inference.serve` on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from evals.config import PersonaSpec, ProblemSet, RoleConfig, RunConfig
from evals.problems import load_problems
from evals.records import RecordFile
from evals.runner import generate, make_backend, records_path, run_dialogue
from settings import apply_offline_env


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _measure(config: RunConfig, problems: list, backends: dict | None = None) -> dict[str, Any]:
    t0 = time.perf_counter()
    generate(config, problems=problems, backends=backends, progress=False)
    wall = time.perf_counter() - t0
    records = RecordFile(records_path(config.run_dir)).read()
    turns = sum(r.outcome.turns for r in records)
    llm_turns = sum(1 for r in records for t in r.tutor_traces if t.used_llm)
    llm_calls = sum(1 for r in records for t in r.tutor_traces if "llm" in t.latency_ms)
    return {
        "dialogues": len(records),
        "tutor_turns": turns,
        "llm_phrased_turns": llm_turns,
        "llm_calls": llm_calls,
        "wall_s": round(wall, 2),
        "dialogues_per_hour": round(3600 * len(records) / wall, 1) if wall else None,
        "ten_turn_dialogues_per_hour": round(3600 * turns / 10 / wall, 1) if wall else None,
        "errors": sum(r.outcome.ended == "error" for r in records),
    }


def _config(name: str, out: Path, n: int, turns: int, tutor: RoleConfig, concurrency: int = 1) -> RunConfig:
    return RunConfig(
        name=name,
        policies=["tree"],
        problems=[ProblemSet(source="starter", limit=n)],
        personas=[PersonaSpec(use_problem_profile=False)],
        max_turns=turns,
        tutor=tutor,
        student=RoleConfig(),
        concurrency=concurrency,
        output_dir=out / name,
        bootstrap=0,
    )


def _start_server(model: str, port: int, threads: int, parallel: int) -> subprocess.Popen:
    cmd = [
        sys.executable,
        "-m",
        "inference.serve",
        "--model",
        model,
        "--model_alias",
        model,
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        str(threads),
        "--n_ctx",
        "4096",
        "--interrupt_requests",
        "False",
    ]  # default True: a new request cancels the running one
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
    deadline = time.time() + 180
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"llama.cpp server exited with {proc.returncode}: {' '.join(cmd)}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2):
                return proc
        except OSError:
            time.sleep(1)
    proc.terminate()
    raise RuntimeError("llama.cpp server did not come up within 180 s")


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    p = argparse.ArgumentParser(prog="python -m evals.bench evals", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default="qwen2.5-coder-0.5b")
    p.add_argument("--dialogues", type=int, default=4, help="dialogues per measurement")
    p.add_argument("--turns", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--concurrency", default="1,2,4", help="levels against the server; empty: skip the server")
    p.add_argument("--skip-in-process", action="store_true")
    p.add_argument("--out", type=Path, default=Path("/tmp/evals-bench"))
    p.add_argument("--json", type=Path, help="write results here as JSON")
    args = p.parse_args(argv)
    shutil.rmtree(args.out, ignore_errors=True)  # a benchmark always starts from nothing (no resumed dialogues)
    problems = load_problems(_config("p", args.out, args.dialogues, args.turns, RoleConfig()))
    all_problems, problems = problems, problems[: args.dialogues]
    repeats = -(-args.dialogues // len(problems))  # more dialogues than problems: several students per problem
    results: dict[str, Any] = {"model": args.model, "turns": args.turns, "threads": args.threads, "runs": {}}

    def run(name: str, tutor: RoleConfig, conc: int = 1, backends: dict | None = None) -> None:
        cfg = _config(name, args.out, len(problems), args.turns, tutor, conc)
        cfg = cfg.model_copy(update={"seeds": list(range(repeats))})
        res = _measure(cfg, problems, backends)
        results["runs"][name] = res
        print(
            f"{name:<22} {res['dialogues']:>3} dialogues {res['tutor_turns']:>4} tutor turns "
            f"({res['llm_calls']} LLM calls, {res['llm_phrased_turns']} shown) {res['wall_s']:>8.1f} s  "
            f"{res['dialogues_per_hour']:>7} dlg/h  "
            f"{res['ten_turn_dialogues_per_hour']:>7} ten-turn dlg/h",
            flush=True,
        )

    # Warm-up outside the timings: imports, the simulator's embedder, the sandbox.
    run_dialogue(problems[0], "tree", PersonaSpec(use_problem_profile=False), 0, max_turns=1)
    run("templates", RoleConfig())
    if not args.skip_in_process:
        run("in_process", RoleConfig(backend="llama_cpp", model=args.model, threads=args.threads))
    levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    if levels:
        port = _free_port()
        proc = _start_server(args.model, port, args.threads, max(levels))
        try:
            tutor = RoleConfig(backend="openai", model=args.model, base_url=f"http://127.0.0.1:{port}/v1")
            # Warm the server (first prompt, allocations) outside the timings, on a problem not measured.
            spare = all_problems[len(problems)] if len(all_problems) > len(problems) else problems[0]
            run_dialogue(
                spare, "tree", PersonaSpec(use_problem_profile=False), 0, max_turns=1, tutor_backend=make_backend(tutor)
            )
            for c in levels:
                run(f"server_c{c}", tutor, c)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        base = results["runs"].get("server_c1", {}).get("wall_s")
        for c in levels:
            w = results["runs"][f"server_c{c}"]["wall_s"]
            results["runs"][f"server_c{c}"]["speedup_vs_c1"] = round(base / w, 2) if base and w else None
            print(f"server concurrency {c}: speed-up vs 1 = {results['runs'][f'server_c{c}']['speedup_vs_c1']}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
