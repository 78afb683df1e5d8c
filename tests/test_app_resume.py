"""Kill -9 the app mid-dialogue: every completed turn is in the SQLite file and the student resumes the session."""

from __future__ import annotations

import httpx
import pytest

from store import connect
from ui.testing import api_login, running_server, start_server

pytestmark = [pytest.mark.server, pytest.mark.slow]


def test_kill_and_resume(tmp_path):
    data = tmp_path / "data"
    store = connect(f"sqlite:///{data / 'tutor.db'}")
    store.create_user("stud", "studpass1", "student")
    store.close()

    server = start_server(data)
    try:
        h = api_login(server.url, "stud", "studpass1")
        api = server.url + "/api/v1"
        pid = httpx.get(api + "/problems?domain=math", headers=h).json()[0]["id"]
        sid = httpx.post(api + "/sessions", json={"problem_id": pid}, headers=h, timeout=60).json()["session_id"]
        last = None
        for text in ("I don't know where to start", "is it 2?"):
            last = httpx.post(api + f"/sessions/{sid}/messages", json={"text": text}, headers=h, timeout=60).json()
        shown_before = [m["content"] for m in last["messages"]]
        progress_before = last["progress"]
    finally:
        server.kill9()  # no shutdown hooks, no flush: what is on disk is what survived

    rows = connect(f"sqlite:///{data / 'tutor.db'}").turns(sid)
    assert [t.role for t in rows] == ["tutor", "student", "tutor", "student", "tutor"]
    assert [t.text for t in rows] == shown_before
    assert all(t.trace for t in rows[2::2])

    with running_server(data) as again:
        h = api_login(again.url, "stud", "studpass1")  # tokens survive too, but a fresh login is what a student does
        api = again.url + "/api/v1"
        assert [s["id"] for s in httpx.get(api + "/sessions", headers=h).json()] == [sid]
        resumed = httpx.get(api + f"/sessions/{sid}", headers=h, timeout=60).json()
        assert [m["content"] for m in resumed["messages"]] == shown_before
        assert resumed["progress"] == progress_before  # the tutor's state was rebuilt by replaying the student turns
        after = httpx.post(api + f"/sessions/{sid}/messages", json={"text": "I'm stuck"}, headers=h, timeout=60)
        assert after.status_code == 200
        assert len(after.json()["messages"]) == len(shown_before) + 2
