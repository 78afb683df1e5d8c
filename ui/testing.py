"""Test helpers: the real app in a subprocess on a free loopback port, seeded accounts, an in-process app context,
and the Gradio handlers called in process."""

from __future__ import annotations

import asyncio
import inspect
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr
import httpx

import inference
from knowledge.embeddings import HashEmbedder
from settings import Settings
from store import ClassRoom, User, connect
from ui import accounts
from ui.blocks import build_ui
from ui.context import AppContext

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


def start_server(
    data_dir: Path, *, backend: str = "none", env: dict[str, str] | None = None, timeout: float = 120.0
) -> Server:
    port = free_port()
    log_path = Path(data_dir) / f"server-{port}.log"
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    full_env = {**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})}
    cmd = [
        sys.executable,
        str(REPO / "app.py"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--backend",
        backend,
        "--data-dir",
        str(data_dir),
    ]
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


# -- a real browser (headless Debian chromium through Playwright) ----------------------------------------------
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]  # loopback only


def browser_login(page: Any, url: str, username: str, password: str) -> None:
    """Open the app in a Playwright page and log in; returns when the main tabs show."""
    page.goto(url + "/")
    page.locator("#username textarea").fill(username)
    page.locator("#password input").fill(password)
    page.click("#login-btn")
    page.wait_for_selector("#main-tabs", state="visible")


# -- seeded data for tests and benchmarks ---------------------------------------------------------------------
def app_context(data_dir: Path, *, database_url: str = "", embedder: Any = None) -> AppContext:
    """An in-process app on templates (backend `none`) with a real store under `data_dir`; the knowledge store,
    when started, embeds with the model-free HashEmbedder unless `embedder` is given."""
    settings = Settings(backend="none", data_dir=data_dir, database_url=database_url)
    return AppContext(
        settings, backend=inference.get_backend("none"), embedder=embedder if embedder is not None else HashEmbedder()
    )


@dataclass(frozen=True)
class People:
    """A teacher with one class and one student in it, signed up through the services (tokens are live)."""

    teacher: str
    student: str
    klass: ClassRoom
    t_user: User
    s_user: User


def sign_up_class(
    ctx: AppContext, *, teacher: str = "teach", student: str = "stud", class_name: str = "Period 1"
) -> People:
    """The first teacher (password `<name>pass1`), a class of theirs, and a student who joined it with its code."""
    t_tok, t_user = accounts.create_first_teacher(ctx, teacher, f"{teacher}pass1")
    klass = accounts.create_class(ctx, t_tok, class_name)
    s_tok, s_user = accounts.register_student(ctx, student, f"{student}pass1", klass.join_code)
    return People(t_tok, s_tok, klass, t_user, s_user)


Account = tuple[str, str] | tuple[str, str, str]  # (username, password[, display name])


def seed_accounts(
    data_dir: Path, *, teachers: list[Account], students: list[Account], class_name: str = "Period 1"
) -> ClassRoom:
    """Write accounts into the SQLite database a server under `data_dir` will open: the teachers, a class of the
    first one, and the students in that class. Returns the class."""
    Path(data_dir).mkdir(parents=True, exist_ok=True)
    store = connect(f"sqlite:///{Path(data_dir) / 'tutor.db'}")
    try:
        made = [store.create_user(*t[:2], "teacher", *t[2:]) for t in teachers]
        klass = store.create_class(made[0].id, class_name)
        for s in students:
            store.join_class(store.create_user(*s[:2], "student", *s[2:]).id, klass.join_code)
        return klass
    finally:
        store.close()


# -- the Gradio layer in process ------------------------------------------------------------------------------
class Handlers:
    """The app's Gradio event handlers called in process the way Gradio calls them: by api_name (or function name),
    with the event's inputs, and the outputs keyed by component whether a handler returns a list or a dict."""

    def __init__(self, ctx: AppContext) -> None:
        self.demo = build_ui(ctx)
        self.fns = list(self.demo.fns.values())

    def __getitem__(self, name: str) -> Any:
        """The one component whose elem_id (else label) is `name`."""
        found = [b for b in self.demo.blocks.values() if getattr(b, "elem_id", None) == name]
        found = found or [b for b in self.demo.blocks.values() if getattr(b, "label", None) == name]
        if len(found) != 1:
            raise KeyError(f"{len(found)} components are called {name!r}")
        return found[0]

    def event(self, name: str) -> Any:
        found = [f for f in self.fns if f.api_name == name] or [
            f for f in self.fns if getattr(f.fn, "__name__", "") == name
        ]
        if not found:
            raise KeyError(f"no event {name!r}")
        return found[0]

    def call(self, name: str, *args: Any) -> dict[Any, Any]:
        """The outputs of one event (a streaming one: all its updates merged, the last winning)."""
        event = self.event(name)
        params = list(inspect.signature(event.fn).parameters.values())
        if params and "Request" in str(params[-1].annotation):
            args = (*args, gr.Request())
        result = event.fn(*args)
        if inspect.iscoroutine(result):
            result = asyncio.run(result)
        if inspect.isasyncgen(result):
            steps = asyncio.run(_collect(result))
        elif inspect.isgenerator(result):
            steps = list(result)
        else:
            steps = [result]
        out: dict[Any, Any] = {}
        for one in steps:
            out.update(self._keyed(event.outputs, one))
        return out

    @staticmethod
    def _keyed(outputs: list[Any], value: Any) -> dict[Any, Any]:
        if isinstance(value, dict) and value.get("__type__") != "update":
            return dict(value)
        if len(outputs) == 1:
            return {outputs[0]: value}
        if len(value) != len(outputs):
            raise ValueError(f"{len(value)} values for {len(outputs)} outputs")
        return dict(zip(outputs, value, strict=True))


async def _collect(agen: Any) -> list[Any]:
    return [item async for item in agen]
