"""`python -m evals.bench app --model M [--students 1,20]`: what a student waits for, turn by turn.

    python -m evals.bench app --model qwen2.5-coder-1.5b --students 1,20 --turns 3
    python -m evals.bench app --model qwen2.5-coder-1.5b --check-threads   # the in-app slowdown suspect

N simulated students at once, each replaying the real student turns of one MathDial validate dialogue through a
tutor session with the app's settings (tree policy, the measured-acceptance gate, the model wait budget) on the
one resident llama.cpp model. Per turn: the template path (the tutor's own work), the model's time to first
token, time to first visible text (at the reader), the whole reply, and the model time whose words did not reach
the student (wasted: the whole call when its sentence was rejected, nothing when it was shown — generation stops
at the sentence end, or at the first word no continuation can pass); the same by tokens (generated vs shown);
model calls per turn and prompt tokens per call (all, and read: not reused from llama.cpp's cache), from the call
log. The shared prompt prefix is read once before the levels (`voice.warm`; `--cold` skips it). For replies that
showed model words, the whole reply is compared with raw llama.cpp generating the same number of tokens for the
same prompt in the same process afterwards, from the same cache state (prefix read, the student's message not).
Goals (issue 12): wasted <= 20%; first visible <= 0.3 x whole reply when the model writes; whole <= 1.2 x raw;
p95 reply with 20 students <= 3 x the single student's p95 reply; 0 errors, 0 lost turns. This is the tutor's path,
not Gradio's (HTTP and Gradio queueing are measured by the app's load test).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from pathlib import Path
from typing import Any

from evals.bench_phrasing import DEFAULT_SOURCE, CallLog
from evals.replay import load_problems, message_of
from inference.llama import LlamaCppBackend
from knowledge.dialogues import read_source
from knowledge.embeddings import Embedder
from settings import apply_offline_env, settings_from_env
from tutor import TutorSession, TutorSettings, voice
from vocabulary import DEFAULT_MODEL


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evals.bench app", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=DEFAULT_MODEL)
    p.add_argument("--students", default="1,20", help="comma-separated concurrency levels")
    p.add_argument("--turns", type=int, default=3, help="student turns per simulated student")
    p.add_argument(
        "--dialogues",
        type=int,
        default=1,
        help="at the single-student level: this many different dialogues, one after the other (a larger sample)",
    )
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--source", default=DEFAULT_SOURCE)
    p.add_argument(
        "--llm-moves",
        choices=["measured", "all"],
        default="measured",
        help="measured: the app's gate (tutor/voice_measured.json); all: the model on every move",
    )
    p.add_argument("--wait-s", type=float, default=3.0, help="the model wait budget (TutorSettings.model_wait_s)")
    p.add_argument(
        "--check-threads",
        action="store_true",
        help="only: raw llama.cpp tok/s bare, beside a loaded embedder, and during embedding work",
    )
    p.add_argument(
        "--cold",
        action="store_true",
        help="do not read the revoice prompt's shared prefix first (voice.warm): the first call pays it",
    )
    p.add_argument("--json", dest="json_path", default=None)
    p.add_argument("--data-dir", default=None)
    return p


def _scripts(source: str, n: int, turns: int, first: int = 0) -> list[tuple[Any, list[str]]]:
    """`n` students' scripts: the real student turns of validate dialogues `first`, `first` + 1, ... (wrapping)."""
    problems = load_problems(source)
    ds = [d for d in read_source(source) if d.part == "validate" and d.problem_id in problems]
    return [
        (problems[d.problem_id], [message_of(t) for t in d.student_turns[:turns]])
        for d in (ds[(first + i) % len(ds)] for i in range(n))
    ]


def _student(
    backend: Any,
    problem: Any,
    messages: list[str],
    settings: Any,
    start: threading.Barrier,
    rows: list[dict[str, Any]],
    errors: list[str],
) -> None:
    session = TutorSession.start(problem, settings, backend)
    start.wait()
    for msg in messages:
        if session.done:
            break
        t0 = time.monotonic()
        first = None
        try:
            for _ in session.reply(msg):
                if first is None:
                    first = time.monotonic() - t0
        except Exception as exc:  # noqa: BLE001 - a benchmark counts errors instead of stopping
            errors.append(f"{type(exc).__name__}: {exc}")
            continue
        whole = time.monotonic() - t0
        t = session.last
        lat = t.latency_ms
        model = lat.get("llm", 0.0)
        shown = 0
        if t.used_llm and t.llm_text and t.llm_tokens:  # the model sentence the student saw (generation stops
            sentence = voice.first_sentence(t.llm_text)  # one token past its end)
            shown = min(t.llm_tokens, len(backend.llm.tokenize(sentence.encode("utf-8"), add_bos=False)))
        rows.append(
            {
                "student_message": msg,
                "kind": t.move_kind,
                "text": t.text,
                "job": t.voice,
                "used": t.used_llm,
                "rejected": t.llm_rejected,
                "note": t.voice_note,
                "template_ms": round(lat.get("total", 0.0) - model, 1),
                "model_ms": model,
                "ttft_ms": lat.get("llm_ttft"),
                "first_visible_ms": round((first or whole) * 1000, 1),
                # model work is a call that generated tokens (a call refused as busy only waited)
                "whole_ms": round(whole * 1000, 1),
                "tokens": t.llm_tokens,
                "tokens_shown": shown,
                "model_work_ms": model if t.llm_tokens else 0.0,
                "wasted_ms": 0.0 if t.used_llm or not t.llm_tokens else model,
                "lost": not t.text.strip(),
            }
        )


def _raw_ms(backend: LlamaCppBackend, student: str, tokens: int, settings: Any) -> float:
    """Raw llama.cpp generating `tokens` for the revoice prompt, from the cache state the tutor's call met: the
    shared prefix read, this student's message not (an untimed call for another message first). It holds the
    model's gate: two callers in one llama.cpp context at once abort the process."""
    llm = backend.llm
    with backend.gate.hold(None):
        for other in (voice.WARM_STUDENT, student):
            messages = [m.model_dump() for m in voice.revoice_messages(other)]
            start = time.monotonic()
            for _ in llm.create_chat_completion(
                messages=messages,
                stream=True,
                temperature=settings.temperature,
                seed=settings.seed,
                max_tokens=max(tokens, 1) if other == student else 1,
            ):
                pass
        return (time.monotonic() - start) * 1000


def _pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(q * len(s)))], 1)


def run_level(backend: Any, n: int, args: argparse.Namespace, settings: Any) -> dict[str, Any]:
    rounds = max(1, args.dialogues) if n == 1 else 1  # a single student: several dialogues in sequence
    batches = [_scripts(args.source, n, args.turns, first=k * n) for k in range(rounds)]
    rows: list[dict[str, Any]] = []
    errors: list[str] = []
    wall = time.monotonic()
    with CallLog() as calls:
        for scripts in batches:
            barrier = threading.Barrier(n)
            threads = [
                threading.Thread(target=_student, args=(backend, p, msgs, settings, barrier, rows, errors))
                for p, msgs in scripts
            ]
            for th in threads:
                th.start()
            for th in threads:
                th.join()
    wall = time.monotonic() - wall
    expected = sum(len(m) for scripts in batches for _, m in scripts)
    wrote = [r for r in rows if r["used"]]
    model_total = sum(r["model_work_ms"] for r in rows)
    generated = sum(r["tokens"] for r in rows)
    return {
        "students": n,
        "turns": len(rows),
        "expected_turns_at_most": expected,
        "errors": len(errors),
        "error_samples": errors[:3],
        "lost_turns": sum(r["lost"] for r in rows),
        "wall_s": round(wall, 1),
        **calls.prompt_figures(),
        "model_calls_per_turn": round(len(calls.calls) / len(rows), 2) if rows else None,
        "model_words_shown": len(wrote),
        "tokens_generated": generated,
        "tokens_shown": sum(r["tokens_shown"] for r in rows),
        "wasted_token_share": round(1 - sum(r["tokens_shown"] for r in rows) / generated, 3) if generated else None,
        "busy_fallbacks": sum(1 for r in rows if "busy" in r["note"]),
        "template_ms_p50": _pct([r["template_ms"] for r in rows], 0.5),
        "ttft_ms_p50": _pct([r["ttft_ms"] for r in rows if r["ttft_ms"] is not None], 0.5),
        "first_visible_ms_p50": _pct([r["first_visible_ms"] for r in rows], 0.5),
        "whole_ms_p50": _pct([r["whole_ms"] for r in rows], 0.5),
        "whole_ms_p95": _pct([r["whole_ms"] for r in rows], 0.95),
        "wasted_share": round(sum(r["wasted_ms"] for r in rows) / model_total, 3) if model_total else None,
        "first_over_whole_when_model_writes_max": round(max(r["first_visible_ms"] / r["whole_ms"] for r in wrote), 3)
        if wrote
        else None,
        "rows": rows,
    }


def load_ratio(levels: list[dict[str, Any]]) -> tuple[str, float] | None:
    """(what, ratio): the p95 reply at the last (most students) level over the first level's p95 reply. Like for
    like: with --dialogues the single-student median is a template turn, which says nothing of a model turn."""
    if len(levels) < 2 or not levels[0]["whole_ms_p95"] or levels[-1]["whole_ms_p95"] is None:
        return None
    first, last = levels[0], levels[-1]
    what = f"p95 reply at {last['students']} students / p95 reply at {first['students']} student(s)"
    return what, last["whole_ms_p95"] / first["whole_ms_p95"]


def check_threads(backend: Any, settings: Any, n_tokens: int = 48) -> dict[str, Any]:
    """Raw generation speed of the resident model: bare, after the embedder loaded and encoded, and while the
    embedder encodes on another thread (what the app's knowledge store does while students chat)."""
    llm = backend.llm
    messages = [m.model_dump() for m in voice.revoice_messages("I divided 28 by 2 and got 14 fish in each tank")]

    def speed() -> float:
        llm.reset()
        first, count = None, 0
        for _ in llm.create_chat_completion(
            messages=messages, stream=True, temperature=0.0, seed=0, max_tokens=n_tokens, stop=[]
        ):
            count += 1
            if first is None:
                first = time.monotonic()
        return round((count - 1) / (time.monotonic() - first), 1) if count > 1 and first else 0.0

    out = {"bare_tok_s": speed()}
    emb = Embedder()
    emb.encode(["warm up the embedder"] * 8)
    out["after_embedder_tok_s"] = speed()
    stop = threading.Event()

    def busy() -> None:
        while not stop.is_set():
            emb.encode(["a sentence about pencils and boxes"] * 16)

    worker = threading.Thread(target=busy, daemon=True)
    worker.start()
    out["during_embedding_tok_s"] = speed()
    stop.set()
    worker.join()
    import torch

    out["torch_threads"] = torch.get_num_threads()
    out["torch_interop_threads"] = torch.get_num_interop_threads()
    return out


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    args = build_parser().parse_args(argv)
    cache = settings_from_env(data_dir=args.data_dir).model_cache_dir
    backend = LlamaCppBackend(args.model, threads=args.threads, cache_dir=cache).load()
    settings = TutorSettings(classify_with_llm=False, llm_moves=args.llm_moves, model_wait_s=args.wait_s)
    if args.check_threads:
        result = check_threads(backend, settings)
        print(json.dumps(result))
        return 0
    if not args.cold:
        voice.warm(backend)  # the shared prefix read once, as after `voice.warm` at load (steady state)
    levels = [int(x) for x in args.students.split(",") if x.strip()]
    results = [run_level(backend, n, args, settings) for n in levels]
    raw: list[float] = []
    for r in results[:1]:  # raw llama.cpp for the same shown tokens, single-student replies only
        for row in r["rows"]:
            if row["used"]:
                raw_ms = _raw_ms(backend, row["student_message"], row["tokens"], settings)
                row["raw_ms"] = round(raw_ms, 1)
                raw.append(row["whole_ms"] / raw_ms)
    print(f"model {args.model}, threads {args.threads}, llm_moves {args.llm_moves}, wait budget {args.wait_s}s")
    cols = (
        "students",
        "turns",
        "errors",
        "lost_turns",
        "model_calls",
        "model_calls_per_turn",
        "calls_generating",
        "model_words_shown",
        "busy_fallbacks",
        "prompt_tokens_mean",
        "prompt_tokens_read_mean",
        "tokens_generated",
        "tokens_shown",
        "wasted_token_share",
        "template_ms_p50",
        "ttft_ms_p50",
        "first_visible_ms_p50",
        "whole_ms_p50",
        "whole_ms_p95",
        "wasted_share",
        "first_over_whole_when_model_writes_max",
    )
    for r in results:
        print("  " + ", ".join(f"{c}={r[c]}" for c in cols))
    if raw:
        print(
            f"  whole reply / raw llama.cpp for the same shown tokens (1 student): median "
            f"{statistics.median(raw):.2f}, max {max(raw):.2f} (n={len(raw)})"
        )
    if (scaling := load_ratio(results)) is not None:
        print(f"  {scaling[0]}: {scaling[1]:.2f}")
    if args.json_path:
        Path(args.json_path).write_text(json.dumps({"levels": results, "raw_ratios": raw}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
