"""Starting the app and answering one chat message opens no non-loopback connection (and resolves no remote name).

The app runs in a subprocess whose `sitecustomize` installs an audit hook: every `socket.connect` to a
non-loopback address and every name lookup other than localhost is recorded to a file and refused.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from knowledge.bank import load_starter
from store import connect
from ui.testing import api_login, running_server

pytestmark = [pytest.mark.server, pytest.mark.slow]

GUARD = textwrap.dedent("""
    import ipaddress, os, sys

    _LOG = os.environ.get("NETGUARD_LOG")

    def _loopback(host):
        if host in ("localhost", "", None):
            return True
        try:
            return ipaddress.ip_address(str(host).split("%")[0]).is_loopback
        except ValueError:
            return False

    def _hook(event, args):
        if not _LOG:
            return
        host = None
        if event == "socket.connect":
            addr = args[1]
            if isinstance(addr, tuple) and addr:
                host = addr[0]
            else:
                return  # AF_UNIX path
        elif event == "socket.getaddrinfo":
            host = args[0]
            if isinstance(host, bytes):
                host = host.decode()
        else:
            return
        if not _loopback(host):
            with open(_LOG, "a") as f:
                f.write(f"{event} {host!r} pid={os.getpid()}\\n")
            raise OSError(f"netguard: refused non-loopback {event} to {host!r}")

    sys.addaudithook(_hook)
""")


@pytest.fixture
def guard_env(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(GUARD)
    log = tmp_path / "net.log"
    env = {
        "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep),
        "NETGUARD_LOG": str(log),
    }
    return env, log


def test_guard_records_remote_connections(guard_env):
    """Control: the hook does see (and refuse) a non-loopback connect and a remote name lookup."""
    env, log = guard_env
    code = (
        "import socket\n"
        "for target in [('10.255.255.1', 80), ('example.org', 80)]:\n"
        "    try: socket.create_connection(target, timeout=0.2)\n"
        "    except OSError: pass\n"
        "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); socket.create_connection(s.getsockname()).close()\n"
    )
    subprocess.run([sys.executable, "-c", code], env={**os.environ, **env}, check=True, timeout=60)
    text = log.read_text()
    assert "10.255.255.1" in text and "example.org" in text and "127.0.0.1" not in text


def test_app_start_and_one_chat_message_stay_on_loopback(guard_env, tmp_path):
    env, log = guard_env
    data = tmp_path / "data"
    store = connect(f"sqlite:///{data / 'tutor.db'}")
    t = store.create_user("teach", "teachpass1", "teacher")
    klass = store.create_class(t.id, "P1")
    s = store.create_user("stud", "studpass1", "student")
    store.join_class(s.id, klass.join_code)
    store.close()
    with running_server(data, backend="fake", env=env) as server:
        headers = api_login(server.url, "stud", "studpass1")
        assert httpx.get(server.url + "/", timeout=30).status_code == 200  # the Gradio page itself
        pid = httpx.get(server.url + "/api/v1/problems?domain=math", headers=headers).json()[0]["id"]
        sid = httpx.post(server.url + "/api/v1/sessions", json={"problem_id": pid}, headers=headers, timeout=60).json()[
            "session_id"
        ]
        reply = httpx.post(
            server.url + f"/api/v1/sessions/{sid}/messages",
            json={"text": "I think it is 12"},
            headers=headers,
            timeout=120,
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["messages"][-1]["role"] == "assistant" and reply.json()["messages"][-1]["content"]
        deadline = time.monotonic() + 300  # the knowledge store seeds in the background with the real MiniLM
        while "knowledge store" not in server.log() and time.monotonic() < deadline:
            time.sleep(1)
        n = len(load_starter())
        assert f"{n} problems ({n} seeded from the starter bank" in server.log(), server.log()[-3000:]
        found = httpx.get(
            server.url + "/api/v1/problems",
            params={"q": "how many slices of the pie were eaten"},
            headers=headers,
            timeout=60,
        ).json()
        assert "pizza" in " ".join(p["id"] for p in found[:3]), found[:3]  # ranked by meaning, not by words
        server_log = server.log()
    assert not log.exists() or log.read_text() == "", (
        f"non-loopback network use:\n{log.read_text()}\n--- server log:\n{server_log[-2000:]}"
    )
    assert Path(data / "gradio-tmp").is_dir()
