"""`python -m evals.bench_catalogue [--n 10000]`: listing the catalogue with 100 and with N stored problems.

The problems are a starter problem's content under new ids (valid, as an import leaves them), in a temporary SQLite
store; each figure is the best of three lists after a warm-up list. Issue 14's bound: N=10,000 must not make the list
100x slower than 100 (tests/test_app_limits.py checks the algorithmic part: one validation per stored problem).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import inference
from knowledge.bank import load_starter
from knowledge.embeddings import HashEmbedder
from settings import Settings
from ui import accounts, student
from ui.context import AppContext


def bulk_problems(store, n0: int, n1: int) -> None:
    """Stored valid problems t-bulk-<n> (a starter's content under new ids), as an import of that size leaves them."""
    base = load_starter()[1].model_dump(mode="json")
    with store.db.transaction():
        for n in range(n0, n1):
            pid = f"t-bulk-{n}"
            store.save_problem(
                {
                    **base,
                    "id": pid,
                    "title": f"Bulk {n}",
                    "source": "teacher",
                    "tree": {**base["tree"], "problem_id": pid} if base.get("tree") else None,
                    "malgorithms": [{**m, "problem_id": pid} for m in base.get("malgorithms", [])],
                },
                author_id=1,
            )


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m evals.bench_catalogue")
    p.add_argument("--n", type=int, default=10_000)
    n_max = p.parse_args(argv).n
    with tempfile.TemporaryDirectory() as tmp:
        ctx = AppContext(
            Settings(backend="none", data_dir=Path(tmp)), backend=inference.get_backend("none"), embedder=HashEmbedder()
        )
        tok, _ = accounts.create_first_teacher(ctx, "teach", "teachpass1")

        def best() -> float:
            student.catalogue(ctx, tok)
            times = []
            for _ in range(3):
                t0 = time.perf_counter()
                student.catalogue(ctx, tok)
                times.append(time.perf_counter() - t0)
            return min(times)

        bulk_problems(ctx.store, 0, 100)
        small = best()
        bulk_problems(ctx.store, 100, n_max)
        large = best()
        ctx.store.close()
    print(
        f"catalogue list: {small * 1000:.0f} ms with 100 stored problems, {large * 1000:.0f} ms with {n_max:,} "
        f"({large / small:.1f}x)"
    )


if __name__ == "__main__":
    main()
