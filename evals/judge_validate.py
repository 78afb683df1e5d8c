"""Validate the LLM judge against MRBench's human labels: accuracy and Cohen's kappa per dimension.

    python -m evals.judge_validate ../shared/data/mrbench/dev.json --backend llama_cpp --model smollm2-135m --limit 20

Each (conversation, tutor response) pair with human labels is one item. Invalid judge outputs count as
disagreements and are reported. A majority-label baseline is printed for context: a judge that does not beat
it, or whose kappa is near 0, is at chance and its numbers should not be trusted.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from errors import ConfigError, RecoverableError, exit_code
from evals.config import RoleConfig
from evals.judge import DIMENSIONS, MRBENCH_KEYS, MRBENCH_LABELS, judge_reply
from evals.runner import make_backend
from inference.models import TEST_MODEL
from settings import apply_offline_env, settings_from_env


def load_items(path: Path, limit: int | None = None) -> list[dict[str, Any]]:
    """Flatten MRBench conversations into items: conversation, solution, response, human labels (our names)."""
    if not path.exists():
        raise ConfigError(f"MRBench file not found: {path}")
    data = json.loads(path.read_text(encoding="utf-8"))
    items = []
    for conv in data:
        for tutor_name, resp in sorted((conv.get("anno_llm_responses") or {}).items()):
            labels = {}
            for key, dim in MRBENCH_KEYS.items():
                raw = (resp.get("annotation") or {}).get(key)
                if raw in MRBENCH_LABELS:
                    labels[dim] = MRBENCH_LABELS[raw]
            if not labels or not resp.get("response"):
                continue
            items.append(
                {
                    "id": f"{conv.get('conversation_id')}#{tutor_name}",
                    "conversation": conv.get("conversation_history", ""),
                    "solution": conv.get("Ground_Truth_Solution", ""),
                    "response": resp["response"],
                    "human": labels,
                }
            )
            if limit is not None and len(items) >= limit:
                return items
    return items


def cohen_kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa of two label lists of equal length; 0.0 when agreement by chance is total."""
    n = len(a)
    if n == 0:
        return 0.0
    po = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    pe = sum(ca[c] * cb[c] for c in set(ca) | set(cb)) / (n * n)
    if pe >= 1.0:
        return 1.0 if po == 1.0 else 0.0
    return (po - pe) / (1 - pe)


def agreement(items: list[dict[str, Any]], verdicts: list[dict[str, str] | None]) -> dict[str, dict[str, float]]:
    """Per dimension: n, accuracy, kappa, and the majority-label baseline accuracy. None verdicts -> 'invalid'."""
    out = {}
    for dim in DIMENSIONS:
        pairs = [
            (it["human"][dim], (v or {}).get(dim, "invalid"))
            for it, v in zip(items, verdicts, strict=True)
            if dim in it["human"]
        ]
        human = [h for h, _ in pairs]
        judged = [j for _, j in pairs]
        majority = Counter(human).most_common(1)[0][1] / len(human) if human else 0.0
        out[dim] = {
            "n": len(pairs),
            "accuracy": sum(h == j for h, j in pairs) / len(pairs) if pairs else 0.0,
            "kappa": cohen_kappa(human, judged),
            "majority_baseline": majority,
        }
    return out


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    p = argparse.ArgumentParser(prog="python -m evals.judge_validate", description=__doc__.split("\n\n")[0])
    p.add_argument("path", type=Path)
    p.add_argument("--backend", default="llama_cpp")
    p.add_argument("--model", default=TEST_MODEL)
    p.add_argument("--base-url", default="")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", type=Path, help="also write the result as JSON here")
    args = p.parse_args(argv)
    try:
        items = load_items(args.path, args.limit)
        backend = make_backend(
            RoleConfig(backend=args.backend, model=args.model, base_url=args.base_url, threads=args.threads),
            settings_from_env(),
        )
        t0 = time.perf_counter()
        verdicts = []
        for it in items:
            v = judge_reply(backend, it["conversation"], it["response"], it["solution"])
            verdicts.append(v.model_dump() if v else None)
        wall = time.perf_counter() - t0
    except RecoverableError as exc:
        return exit_code(exc)
    result = agreement(items, verdicts)
    invalid = sum(v is None for v in verdicts)
    print(f"judge {args.backend}:{args.model} on {len(items)} MRBench items ({invalid} invalid outputs), {wall:.1f} s")
    print(f"{'dimension':<24}{'n':>5}{'accuracy':>10}{'kappa':>8}{'majority':>10}")
    for dim, r in result.items():
        print(f"{dim:<24}{r['n']:>5}{r['accuracy']:>10.3f}{r['kappa']:>8.3f}{r['majority_baseline']:>10.3f}")
    mean_kappa = sum(r["kappa"] for r in result.values()) / len(result)
    print(f"mean kappa {mean_kappa:.3f}" + ("  -> near chance: do not trust this judge" if mean_kappa < 0.2 else ""))
    if args.json:
        args.json.write_text(
            json.dumps({"items": len(items), "invalid": invalid, "wall_s": wall, "dimensions": result}, indent=2)
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
