"""The holes around student code (issue 14, item 3), probed through a running app's HTTP routes."""

from __future__ import annotations

import json
import os
import time

import httpx
import pytest

from ui import web
from ui.testing import api_login, running_server, seed_accounts

pytestmark = [pytest.mark.server, pytest.mark.slow]


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    data = tmp_path_factory.mktemp("hardening")
    klass = seed_accounts(
        data, teachers=[("teach1", "teachpass1"), ("teach2", "teachpass2")], students=[("alice", "alicepass1")]
    )
    with running_server(data) as server:
        server.data = data
        server.t1_id = klass.teacher_id
        yield server


def cookie_for(app, headers: dict[str, str]) -> dict[str, str]:
    r = httpx.post(app.url + "/api/v1/browser-session", headers=headers)
    assert (
        r.status_code == 200
        and "httponly" in r.headers["set-cookie"].lower()
        and "samesite=strict" in r.headers["set-cookie"].lower()
    )
    return {web.COOKIE: r.cookies[web.COOKIE]}


def test_exports_and_uploads_need_the_teachers_login(app):
    t1, t2, alice = (
        api_login(app.url, *c) for c in (("teach1", "teachpass1"), ("teach2", "teachpass2"), ("alice", "alicepass1"))
    )
    # an export file on disk (as the UI writes it) is not served without its teacher's login
    exports = app.data / "exports"
    exports.mkdir(exist_ok=True)
    leaked = exports / f"{web.export_name(app.t1_id)}probe.csv"
    leaked.write_text("session_id,secret\n")
    url = f"{app.url}/gradio_api/file={leaked}"
    assert httpx.get(url).status_code == 401  # no login
    assert httpx.get(url, cookies=cookie_for(app, alice)).status_code == 401  # a student
    assert httpx.get(url, cookies=cookie_for(app, t2)).status_code == 403
    assert (
        "secret" not in httpx.get(url, cookies=cookie_for(app, t1)).text
    )  # only Gradio's own copy is served, never the folder
    assert (
        httpx.get(f"{app.url}/gradio_api/file=http://example.com/x.png", cookies=cookie_for(app, t1)).status_code == 403
    )
    leaked.unlink()
    # an export answered through the API leaves no file behind
    assert httpx.get(app.url + "/api/v1/teacher/export?format=csv", headers=t1).text.startswith("session_id,")
    assert not list(exports.iterdir())
    # uploads: refused without a teacher's login, accepted with one
    files = {"files": ("p.json", b"[]", "application/json")}
    assert httpx.post(app.url + "/gradio_api/upload", files=files).status_code == 401
    assert httpx.post(app.url + "/gradio_api/upload", files=files, cookies=cookie_for(app, alice)).status_code == 401
    ok = httpx.post(app.url + "/gradio_api/upload", files=files, cookies=cookie_for(app, t1))
    assert ok.status_code == 200, ok.text


def test_request_bodies_are_capped_before_parsing(app):
    big = b'{"username": "' + b"x" * (web.MAX_API_BODY + 10) + b'", "password": "y"}'
    r = httpx.post(app.url + "/api/v1/login", content=big, headers={"content-type": "application/json"})
    assert r.status_code == 413
    huge = httpx.post(
        app.url + "/gradio_api/queue/join",
        content=b"[" + b"1," * web.MAX_BODY + b"1]",
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413

    def chunks():
        yield b'{"username": "a", '
        yield b'"password": "b"}'

    assert (
        httpx.post(
            app.url + "/api/v1/login", content=chunks(), headers={"content-type": "application/json"}
        ).status_code
        == 411
    )


def test_lone_surrogates_are_a_clear_400(app):
    alice = api_login(app.url, "alice", "alicepass1")
    sid = httpx.post(
        app.url + "/api/v1/sessions", json={"problem_id": "math-trail-mix"}, headers=alice, timeout=60
    ).json()["session_id"]
    for path, body in (
        (f"/api/v1/sessions/{sid}/messages", {"text": "half a pair \ud800 here"}),
        ("/api/v1/login", {"username": "\udfff", "password": "whatever1"}),
        ("/api/v1/sessions", {"code": "def f():\n    return '\ud83d'\n", "test": "assert f() == 1"}),
    ):
        r = httpx.post(
            app.url + path, content=json.dumps(body), headers={**alice, "content-type": "application/json"}, timeout=60
        )
        assert r.status_code == 400 and "surrogate" in r.json()["error"], (path, r.status_code, r.text)
    turns = httpx.get(app.url + f"/api/v1/sessions/{sid}", headers=alice).json()["messages"]
    assert len(turns) == 1  # nothing half-written


def test_security_headers_on_every_page(app):
    for path in ("/", "/api/v1/me", "/gradio_api/info", "/config"):
        r = httpx.get(app.url + path)
        assert r.headers.get("x-frame-options") == "DENY", path
        csp = r.headers.get("content-security-policy", "")
        assert "frame-ancestors 'none'" in csp and "img-src 'self' data: blob:" in csp and "frame-src 'none'" in csp, (
            path
        )


def test_api_logout_revokes_the_token(app):
    h = api_login(app.url, "alice", "alicepass1")
    assert httpx.get(app.url + "/api/v1/me", headers=h).status_code == 200
    assert httpx.post(app.url + "/api/v1/logout", headers=h).status_code == 200
    assert httpx.get(app.url + "/api/v1/me", headers=h).status_code == 401


def test_sweep_deletes_expired_files(tmp_path):
    old, fresh = tmp_path / "exports" / "old.csv", tmp_path / "tmp" / "abc" / "new.json"
    for p in (old, fresh):
        p.parent.mkdir(parents=True)
        p.write_text("x")
    stale = time.time() - web.FILE_TTL_S - 5
    os.utime(old, (stale, stale))
    assert web.sweep_files([tmp_path / "exports", tmp_path / "tmp"]) == 1
    assert not old.exists() and fresh.exists()
