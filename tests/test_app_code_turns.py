"""Code turns in the app: resuming a session replays the recorded sandbox runs (no student code runs inside a
page load). Sleeping submissions beside another student's turn: tests/test_app_turns_off_pool.py."""

from __future__ import annotations

import threading

import pytest

import tutor.sandbox
import tutor.verify
from tutor.sandbox_slots import SandboxSlots, StillRunning
from ui import accounts, student
from ui.context import AppContext


@pytest.fixture
def tok(ctx):
    t_tok, _ = accounts.create_first_teacher(ctx, "teach", "teachpass1")
    klass = accounts.create_class(ctx, t_tok, "Period 1")
    return accounts.register_student(ctx, "stud", "studpass1", klass.join_code)[0]


def code_problem(ctx, tok):
    return next(p for p in student.catalogue(ctx, tok, domain="code") if p.buggy_code and p.unit_tests)


def fenced(code: str) -> str:
    return f"Here is my code:\n```python\n{code}\n```"


class SandboxCalls:
    """Counts the real sandbox runs (each call goes through to tutor.sandbox.run_tests)."""

    def __init__(self, monkeypatch) -> None:
        self.n = 0
        real = tutor.verify.run_tests

        def counted(*args, **kwargs):
            self.n += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(tutor.verify, "run_tests", counted)


def test_resume_replays_code_results_without_running_the_sandbox(ctx, tok, monkeypatch):
    calls = SandboxCalls(monkeypatch)
    p = code_problem(ctx, tok)
    v = student.start(ctx, tok, p.id)
    for msg in (fenced(p.buggy_code), "I'm stuck", fenced("def broken(:\n    pass")):
        list(student.send(ctx, tok, v.session_id, msg))
    assert calls.n == 2  # both code turns ran for real
    shown = student.view(ctx, v.session_id)
    before = ctx.live[v.session_id]
    runs = [t.tests for t in before.trace]
    assert runs[0] and not runs[0]["passed"] and runs[1] is None and runs[2]["load_error"]
    assert shown.messages[-1]["content"] and "SyntaxError" in before.trace[2].template_text + before.trace[2].text

    ctx2 = AppContext(ctx.settings, store=ctx.store)  # a restarted server: nothing in memory
    resumed = student.open_session(ctx2, tok, v.session_id)
    assert calls.n == 2  # no code ran while the page loaded
    rebuilt = ctx2.live[v.session_id]
    assert [t.tests for t in rebuilt.trace] == runs
    assert [t.text for t in rebuilt.trace] == [t.text for t in before.trace]
    assert resumed.messages == shown.messages and resumed.progress == shown.progress
    # and the rebuilt tutor goes on: a new code turn runs the sandbox again
    list(student.send(ctx2, tok, v.session_id, fenced(p.buggy_code)))
    assert calls.n == 3


def test_resume_of_a_reply_recorded_with_only_the_summary(ctx, tok, monkeypatch):
    """Replies recorded before the whole run was kept: the summary gives the same verdict and words."""
    calls = SandboxCalls(monkeypatch)
    p = code_problem(ctx, tok)
    v = student.start(ctx, tok, p.id)
    list(student.send(ctx, tok, v.session_id, fenced(p.buggy_code)))
    before = ctx.live[v.session_id]
    turns = ctx.store.turns(v.session_id)
    trace = dict(turns[-1].trace)
    trace.pop("test_run")
    from tutor.sandbox import TestRun

    runs = student.recorded_runs([*turns[:-1], turns[-1].model_copy(update={"trace": trace})])
    assert set(runs) == {1} and isinstance(runs[1], TestRun)
    assert runs[1].describe() == TestRun.model_validate(turns[-1].trace["test_run"]).describe()
    assert runs[1].passed is False and before.trace[0].tests["passed"] is False
    assert calls.n == 1


def test_a_second_code_run_while_the_first_runs_is_refused(ctx, tok, monkeypatch):
    slots = SandboxSlots(4)
    monkeypatch.setattr(student, "SLOTS", slots)
    calls = SandboxCalls(monkeypatch)
    p = code_problem(ctx, tok)
    v = student.start(ctx, tok, p.id)
    first = slots.claim(student._runner(ctx, ctx.require(tok).id))  # as if their earlier code were running
    with pytest.raises(StillRunning, match="still running"):
        list(student.send(ctx, tok, v.session_id, fenced(p.buggy_code)))
    assert calls.n == 0 and len(ctx.store.turns(v.session_id)) == 1  # nothing ran, nothing recorded
    list(student.send(ctx, tok, v.session_id, "I'm stuck"))  # words, not code: answered
    first.close()
    list(student.send(ctx, tok, v.session_id, fenced(p.buggy_code)))
    assert calls.n == 1


def test_a_code_run_past_the_slots_is_told_it_is_queued(ctx, tok, monkeypatch):
    slots = SandboxSlots(1)
    monkeypatch.setattr(student, "SLOTS", slots)
    monkeypatch.setattr(tutor.sandbox, "SLOTS", slots)
    p = code_problem(ctx, tok)
    v = student.start(ctx, tok, p.id)
    other = slots.claim("another student")
    other.wait(1)
    views = student.send(ctx, tok, v.session_id, fenced(p.buggy_code))
    queued = next(views)
    assert "queued" in queued.notice and "1 ahead" in queued.notice
    assert queued.messages[-1] == {"role": "user", "content": fenced(p.buggy_code)}
    assert len(ctx.store.turns(v.session_id)) == 1  # not recorded while it waits
    threading.Timer(0.2, other.close).start()
    *_, last = views
    assert "queued" not in last.notice and last.messages[-1]["role"] == "assistant"
    assert ctx.store.turns(v.session_id)[-1].trace["tests"]["passed"] is False
    assert slots.slots.in_use == 0 and slots.slots.waiting == 0
