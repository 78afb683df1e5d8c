"""Test helpers: run the real app in a subprocess on a free loopback port and wait until it answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, proc: subprocess.Popen, url: str, log_path: Path) -> None:
        self.proc, self.url, self.log_path = proc, url, log_path

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def kill9(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=30)


def start_server(data_dir: Path, *, backend: str = "none", env: dict[str, str] | None = None, timeout: float = 120.0) -> Server:
    port = free_port()
    log_path = Path(data_dir) / f"server-{port}.log"
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    cmd = [sys.executable, str(REPO / "app.py"), "--host", "127.0.0.1", "--port", str(port), "--backend", backend,
           "--data-dir", str(data_dir)]
    with log_path.open("w") as out:
        proc = subprocess.Popen(cmd, cwd=REPO, env=full_env, stdout=out, stderr=subprocess.STDOUT)
    server = Server(proc, f"http://127.0.0.1:{port}", log_path)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"app exited with {proc.returncode}:\n{server.log()[-3000:]}")
        try:
            if httpx.get(server.url + "/api/v1/me", timeout=2).status_code == 401:
                return server
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    proc.kill()
    raise RuntimeError(f"app did not start within {timeout}s:\n{server.log()[-3000:]}")


@contextmanager
def running_server(data_dir: Path, **kwargs) -> Iterator[Server]:
    server = start_server(data_dir, **kwargs)
    try:
        yield server
    finally:
        if server.proc.poll() is None:
            server.proc.terminate()
            try:
                server.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                server.proc.kill()


def api_login(url: str, username: str, password: str) -> dict[str, str]:
    r = httpx.post(url + "/api/v1/login", json={"username": username, "password": password}, timeout=30)
    r.raise_for_status()
    return {"Authorization": "Bearer " + r.json()["token"]}
