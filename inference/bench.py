"""Inference benchmark (not a timed test): our llama_cpp backend vs raw llama-cpp-python, turn by turn.

    python -m evals.bench inference [--model NAME] [--turns 10] [--threads 1] [--max-tokens 48] [--repeats 1]

A realistic tutor prompt (system prompt + problem + question tree, ~800 tokens of stable prefix) is followed by
short student turns appended one at a time, each with the model's previous replies in the history. For every turn
it measures time to first token (TTFT), decode tokens/s and total time through our backend and through a raw
`llama_cpp.Llama` (its own instance, same file and parameters) in the same run, alternating which goes first.
Goals: total-time ratio ours/raw <= 1.05, and turn-10 TTFT within 1.2x of turn 2 (prefix reuse works).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from inference.base import Message, Options
from inference.llama import LlamaCppBackend, new_llama
from inference.models import TEST_MODEL
from inference.prompts import BENCH_PROBLEM, BENCH_SYSTEM, BENCH_TREE, BENCH_TURNS
from settings import apply_offline_env, settings_from_env


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evals.bench inference", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=TEST_MODEL, help="registered model name or .gguf path")
    p.add_argument("--turns", type=int, default=10)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--context-size", type=int, default=4096)
    p.add_argument("--max-tokens", type=int, default=48)
    p.add_argument("--repeats", type=int, default=1, help="run the dialogue N times (cold each time); medians")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--extra-buffers", action="store_true", help="enable llama.cpp AMX/repack buffers (both sides)")
    p.add_argument("--json", dest="json_path", default=None, help="also write the figures to this JSON file")
    p.add_argument("--data-dir", default=None)
    return p


def prefix_messages() -> list[Message]:
    return [Message(role="system", content=f"{BENCH_SYSTEM}\n\n{BENCH_PROBLEM}\n\n{BENCH_TREE}")]


def _turn_text(i: int) -> str:
    return BENCH_TURNS[i % len(BENCH_TURNS)]


def _measure_raw(llm: Any, messages: list[Message], options: Options) -> dict[str, Any]:
    start = time.perf_counter()
    ttft = None
    parts: list[str] = []
    for chunk in llm.create_chat_completion(
        messages=[m.model_dump() for m in messages],
        stream=True,
        temperature=options.temperature,
        top_p=options.top_p,
        max_tokens=options.max_tokens,
        seed=options.seed,
    ):
        text = chunk["choices"][0].get("delta", {}).get("content")
        if text:
            if ttft is None:
                ttft = time.perf_counter() - start
            parts.append(text)
    return _figures(start, ttft, "".join(parts), len(parts))


def _measure_ours(backend: Any, messages: list[Message], options: Options) -> dict[str, Any]:
    start = time.perf_counter()
    ttft = None
    stream = backend.stream(messages, options)
    for _ in stream:
        if ttft is None:
            ttft = time.perf_counter() - start
    completion = stream.completion
    return _figures(start, ttft, completion.text, completion.usage.completion_tokens)


def _figures(start: float, ttft: float | None, text: str, tokens: int) -> dict[str, Any]:
    total = time.perf_counter() - start
    ttft = total if ttft is None else ttft
    rate = (tokens - 1) / (total - ttft) if tokens > 1 and total > ttft else 0.0
    return {"ttft": ttft, "total": total, "tokens": tokens, "tok_s": rate, "text": text}


def run_dialogue(ours: Any, raw: Any, turns: int, options: Options) -> list[dict[str, Any]]:
    prefix = prefix_messages()
    hist_ours: list[Message] = []
    hist_raw: list[Message] = []
    rows = []
    for i in range(turns):
        user = Message(role="user", content=_turn_text(i))
        hist_ours.append(user)
        hist_raw.append(user)
        if i % 2 == 0:
            a = _measure_ours(ours, prefix + hist_ours, options)
            b = _measure_raw(raw, prefix + hist_raw, options)
        else:
            b = _measure_raw(raw, prefix + hist_raw, options)
            a = _measure_ours(ours, prefix + hist_ours, options)
        hist_ours.append(Message(role="assistant", content=a["text"]))
        hist_raw.append(Message(role="assistant", content=b["text"]))
        rows.append({"turn": i + 1, "ours": a, "raw": b})
    return rows


def _median_rows(runs: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    out = []
    for i in range(len(runs[0])):
        row: dict[str, Any] = {"turn": i + 1}
        for side in ("ours", "raw"):
            row[side] = {
                k: statistics.median(r[i][side][k] for r in runs) for k in ("ttft", "total", "tokens", "tok_s")
            }
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    args = build_parser().parse_args(argv)
    cache_dir = settings_from_env(data_dir=args.data_dir).model_cache_dir
    ours = LlamaCppBackend(
        args.model,
        threads=args.threads,
        context_size=args.context_size,
        cache_dir=cache_dir,
        extra_buffers=args.extra_buffers,
    ).load()
    raw = new_llama(
        ours.path,
        extra_buffers=args.extra_buffers,
        n_ctx=args.context_size,
        n_threads=args.threads or None,
        n_threads_batch=args.threads or None,
        n_gpu_layers=-1,
        verbose=False,
    )
    prefix_tokens = len(raw.tokenize(prefix_messages()[0].content.encode("utf-8"), add_bos=False))
    options = Options(temperature=0.0, max_tokens=args.max_tokens, seed=args.seed, actor="bench")
    print(
        f"model {args.model} ({ours.path.name}), threads {args.threads}, prefix ~{prefix_tokens} tokens, "
        f"{args.turns} turns, max_tokens {args.max_tokens}, repeats {args.repeats}"
    )
    # Warm both instances once (first-eval allocations, weight pages) so turn 1 compares like with like.
    warm = [Message(role="user", content="Hi")]
    _measure_ours(ours, warm, options.model_copy(update={"max_tokens": 2}))
    _measure_raw(raw, warm, options.model_copy(update={"max_tokens": 2}))
    runs = []
    for _ in range(max(args.repeats, 1)):
        ours.llm.reset()
        raw.reset()
        runs.append(run_dialogue(ours, raw, args.turns, options))
    rows = _median_rows(runs)

    print(
        f"{'turn':>4} | {'TTFT ours':>9} {'raw':>7} | {'tok/s ours':>10} {'raw':>6} | {'total ours':>10} {'raw':>7}"
        f" | {'ratio':>5}"
    )
    for r in rows:
        o, w = r["ours"], r["raw"]
        print(
            f"{r['turn']:>4} | {o['ttft']:>8.3f}s {w['ttft']:>6.3f}s | {o['tok_s']:>10.1f} {w['tok_s']:>6.1f} | "
            f"{o['total']:>9.3f}s {w['total']:>6.3f}s | {o['total'] / w['total']:>5.2f}"
        )
    total_ours = sum(r["ours"]["total"] for r in rows)
    total_raw = sum(r["raw"]["total"] for r in rows)
    ratio = total_ours / total_raw
    warm_ratio = sum(r["ours"]["total"] for r in rows[1:]) / max(sum(r["raw"]["total"] for r in rows[1:]), 1e-9)
    ttft_ratio_ours = ttft_ratio_raw = None
    if len(rows) >= 10:
        ttft_ratio_ours = rows[9]["ours"]["ttft"] / rows[1]["ours"]["ttft"]
        ttft_ratio_raw = rows[9]["raw"]["ttft"] / rows[1]["raw"]["ttft"]
    print(
        f"ratio ours/raw (total time over all turns): {ratio:.3f}  (goal <= 1.05: "
        f"{'PASS' if ratio <= 1.05 else 'MISS'})"
    )
    if len(rows) > 1:
        print(f"ratio ours/raw over turns 2-{len(rows)} (prefix cached): {warm_ratio:.3f}")
    if ttft_ratio_ours is not None:
        print(
            f"TTFT turn 10 / turn 2: ours {ttft_ratio_ours:.2f}, raw {ttft_ratio_raw:.2f}  "
            f"(goal <= 1.2: {'PASS' if ttft_ratio_ours <= 1.2 else 'MISS'})"
        )
    print(f"turn 1 TTFT (cold prefix): ours {rows[0]['ours']['ttft']:.3f}s, raw {rows[0]['raw']['ttft']:.3f}s")
    if args.json_path:
        result = {
            "model": args.model,
            "threads": args.threads,
            "prefix_tokens": prefix_tokens,
            "rows": rows,
            "ratio": ratio,
            "ratio_turns_2_on": warm_ratio,
            "ttft_turn10_over_turn2": ttft_ratio_ours,
        }
        Path(args.json_path).write_text(json.dumps(result, indent=2))
    raw.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
