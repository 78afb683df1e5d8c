"""`python -m evals.bench phrasing --model M`: can this model do the tutor's phrasing job? Measured before use.

    python -m evals.bench phrasing --model qwen2.5-coder-1.5b [--job revoice|rewrite] [--pairs 36] [--write]

A fixed set of (plan, student message) pairs from replayed dev dialogues: the real student turns of MathDial
dialogues (`--part validate` by default: the prompt was not tuned on it), in file order, at most `--per-dialogue`
turns each, fed to a fresh tree-policy session whose model gets the job on every move kind (`llm_moves=all`).
The plans do not depend on the model (structure decides), so every model sees the same pairs. Per move kind:
acceptance (the model's text passed the job's checks and the leak guard and was shown), the share of accepted
texts that differ from the template, the added latency (model time per reply), and a sample table.
`--write` records the figures with their provenance in tutor/voice_measured.json, which the app reads: it calls
the model only for move kinds measured at >= 60% on >= 5 pairs (tutor.voice.may_voice).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import inference
from evals.replay import load_problems, message_of, write_atomic
from evals.report import git_hash
from knowledge.dialogues import read_source
from settings import apply_offline_env, settings_from_env
from tutor import TutorSession, TutorSettings
from tutor.voice import ACCEPT_AT, MEASURED_PATH, MIN_MEASURED
from vocabulary import DEFAULT_MODEL

DEFAULT_SOURCE = "mathdial:../shared/data/mathdial/dev.jsonl"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evals.bench phrasing", description=__doc__.split("\n\n")[0])
    p.add_argument("--model", default=DEFAULT_MODEL, help="registered model name or .gguf path")
    p.add_argument("--backend", default="llama_cpp")
    p.add_argument("--job", choices=["revoice", "rewrite"], default="revoice")
    p.add_argument("--source", default=DEFAULT_SOURCE)
    p.add_argument("--part", choices=["fit", "validate", "all"], default="validate")
    p.add_argument("--pairs", type=int, default=36)
    p.add_argument("--per-dialogue", type=int, default=3)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--sample", type=int, default=12, help="rows in the sample table")
    p.add_argument("--json", dest="json_path", default=None, help="write every pair and the figures here")
    p.add_argument("--write", action="store_true", help="record the acceptance in tutor/voice_measured.json")
    p.add_argument("--data-dir", default=None)
    return p


def pairs_and_traces(backend: Any, args: argparse.Namespace) -> list[dict[str, Any]]:
    """Replay the dialogues with the model voicing every move; one row per student turn (the fixed pairs)."""
    dialogues = [d for d in read_source(args.source) if args.part == "all" or d.part == args.part]
    problems = load_problems(args.source)
    settings = TutorSettings(
        policy="tree", max_turns=10_000, classify_with_llm=False, voice=args.job, llm_moves="all", model_wait_s=None
    )
    rows: list[dict[str, Any]] = []
    for d in dialogues:
        problem = problems.get(d.problem_id)
        if problem is None:
            continue
        session = TutorSession.start(problem, settings, backend)
        for turn in d.student_turns[: args.per_dialogue]:
            if session.done or len(rows) >= args.pairs:
                break
            start = time.monotonic()
            shown = "".join(session.reply(message_of(turn)))
            whole = time.monotonic() - start
            t = session.last
            assert t is not None
            rows.append(
                {
                    "dialogue_id": d.id,
                    "turn": turn.student_turn,
                    "kind": t.move_kind,
                    "student": t.student_message,
                    "template": t.template_text,
                    "shown": shown,
                    "model_text": t.llm_text,
                    "job": t.voice,
                    "accepted": t.used_llm,
                    "differs": t.used_llm and shown.strip() != t.template_text.strip(),
                    "rejected": t.llm_rejected,
                    "leak": t.guard.leaks,
                    "model_ms": t.latency_ms.get("llm"),
                    "ttft_ms": t.latency_ms.get("llm_ttft"),
                    "first_visible_ms": t.latency_ms.get("first_visible"),
                    "reply_ms": round(whole * 1000, 1),
                    "tokens": t.llm_tokens,
                    "note": t.voice_note,
                }
            )
        if len(rows) >= args.pairs:
            break
    return rows


class CallLog(logging.Handler):
    """Collects the tutor's model calls from the one call log (`inference.calls`) while open (a context manager)."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.calls: list[dict[str, Any]] = []
        self._log = logging.getLogger("inference.calls")

    def emit(self, record: logging.LogRecord) -> None:
        call = getattr(record, "model_call", None)
        if call and call.get("actor") == "tutor":
            self.calls.append(call)

    def __enter__(self) -> CallLog:
        self._log.addHandler(self)
        self._log.setLevel(logging.INFO)
        return self

    def __exit__(self, *_: object) -> None:
        self._log.removeHandler(self)

    def prompt_figures(self) -> dict[str, Any]:
        """Calls, mean prompt tokens, and mean prompt tokens read (not reused from the backend's cache)."""
        read = [c for c in self.calls if c.get("prompt_tokens")]
        return {
            "model_calls": len(self.calls),
            "calls_generating": sum(1 for c in self.calls if c.get("completion_tokens")),
            "prompt_tokens_mean": round(statistics.mean(c["prompt_tokens"] for c in read), 1) if read else None,
            "prompt_tokens_read_mean": round(
                statistics.mean(c["prompt_tokens"] - c.get("cached_tokens", 0) for c in read), 1
            )
            if read
            else None,
        }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 1) if values else None


def _p90(values: list[float]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    return round(s[min(len(s) - 1, int(0.9 * len(s)))], 1)


def figures(rows: list[dict[str, Any]]) -> dict[str, Any]:
    by_kind: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        if r["job"]:
            by_kind[r["kind"]].append(r)
    kinds = {}
    for kind, rs in sorted(by_kind.items()):
        acc = [r for r in rs if r["accepted"]]
        model = [r["model_ms"] for r in rs if r["model_ms"] is not None]
        kinds[kind] = {
            "n": len(rs),
            "accepted": len(acc),
            "acceptance": round(len(acc) / len(rs), 3),
            "differs_share": round(sum(r["differs"] for r in acc) / len(acc), 3) if acc else None,
            "added_ms_median": _median(model),
            "added_ms_p90": _p90(model),
            "reasons": dict(Counter(_reason(r["rejected"]) for r in rs if not r["accepted"])),
        }
    called = [r for r in rows if r["job"]]
    accepted = [r for r in called if r["accepted"]]
    generated = sum(r["tokens"] or 0 for r in called)
    wasted = sum(r["tokens"] or 0 for r in called if not r["accepted"])
    return {
        "tokens_generated": generated,
        "tokens_of_rejected_texts": wasted,
        "wasted_token_share": round(wasted / generated, 3) if generated else None,
        "pairs": len(rows),
        "called": len(called),
        "acceptance": round(len(accepted) / len(called), 3) if called else None,
        "differs_share": round(sum(r["differs"] for r in accepted) / len(accepted), 3) if accepted else None,
        "leaks_stopped": sum(1 for r in called if r["leak"]),
        "added_ms_median": _median([r["model_ms"] for r in called if r["model_ms"] is not None]),
        "kinds": kinds,
    }


def _reason(why: str | None) -> str:
    if not why:
        return "none"
    return why.split(":")[0].split("(")[0].strip()


def _cell(text: str | None, width: int) -> str:
    t = " ".join((text or "").split()).replace("|", "/")
    return t if len(t) <= width else t[: width - 1] + "…"


def table(rows: list[dict[str, Any]], n: int) -> str:
    """A readable sample: accepted and rejected pairs alternating, first of each kind first."""
    acc = [r for r in rows if r["job"] and r["accepted"]]
    rej = [r for r in rows if r["job"] and not r["accepted"]]
    picked: list[dict[str, Any]] = []
    while len(picked) < n and (acc or rej):
        for pool in (acc, rej):
            if pool and len(picked) < n:
                picked.append(pool.pop(0))
    lines = ["| kind | student | model's sentence | shown / why not |", "|---|---|---|---|"]
    for r in picked:
        outcome = _cell(r["shown"], 90) if r["accepted"] else f"template ({_cell(r['rejected'], 60)})"
        lines.append(f"| {r['kind']} | {_cell(r['student'], 50)} | {_cell(r['model_text'], 70)} | {outcome} |")
    return "\n".join(lines)


def write_measured(model: str, job: str, result: dict[str, Any], provenance: dict[str, Any]) -> Path:
    data = json.loads(MEASURED_PATH.read_text(encoding="utf-8")) if MEASURED_PATH.exists() else {}
    data["about"] = (
        "Measured acceptance of the tutor's model phrasing job by model and move kind, written by "
        "`python -m evals.bench phrasing --write`. The app calls the model for a move kind only when "
        f"acceptance >= {ACCEPT_AT} on n >= {MIN_MEASURED} (tutor.voice.may_voice)."
    )
    kinds = {
        k: {key: v[key] for key in ("n", "accepted", "acceptance", "differs_share", "added_ms_median")}
        for k, v in result["kinds"].items()
    }
    data.setdefault("models", {}).setdefault(model, {})[job] = {"kinds": kinds, "provenance": provenance}
    return write_atomic(MEASURED_PATH, data)


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    args = build_parser().parse_args(argv)
    kwargs: dict[str, Any] = {"model": args.model}
    if args.backend == "llama_cpp":
        kwargs.update(threads=args.threads, cache_dir=settings_from_env(data_dir=args.data_dir).model_cache_dir)
    backend = inference.get_backend(args.backend, **kwargs)
    if hasattr(backend, "load"):
        backend.load()
    start = time.monotonic()
    with CallLog() as calls:
        rows = pairs_and_traces(backend, args)
    result = figures(rows)
    result.update(calls.prompt_figures())
    wall = time.monotonic() - start
    print(
        f"model {args.model}, job {args.job}, {result['pairs']} pairs from {args.source} ({args.part}), "
        f"threads {args.threads}, {wall:.0f}s"
    )
    print(
        f"acceptance {result['acceptance']} of {result['called']} model texts; accepted texts differing from the "
        f"template {result['differs_share']}; leaks stopped {result['leaks_stopped']}; "
        f"added model time median {result['added_ms_median']} ms"
    )
    print(
        f"model calls {result['model_calls']}, prompt tokens mean {result['prompt_tokens_mean']} (read, not "
        f"cached: {result['prompt_tokens_read_mean']}); tokens generated {result['tokens_generated']}, of rejected "
        f"texts {result['tokens_of_rejected_texts']} (wasted share {result['wasted_token_share']})"
    )
    print(f"{'kind':<12} {'n':>3} {'accept':>7} {'differs':>8} {'added ms p50':>12} {'p90':>7}  reasons rejected")
    for kind, k in result["kinds"].items():
        print(
            f"{kind:<12} {k['n']:>3} {k['acceptance']:>7.2f} {str(k['differs_share']):>8} "
            f"{str(k['added_ms_median']):>12} {str(k['added_ms_p90']):>7}  {k['reasons']}"
        )
    print()
    print(table(rows, args.sample))
    provenance = {
        "command": "python -m evals.bench phrasing " + " ".join(argv if argv is not None else sys.argv[1:]),
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "git": git_hash(),
        "source": args.source,
        "part": args.part,
        "pairs": result["pairs"],
        "per_dialogue": args.per_dialogue,
        "threads": args.threads,
        "wall_s": round(wall, 1),
    }
    if args.json_path:
        Path(args.json_path).write_text(
            json.dumps({"figures": result, "provenance": provenance, "rows": rows}, indent=1, ensure_ascii=False)
        )
    if args.write:
        print(f"\nwrote {write_measured(args.model, args.job, result, provenance)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
