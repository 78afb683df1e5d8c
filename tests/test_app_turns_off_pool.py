"""Forty students send code that sleeps (the real sandbox, a real app.py), half through the Gradio queue as the
browser does and half through the JSON API; meanwhile another student's math turn, once through each path, is
answered before the first sleeper finishes. The property is an order of events, not a time limit a loaded machine
could miss: with turns on the shared pools (40 threads, a 32-wide chat pool) the math turns queued behind the
sleepers and arrived after them. Along the way: runs past the sandbox slots show the queued notice, and a student's
second submission while the first runs is refused, not run."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest
from gradio_client import Client

from settings import Settings
from ui.context import AppContext
from ui.testing import api_login, running_server, seed_accounts

pytestmark = [pytest.mark.server, pytest.mark.slow]

N_UI, N_API = 20, 20
SLEEP_S = 4.0  # under the sandbox's wall timeout: each sleeper ends by itself
NOTICE = 3  # the notice among what the client gets of the send event (intro, strip, chat, notice, msg; no State)


def fenced(code: str) -> str:
    return f"Here is my code:\n```python\n{code}\n```"


def pick_problems(tmp_path: Path):
    catalogue = AppContext(
        Settings(backend="none", data_dir=tmp_path / "cat", database_url=f"sqlite:///{tmp_path / 'cat.db'}")
    )
    try:
        code = next(p for p in catalogue.problems() if p.domain == "code" and p.entry_point)
        math = next(p for p in catalogue.problems() if p.domain == "math")
    finally:
        catalogue.store.close()
    return code, math


def test_math_turns_are_answered_while_forty_sleepers_run(tmp_path):
    data = tmp_path / "data"
    ui_names = [f"ui{i}" for i in range(N_UI)] + ["mathui"]
    api_names = [f"api{i}" for i in range(N_API)] + ["mathapi"]
    seed_accounts(data, teachers=[("teach", "teachpass1")], students=[(n, f"{n}pass1") for n in ui_names + api_names])
    code, math = pick_problems(tmp_path)
    sleeper = fenced(
        f"def {code.entry_point}(*args, **kwargs):\n    import time\n    time.sleep({SLEEP_S})\n    return None"
    )
    with running_server(data) as srv:
        api = srv.url + "/api/v1"
        clients = {}
        for n in ui_names:
            clients[n] = c = Client(srv.url + "/", verbose=False, httpx_kwargs={"timeout": 300})
            c.predict(n, f"{n}pass1", api_name="/login")
            c.predict(code.id if n != "mathui" else math.id, api_name="/start_problem")
        heads, sids = {}, {}
        for n in api_names:
            heads[n] = api_login(srv.url, n, f"{n}pass1")
            r = httpx.post(
                api + "/sessions",
                json={"problem_id": code.id if n != "mathapi" else math.id},
                headers=heads[n],
                timeout=60,
            )
            sids[n] = r.json()["session_id"]

        done: dict[str, float] = {}
        notices: dict[str, list[str]] = {}
        t0 = time.monotonic()

        def by_ui(n: str) -> None:
            job = clients[n].submit(sleeper, api_name="/send")
            job.result()
            notices[n] = [str(out[NOTICE]) for out in job.outputs()]
            done[n] = time.monotonic() - t0

        def by_api(n: str) -> None:
            r = httpx.post(f"{api}/sessions/{sids[n]}/messages", json={"text": sleeper}, headers=heads[n], timeout=300)
            assert r.status_code == 200, r.text
            done[n] = time.monotonic() - t0

        threads = [threading.Thread(target=by_ui, args=(n,)) for n in ui_names[:-1]]
        threads += [threading.Thread(target=by_api, args=(n,)) for n in api_names[:-1]]
        for th in threads:
            th.start()
        time.sleep(1.5)  # every sleeper is in a sandbox or queued for one now

        t1 = time.monotonic()
        clients["mathui"].predict("is it 2?", api_name="/send")
        ui_s, ui_done = time.monotonic() - t1, time.monotonic() - t0
        t2 = time.monotonic()
        r = httpx.post(
            f"{api}/sessions/{sids['mathapi']}/messages",
            json={"text": "is it 2?"},
            headers=heads["mathapi"],
            timeout=300,
        )
        api_s, api_done = time.monotonic() - t2, time.monotonic() - t0
        waiting = next(n for n in api_names[:-1] if n not in done)  # its first submission is still in flight
        try:  # a second submission while the first still runs
            again = httpx.post(
                f"{api}/sessions/{sids[waiting]}/messages", json={"text": sleeper}, headers=heads[waiting], timeout=30
            )
        except httpx.TimeoutException:
            again = None
        for th in threads:
            th.join(timeout=600)
        assert r.status_code == 200 and r.json()["messages"][-1]["role"] == "assistant"
        turns = {
            n: httpx.get(f"{api}/sessions/{sids[n]}", headers=heads[n], timeout=60).json()["messages"]
            for n in api_names[:-1]
        }
    first, last = min(done.values()), max(done.values())
    print(
        f"math turn beside {N_UI + N_API} sleepers: UI {ui_s:.2f} s, API {api_s:.2f} s; sleepers done between "
        f"{first:.1f} s and {last:.1f} s (each sleeps {SLEEP_S} s)"
    )
    assert ui_done < first, f"the UI math turn took {ui_s:.1f} s and came after the first sleeper ({first:.1f} s)"
    assert api_done < first, f"the API math turn took {api_s:.1f} s and came after the first sleeper ({first:.1f} s)"
    assert len(done) == N_UI + N_API and all(len(m) == 3 for m in turns.values())  # every sleeper was answered
    assert again is not None and again.status_code == 400 and "still running" in again.json()["error"]
    assert sum(any("queued" in x for x in notes) for notes in notices.values()) >= 1  # past the slots: told so
