"""Authorization through the HTTP APIs of a running app (JSON API and Gradio's own endpoints)."""

from __future__ import annotations

import httpx
import pytest

from ui.testing import api_login, running_server, seed_accounts
from ui.throttle import MAX_FAILURES

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("authz")
    seed_accounts(
        data,
        teachers=[("teach1", "teachpass1"), ("teach2", "teachpass2")],
        students=[("alice", "alicepass1"), ("bob", "bobpass1")],
    )
    with running_server(data) as server:
        yield server


def test_tokens_roles_and_ownership(app):
    url = app.url + "/api/v1"
    alice, bob = api_login(app.url, "alice", "alicepass1"), api_login(app.url, "bob", "bobpass1")
    t1, t2 = api_login(app.url, "teach1", "teachpass1"), api_login(app.url, "teach2", "teachpass2")
    assert httpx.post(url + "/login", json={"username": "alice", "password": "nope"}).status_code == 401
    pid = httpx.get(url + "/problems", headers=alice).json()[0]["id"]
    sess = httpx.post(url + "/sessions", json={"problem_id": pid}, headers=alice, timeout=60).json()
    sid = sess["session_id"]
    # no or forged token: 401
    assert httpx.get(url + f"/sessions/{sid}").status_code == 401
    assert httpx.get(url + f"/sessions/{sid}", headers={"Authorization": "Bearer forged"}).status_code == 401
    # a student reads only their own sessions
    assert httpx.get(url + f"/sessions/{sid}", headers=alice).status_code == 200
    assert httpx.get(url + f"/sessions/{sid}", headers=bob).status_code == 403
    assert httpx.post(url + f"/sessions/{sid}/messages", json={"text": "4"}, headers=bob).status_code == 403
    assert [s["id"] for s in httpx.get(url + "/sessions", headers=bob).json()] == []
    # students cannot call teacher endpoints
    for path in ("/teacher/transcripts", "/teacher/export?format=csv", "/teacher/mastery"):
        assert httpx.get(url + path, headers=alice).status_code == 403, path
    assert (
        httpx.post(
            url + "/teacher/annotations", json={"session_id": sid, "turn_idx": 0, "flag": True}, headers=alice
        ).status_code
        == 403
    )
    # teachers see their own classes only
    assert httpx.get(url + f"/sessions/{sid}", headers=t1).status_code == 200
    assert httpx.get(url + f"/sessions/{sid}", headers=t2).status_code == 403
    assert [s["id"] for s in httpx.get(url + "/teacher/transcripts", headers=t1).json()] == [sid]
    assert httpx.get(url + "/teacher/transcripts", headers=t2).json() == []
    assert (
        httpx.post(
            url + "/teacher/annotations", json={"session_id": sid, "turn_idx": 0, "flag": True}, headers=t2
        ).status_code
        == 403
    )
    assert (
        httpx.post(
            url + "/teacher/annotations", json={"session_id": sid, "turn_idx": 0, "flag": True}, headers=t1
        ).status_code
        == 200
    )
    csv_text = httpx.get(url + "/teacher/export?format=csv", headers=t1).text
    assert csv_text.startswith("session_id,") and str(sid) in csv_text


def test_gradio_endpoints_check_the_session_token(app):
    """Calling the UI's teacher endpoints through Gradio's API without logging in fails on the server."""
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    client = Client(app.url + "/", verbose=False)
    api = client.view_api(print_info=False, return_format="dict")
    names = set(api["named_endpoints"])
    assert {"/teacher_transcripts", "/teacher_export", "/send"} <= names
    with pytest.raises(AppError, match="log in"):
        client.predict("all", "all", "all", "all", False, "", "", api_name="/teacher_transcripts")
    with pytest.raises(AppError, match="log in"):
        client.predict("csv", "all", "all", "all", "all", False, "", "", api_name="/teacher_export")


def test_gradio_login_is_throttled_per_client_too(app):
    """The UI's login passes the client's address: guesses across many accounts from one address are stopped,
    as they are on the JSON API. (Last in this module: it leaves 127.0.0.1 throttled.)"""
    from gradio_client import Client

    client = Client(app.url + "/", verbose=False)

    def message(username: str, password: str) -> str:
        return str(client.predict(username, password, api_name="/login"))  # the outputs, the login message among them

    answers = [message(f"nobody{n}", "guessing1") for n in range(MAX_FAILURES + 1)]  # a new account each time
    assert "Wrong username or password" in answers[0]
    assert "Too many failed attempts" in answers[-1]  # (the module's earlier wrong login counts too)
