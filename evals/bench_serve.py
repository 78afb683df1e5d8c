"""`python -m evals.bench serve [--students 20] [--turns 3] [--via gradio,api]`: what concurrent students wait for
through the real server.

Starts the app (backend `none`: templates, so the figures are the serving path, not a model) in a subprocess on a
loopback port, signs up N students in one class, and has each start a math problem and send `--turns` messages at
once, either through the Gradio queue (gradio_client: log in, start, send — what the browser does) or through the
JSON API. Reports per-turn latency (p50, p95, max), errors and turns lost (sent but not recorded).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from store import connect
from ui.testing import api_login, running_server

_SETUP = threading.Lock()
MESSAGES = ["I don't know where to start", "is it 2?", "I'm stuck", "maybe 12", "is it 3.5?"]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m evals.bench serve", description=__doc__.split("\n\n")[0])
    p.add_argument("--students", type=int, default=20)
    p.add_argument("--turns", type=int, default=3)
    p.add_argument("--via", default="gradio,api", help="comma-separated: gradio, api")
    p.add_argument("--json", dest="json_path", default=None)
    return p


def _pct(xs: list[float], q: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q * (len(xs) - 1))))] if xs else float("nan")


def _gradio_student(url: str, name: str, pid: str, turns: int, out: dict[str, Any], go: threading.Barrier) -> None:
    from gradio_client import Client

    with _SETUP:  # clients connect one at a time (not timed): 20 at once time out fetching the app's config
        client = Client(url + "/", verbose=False, httpx_kwargs={"timeout": 120})
    client.predict(name, f"{name}pass1", api_name="/login")
    client.predict(pid, api_name="/start_problem")
    go.wait()
    for text in MESSAGES[:turns]:
        t0 = time.monotonic()
        client.submit(text, api_name="/send").result()
        out["latency"].append(time.monotonic() - t0)


def _api_student(url: str, name: str, pid: str, turns: int, out: dict[str, Any], go: threading.Barrier) -> None:
    h = api_login(url, name, f"{name}pass1")
    api = url + "/api/v1"
    sid = httpx.post(api + "/sessions", json={"problem_id": pid}, headers=h, timeout=120).json()["session_id"]
    go.wait()
    for text in MESSAGES[:turns]:
        t0 = time.monotonic()
        httpx.post(api + f"/sessions/{sid}/messages", json={"text": text}, headers=h, timeout=120).raise_for_status()
        out["latency"].append(time.monotonic() - t0)


def run_via(url: str, via: str, names: list[str], pid: str, turns: int) -> dict[str, Any]:
    out: dict[str, Any] = {"latency": [], "errors": []}
    go = threading.Barrier(len(names))
    fn = _gradio_student if via == "gradio" else _api_student

    def one(name: str) -> None:
        try:
            fn(url, name, pid, turns, out, go)
        except Exception as exc:  # a failed student is a figure, not a crash of the benchmark
            out["errors"].append(f"{name}: {type(exc).__name__}: {exc}"[:200])
            go.abort()

    threads = [threading.Thread(target=one, args=(n,)) for n in names]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    lat = out["latency"]
    return {
        "via": via,
        "students": len(names),
        "turns": len(lat),
        "errors": len(out["errors"]),
        "error_sample": out["errors"][:3],
        "p50_s": round(_pct(lat, 0.5), 3),
        "p95_s": round(_pct(lat, 0.95), 3),
        "max_s": round(max(lat), 3) if lat else None,
        "mean_s": round(statistics.mean(lat), 3) if lat else None,
    }


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    data = Path(tempfile.mkdtemp(prefix="bench-serve-"))
    store = connect(f"sqlite:///{data / 'tutor.db'}")
    t = store.create_user("teach", "teachpass1", "teacher")
    klass = store.create_class(t.id, "Bench")
    vias = [v.strip() for v in args.via.split(",") if v.strip()]
    names = {v: [f"{v}{i}" for i in range(args.students)] for v in vias}
    for group in names.values():
        for n in group:
            store.join_class(store.create_user(n, f"{n}pass1", "student").id, klass.join_code)
    store.close()
    rows = []
    with running_server(data) as srv:
        h = api_login(srv.url, names[vias[0]][0], f"{names[vias[0]][0]}pass1")
        pid = httpx.get(srv.url + "/api/v1/problems?domain=math", headers=h, timeout=60).json()[0]["id"]
        for via in vias:
            rows.append(run_via(srv.url, via, names[via], pid, args.turns))
            print(json.dumps(rows[-1]), flush=True)
        n_turns = {v: 0 for v in vias}
        check = connect(f"sqlite:///{data / 'tutor.db'}")
        for s in check.list_sessions():
            student_turns = [x for x in check.turns(s.id) if x.role == "student"]
            tutor_turns = [x for x in check.turns(s.id) if x.role == "tutor"]
            via = next((v for v in vias if s.student_id in {check.user_by_name(n).id for n in names[v]}), None)
            if via:
                n_turns[via] += min(len(student_turns), len(tutor_turns) - 1)
        check.close()
    for row in rows:
        row["lost_turns"] = row["turns"] - n_turns[row["via"]]
        print(
            f"{row['via']:>7}: {row['students']} students x {args.turns} turns  p50 {row['p50_s']:.2f} s  "
            f"p95 {row['p95_s']:.2f} s  max {row['max_s']} s  errors {row['errors']}  lost {row['lost_turns']}"
        )
    if args.json_path:
        Path(args.json_path).write_text(json.dumps(rows, indent=2))
    return 0
