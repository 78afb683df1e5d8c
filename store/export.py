"""Export sessions with their turns and annotations as CSV (one row per turn) or JSONL (one line per session).

Exports are read by teachers: control characters in them are marked (`store.visible_controls`)."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable
from typing import Literal, TextIO

from store.store import Store
from store.types import TutoringSession
from store.visible import visible_controls

CSV_COLUMNS = [
    "session_id",
    "student",
    "class_id",
    "problem_id",
    "policy",
    "model",
    "outcome",
    "started_at",
    "ended_at",
    "turn_id",
    "idx",
    "role",
    "text",
    "move",
    "node_id",
    "reason",
    "diagnosis",
    "guard_leaks",
    "latency_ms",
    "flagged",
    "comments",
]


def export_sessions(store: Store, sessions: Iterable[TutoringSession], fmt: Literal["csv", "jsonl"]) -> str:
    out = io.StringIO()
    write_sessions(store, sessions, fmt, out)
    return out.getvalue()


def write_sessions(store: Store, sessions: Iterable[TutoringSession], fmt: Literal["csv", "jsonl"], out: TextIO) -> int:
    """Write the sessions to `out` one at a time (an export of any size holds one session in memory). Returns how
    many were written."""
    if fmt == "csv":
        return _csv(store, sessions, out)
    if fmt == "jsonl":
        return _jsonl(store, sessions, out)
    raise ValueError(f"unknown export format {fmt!r}; use csv or jsonl")


def _csv(store: Store, sessions: Iterable[TutoringSession], out: TextIO) -> int:
    n = 0
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for s in sessions:
        n += 1
        notes: dict[int, list] = {}
        for a in store.annotations(s.id):
            notes.setdefault(a.turn_id, []).append(a)
        for t in store.turns(s.id):
            trace = t.trace or {}
            diag = trace.get("diagnosis") or []
            writer.writerow(
                visible_controls(
                    {
                        "session_id": s.id,
                        "student": s.student_name,
                        "class_id": s.class_id or "",
                        "problem_id": s.problem_id,
                        "policy": s.policy,
                        "model": s.model,
                        "outcome": s.outcome,
                        "started_at": s.started_at,
                        "ended_at": s.ended_at or "",
                        "turn_id": t.id,
                        "idx": t.idx,
                        "role": t.role,
                        "text": t.text,
                        "move": t.move or "",
                        "node_id": trace.get("node_id") or "",
                        "reason": trace.get("reason") or "",
                        "diagnosis": "; ".join(str(d.get("label", d)) if isinstance(d, dict) else str(d) for d in diag),
                        "guard_leaks": "" if t.guard is None else int(bool(t.guard.get("leaks"))),
                        "latency_ms": "" if t.latency_ms is None else round(t.latency_ms, 1),
                        "flagged": int(any(a.flag for a in notes.get(t.id, []))),
                        "comments": " | ".join(a.comment for a in notes.get(t.id, []) if a.comment),
                    }
                )
            )
    return n


def _jsonl(store: Store, sessions: Iterable[TutoringSession], out: TextIO) -> int:
    n = 0
    for s in sessions:
        n += 1
        record = s.model_dump(mode="json")
        record["turns"] = [t.model_dump(mode="json") for t in store.turns(s.id)]
        record["annotations"] = [a.model_dump(mode="json") for a in store.annotations(s.id)]
        out.write(json.dumps(visible_controls(record), ensure_ascii=False) + "\n")
    return n
