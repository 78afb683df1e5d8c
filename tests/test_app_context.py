"""The app's edge and shared services: importing app.py loads no heavy library, the settings reach the services
from the edge, handlers' errors are handled in one place, session locks go when unused, and a new backend reads
the tutor's prompt prefix in the background. (Import cycles: tests/test_imports.py, for the whole tree.)"""

from __future__ import annotations

import ast
import gc
import json
import subprocess
import sys
import threading

import gradio as gr
import pytest

import app
import inference
from errors import InputError
from inference.fake import FakeBackend
from inference.models import MODELS
from settings import Settings
from tutor import voice
from ui import choices, student
from ui.context import AppContext, SessionLock
from ui.handlers import safe
from ui.testing import REPO

HEAVY = (
    "gradio",
    "fastapi",
    "huggingface_hub",
    "transformers",
    "sentence_transformers",
    "chromadb",
    "torch",
    "llama_cpp",
)


def loaded_heavy(code: str) -> list[str]:
    out = subprocess.run(
        [
            sys.executable,
            "-c",
            code + f"\nimport sys, json; print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.splitlines()[-1])


def test_importing_app_loads_no_heavy_library():
    assert loaded_heavy("import app") == []
    assert "gradio" in loaded_heavy("import ui.blocks")  # the probe sees an import when there is one


RECORD_IMPORTS = """
import os, sys, json
seen = {}
class Probe:
    def find_spec(self, name, path=None, target=None):
        top = name.split('.')[0]
        if top in HEAVY and top not in seen:
            offline = os.environ.get('HF_HUB_OFFLINE') == '1'
            seen[top] = offline and os.environ.get('GRADIO_ANALYTICS_ENABLED') == 'False'
        return None
sys.meta_path.insert(0, Probe())
import app
from settings import Settings
app.create_app(Settings(backend='none', data_dir=DATA))
print(json.dumps(seen))
"""


def test_create_app_applies_the_offline_settings_before_any_heavy_import(tmp_path):
    code = f"HEAVY = {HEAVY!r}\nDATA = {str(tmp_path / 'data')!r}\n" + RECORD_IMPORTS
    env = {k: v for k, v in __import__("os").environ.items() if k not in ("HF_HUB_OFFLINE", "GRADIO_ANALYTICS_ENABLED")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=REPO, env=env)
    assert out.returncode == 0, out.stderr[-3000:]
    seen = json.loads(out.stdout.splitlines()[-1])
    assert "gradio" in seen and all(seen.values()), seen


def test_make_context_creates_the_admin_from_the_settings_it_is_given(tmp_path):
    settings = Settings(backend="none", data_dir=tmp_path, admin_username="root", admin_password="rootpass1")
    ctx = app.make_context(settings, backend=inference.get_backend("none"))
    try:
        assert ctx.store.authenticate("root", "rootpass1").role == "teacher"
    finally:
        ctx.store.close()


def test_accounts_reads_no_environment():
    tree = ast.parse((REPO / "ui" / "accounts.py").read_text())
    names = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)} | {
        n.id for n in ast.walk(tree) if isinstance(n, ast.Name)
    }
    assert not names & {"environ", "getenv", "settings_from_env", "admin_username", "admin_password"}


def test_safe_shows_recoverable_errors_and_lets_bugs_raise():
    note = gr.Markdown()

    def refuse() -> None:
        raise InputError("Choose a problem.", "log: no problem chosen")

    def bug() -> None:
        raise KeyError("a bug")

    def stream():
        yield {note: "partial"}
        refuse()

    with pytest.raises(gr.Error, match="Choose a problem"):
        safe(refuse)()
    assert safe(show=note, suffix=" (nothing was saved)")(refuse)() == {
        note: "**Error:** Choose a problem. (nothing was saved)"
    }
    with pytest.raises(KeyError):
        safe(show=note)(bug)()
    assert list(safe(show=note)(stream)()) == [{note: "partial"}, {note: "**Error:** Choose a problem."}]
    with pytest.raises(gr.Error):
        list(safe(stream)())


def test_choices_come_from_the_fixed_sets_and_the_model_registry():
    assert choices.POLICIES == ["tree", "vanilla", "telling"] and "abandoned" in choices.OUTCOMES
    assert choices.model_choices()[0] == "" and sorted(choices.model_choices()[1:]) == sorted(MODELS)


def a_session(ctx: AppContext, people) -> int:
    return student.start(ctx, people.student, "math-trail-mix").session_id


def test_session_locks_live_while_used_and_then_go(ctx, people):
    sid = a_session(ctx, people)
    lock = ctx.session_lock(sid)
    assert isinstance(lock, SessionLock) and ctx.session_lock(sid) is lock
    with ctx.hold_session(sid):
        assert lock.locked() and not lock.acquire(timeout=0.01)
    assert not lock.locked()
    del lock
    gc.collect()
    assert sid not in ctx.session_locks
    with ctx.hold_session(sid):  # a fresh one while in use
        assert ctx.session_locks[sid].locked()


def test_a_second_message_waits_for_the_first(ctx, people):
    sid = a_session(ctx, people)
    order: list[str] = []
    entered = threading.Event()

    def first() -> None:
        with ctx.hold_session(sid):
            entered.set()
            order.append("first in")
            threading.Event().wait(0.2)
            order.append("first out")

    t = threading.Thread(target=first)
    t.start()
    entered.wait(5)
    with ctx.hold_session(sid):
        order.append("second in")
    t.join()
    assert order == ["first in", "first out", "second in"]
    with ctx.hold_session(sid), pytest.raises(InputError, match="still answering"), ctx.hold_session(sid, timeout=0.05):
        pass  # past its wait, refused


def test_a_new_backend_reads_the_revoice_prefix_once_in_the_background(tmp_path, monkeypatch):
    fake = FakeBackend()
    monkeypatch.setattr(inference, "backend_from_settings", lambda settings: fake)
    ctx = AppContext(Settings(backend="openai", model="served", data_dir=tmp_path))
    try:
        assert ctx.backend_for("") is fake
        ctx.warming[("openai", "served")].join(10)
        assert ctx.backend_for("") is fake and len(fake.history) == 1
        assert fake.history[0] == voice.revoice_messages(voice.WARM_STUDENT) and fake.options[0].max_tokens == 1
    finally:
        ctx.store.close()


def test_templates_and_the_scripted_fake_are_not_warmed(tmp_path):
    for backend in ("none", "fake"):
        ctx = AppContext(Settings(backend=backend, data_dir=tmp_path / backend))
        try:
            ctx.backend_for("")
            assert ctx.warming == {}
        finally:
            ctx.store.close()
