"""`python -m evals.bench knowledge [--malgorithms 10000] [--queries 200] [--import-sample 30] [--json OUT]`.

Measures (1) diagnosis query latency p50/p95 against a Chroma store holding N malgorithms (MathDial's real ones plus a
synthetic fill: copies of them with changed numbers, embedded as the real vector plus small noise, so the index has
realistic geometry without embedding 10k texts), split into: the store query + ranking with a known query vector,
end to end with the student text encoded by MiniLM, and the in-memory `knowledge.diagnose`; (2) import throughput:
MathDial and SDB parsing (records/s) and writing problems into the store with the real embedder (problems/s).
Goal: diagnosis p95 <= 20 ms.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.diagnosis import diagnose
from knowledge.embeddings import default_embedder
from knowledge.importers import import_mathdial, import_sdb
from knowledge.io import print_json
from knowledge.store import KnowledgeStore
from knowledge.types import Malgorithm
from settings import apply_offline_env

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def _summary(ms: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(_pct(ms, 0.5), 2),
        "p95_ms": round(_pct(ms, 0.95), 2),
        "mean_ms": round(statistics.fmean(ms), 2),
        "n": len(ms),
    }


class _LookupEmbedder:
    """Real vectors for known texts; for synthetic variants the base text's vector plus small noise."""

    def __init__(self, base: dict[str, np.ndarray], real: Any, seed: int = 0) -> None:
        self.base, self.real, self.rng = base, real, np.random.default_rng(seed)

    def encode(self, texts: list[str]) -> np.ndarray:
        roots = [t.split(" \u27e8v")[0] for t in texts]
        missing = [r for r in dict.fromkeys(roots) if r not in self.base]
        if missing:
            self.base.update(zip(missing, self.real.encode(missing), strict=True))
        out = []
        for t, root in zip(texts, roots, strict=True):
            v = self.base[root]
            if root != t:
                v = v + self.rng.normal(0, 0.02, v.shape).astype(np.float32)
                v = v / np.linalg.norm(v)
            out.append(v)
        return np.stack(out).astype(np.float32)


def _timed(fn: Any, *args: Any) -> tuple[Any, float]:
    """(fn(*args), seconds it took)."""
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def _synthetic(problems: list[Any], target: int, per_problem: int = 5) -> list[Any]:
    rng = random.Random(0)
    pool = [m for p in problems for m in p.malgorithms]
    have = len(pool)
    out = []
    k = 0
    while have < target:
        src = problems[k % len(problems)]
        pid = f"synthetic-{k:05d}"
        ms = []
        for j in range(min(per_problem, target - have)):
            m = rng.choice(pool)
            shift = rng.randint(1, 50)
            ms.append(
                Malgorithm(
                    id=f"{pid}-m{j}",
                    problem_id=pid,
                    label=m.label + f" \u27e8v{k}.{j}\u27e9",
                    wrong_solution=m.wrong_solution + f" \u27e8v{k}.{j}\u27e9",
                    step=min(m.step or 0, len(src.steps) - 1),
                    step_values={i: v + shift for i, v in m.step_values.items() if i < len(src.steps)},
                    wrong_answer=(m.wrong_answer or 0) + shift,
                )
            )
        out.append(src.model_copy(update={"id": pid, "malgorithms": ms, "tree": None, "source": "synthetic"}))
        have += len(ms)
        k += 1
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.bench knowledge", description=__doc__.split("\n\n")[0])
    parser.add_argument("--malgorithms", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--import-sample", type=int, default=30, help="MathDial problems written with the real embedder"
    )
    parser.add_argument("--mathdial", type=Path, default=DATA / "mathdial" / "dev.jsonl")
    parser.add_argument("--sdb", type=Path, default=DATA / "socratic-debugging")
    parser.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = parser.parse_args(argv)

    apply_offline_env()
    results: dict[str, Any] = {"goal_p95_ms": 20.0}
    report, dt = _timed(import_mathdial, args.mathdial)
    results["import_mathdial_parse"] = {
        "records": report.records,
        "seconds": round(dt, 3),
        "records_per_s": round(report.records / dt, 1),
    }
    if args.sdb.is_dir():
        sdb, dt = _timed(import_sdb, args.sdb)
        results["import_sdb_parse_and_verify"] = {
            "files": sdb.records,
            "seconds": round(dt, 3),
            "files_per_s": round(sdb.records / dt, 1),
        }
    real = default_embedder()
    real.encode(["warm up"])
    problems = report.problems
    with tempfile.TemporaryDirectory() as tmp:
        sample = problems[: args.import_sample]
        store = KnowledgeStore(Path(tmp) / "real")
        t = time.perf_counter()
        store.upsert(sample)
        dt = time.perf_counter() - t
        t = time.perf_counter()
        store.upsert(sample)
        again = time.perf_counter() - t
        results["import_store_write_real_embedder"] = {
            "problems": len(sample),
            "seconds": round(dt, 2),
            "problems_per_s": round(len(sample) / dt, 2),
            "reimport_seconds": round(again, 2),
        }

        base: dict[str, np.ndarray] = {}
        lookup = _LookupEmbedder(base, real)
        fill = _synthetic(problems, args.malgorithms)
        big = KnowledgeStore(Path(tmp) / "big", embedder=lookup)
        t = time.perf_counter()
        allp = problems + fill
        for i in range(0, len(allp), 200):
            big.upsert(allp[i : i + 200])
        results["fill"] = {
            "problems": len(allp),
            "malgorithms": sum(len(p.malgorithms) for p in allp),
            "chroma_rows": big.count("malgorithms"),
            "seconds": round(time.perf_counter() - t, 1),
        }

        rng = random.Random(1)
        rows = [(p, m) for p in problems for m in p.malgorithms]
        queries = []
        for _ in range(args.queries):
            p, m = rng.choice(rows)
            text = m.wrong_solution.splitlines()[0] + f" so I got {rng.choice([m.wrong_answer, 7, 13])}"
            queries.append((p, text))
        vectors = {text: real.encode([text])[0] for _, text in queries}

        class _Known:
            def encode(self, texts: list[str]) -> np.ndarray:
                return np.stack([vectors[t] for t in texts])

        big.embedder = _Known()
        store_ms, e2e_ms = [], []
        for p, text in queries:
            t = time.perf_counter()
            big.diagnose(p.id, text)
            store_ms.append((time.perf_counter() - t) * 1000)
        big.embedder = real
        for i, (p, text) in enumerate(queries):
            text = f"{text} (query {i})"  # never cached
            t = time.perf_counter()
            big.diagnose(p.id, text)
            e2e_ms.append((time.perf_counter() - t) * 1000)
        encode_ms, cold_ms, warm_ms = [], [], []
        for i, (_p, text) in enumerate(queries):
            text = f"{text} [encode {i}]"
            t = time.perf_counter()
            real.encode([text])
            encode_ms.append((time.perf_counter() - t) * 1000)
        seen: set[str] = set()
        for i, (p, text) in enumerate(queries):
            text = f"{text} [mem {i}]"
            t = time.perf_counter()
            diagnose(p, text, embedder=real)
            (warm_ms if p.id in seen else cold_ms).append((time.perf_counter() - t) * 1000)
            seen.add(p.id)
        for i, (p, text) in enumerate(queries):
            text = f"{text} [warm {i}]"
            t = time.perf_counter()
            diagnose(p, text, embedder=real)
            warm_ms.append((time.perf_counter() - t) * 1000)
        across_ms = []
        for _p, text in queries[: max(20, args.queries // 4)]:
            t = time.perf_counter()
            big.diagnose("", text + " across", k=10)
            across_ms.append((time.perf_counter() - t) * 1000)
        results["diagnose_store_query_and_rank"] = _summary(store_ms)
        results["diagnose_store_end_to_end_with_encoding"] = _summary(e2e_ms)
        results["minilm_encode_one_message"] = _summary(encode_ms)
        results["diagnose_in_memory_first_call_per_problem"] = _summary(cold_ms)
        results["diagnose_in_memory_warm"] = _summary(warm_ms)
        results["diagnose_store_across_all_problems"] = _summary(across_ms)
    results["meets_goal_store_query"] = results["diagnose_store_query_and_rank"]["p95_ms"] <= 20.0
    results["meets_goal_end_to_end"] = results["diagnose_store_end_to_end_with_encoding"]["p95_ms"] <= 20.0
    print_json(results, args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
