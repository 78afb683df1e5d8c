"""Code turns in the app: resuming a session replays the recorded sandbox runs (no student code runs inside a
page load), and sleeping submissions in flight do not hold up another student's turn."""

from __future__ import annotations

import pytest

import tutor.verify
from settings import Settings
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



@pytest.mark.server
@pytest.mark.slow
def test_sleeping_submissions_do_not_hold_up_another_students_turn(tmp_path):
    """Eight students send code that sleeps (each runs to the sandbox's wall timeout) through the Gradio queue, as
    the browser does; meanwhile a ninth student's math turn is answered before the first of them finishes. The
    property is an order of events (no time limit that a loaded machine could miss): with a narrow worker pool the
    math turn queued behind the sleepers and arrived after them."""
    import threading
    import time

    from gradio_client import Client

    from store import connect
    from tutor.sandbox import SandboxLimits
    from ui.testing import running_server

    wall = SandboxLimits().wall_s
    store = connect(f"sqlite:///{tmp_path / 'tutor.db'}")
    t = store.create_user("teach", "teachpass1", "teacher")
    klass = store.create_class(t.id, "P1")
    names = [f"stud{i}" for i in range(9)]
    for n in names:
        store.join_class(store.create_user(n, f"{n}pass1", "student").id, klass.join_code)
    store.close()
    catalogue = AppContext(Settings(backend="none", data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'x.db'}"))
    problems = {d: next(p for p in catalogue.problems() if p.domain == d and (d == "math" or p.entry_point))
                for d in ("code", "math")}
    catalogue.store.close()
    with running_server(tmp_path) as srv:
        clients = {}
        for n in names:
            c = Client(srv.url + "/", verbose=False, httpx_kwargs={"timeout": 120})
            c.predict(n, f"{n}pass1", api_name="/login")
            clients[n] = c
        code, math = problems["code"], problems["math"]
        sleeper = fenced(f"def {code.entry_point}(*args, **kwargs):\n    import time\n    time.sleep(60)\n    return None")
        for n in names[:8]:
            clients[n].predict(code.id, api_name="/start_problem")
        clients["stud8"].predict(math.id, api_name="/start_problem")
        done: dict[str, float] = {}
        t0 = time.monotonic()

        def submit(n: str) -> None:
            clients[n].predict(sleeper, api_name="/send")
            done[n] = time.monotonic() - t0

        threads = [threading.Thread(target=submit, args=(n,)) for n in names[:8]]
        for th in threads:
            th.start()
        time.sleep(1.5)  # all eight are in their sandboxes now
        t1 = time.monotonic()
        clients["stud8"].predict("is it 2?", api_name="/send")
        math_s = time.monotonic() - t1
        math_done = time.monotonic() - t0
        for th in threads:
            th.join(timeout=wall * 4)
        slowest = max(done[n] for n in names[:8])
    db = connect(f"sqlite:///{tmp_path / 'tutor.db'}")
    limits = [db.turns(s.id)[-1].trace["tests"]["limit_hit"] for s in db.list_sessions() if s.problem_id == code.id]
    db.close()
    assert limits == ["wall-clock time"] * 8 and slowest >= wall * 0.9  # they really ran to the wall timeout
    print(f"math turn {math_s:.2f} s beside 8 sleeping submissions (wall {wall} s, slowest {slowest:.1f} s)")
    first = min(done[n] for n in names[:8])
    assert math_done < first, (f"a math turn took {math_s:.1f} s beside eight sleeping submissions and arrived after "
                               f"the first of them ({first:.1f} s; wall {wall} s)")
