"""The student's side: pick a problem (or paste your own buggy code), chat, get stuck, start over, resume.

Every turn is committed to the store before its reply is final on screen: the student's message before the tutor
is asked, the tutor's reply (with its decision trace) before the last streamed update. A session whose tutor
object is not in memory (after a restart of the server) is rebuilt by replaying the recorded student turns.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Generator, Iterator
from typing import Any

from pydantic import BaseModel, Field

import inference
from errors import InputError, RecoverableError
from knowledge.types import Problem
from store import SessionFilter, TutoringSession
from tutor import TutorSession, TutorSettings
from tutor.message_code import extract_code
from tutor.sandbox import LoadError, TestResult, TestRun
from tutor.sandbox_slots import SLOTS, CodeTurn
from ui import render
from ui.accounts import student_class
from ui.context import SESSION_WAIT_S, AppContext, AuthError, attach_tree, check_text
from ui.knowledge_link import rank_problems
from ui.own_code import build_custom_problem
from vocabulary import DEFAULT_POLICY

log = logging.getLogger(__name__)

STUCK_MESSAGE = "I'm stuck."
QUEUED = "Your code is queued to run ({n} ahead of it); the tutor answers as soon as it has run."


class SessionView(BaseModel):
    session_id: int
    problem_id: str
    title: str
    intro: str  # markdown: statement (and code for code problems)
    messages: list[dict[str, Any]] = Field(default_factory=list)  # Gradio chat messages
    progress: list[dict[str, Any]] = Field(default_factory=list)  # [{concept, resolved}]
    outcome: str = "active"
    notice: str = ""


def catalogue(
    ctx: AppContext, token: str, domain: str | None = None, skill: str | None = None, difficulty: str | None = None
) -> list[Problem]:
    ctx.require(token)
    return [
        p
        for p in ctx.problems()
        if (not domain or p.domain == domain)
        and (not skill or skill in p.skills)
        and (not difficulty or p.difficulty == difficulty)
    ]


def search(
    ctx: AppContext,
    token: str,
    text: str,
    domain: str | None = None,
    skill: str | None = None,
    difficulty: str | None = None,
    limit: int = 20,
) -> tuple[list[Problem], str]:
    """The catalogue (as filtered) ranked by meaning through the knowledge store, or by substring while it is not
    ready. Returns (problems, how): how is "meaning", "text", or "" for an empty query (the whole filtered list)."""
    return rank_problems(ctx.knowledge, catalogue(ctx, token, domain, skill, difficulty), text, limit)


def _tutor_settings(ctx: AppContext, class_policy: str | None, bottom_out: bool) -> TutorSettings:
    return TutorSettings(
        policy=class_policy or DEFAULT_POLICY, max_turns=ctx.settings.max_turns, allow_final_bottom_out=bottom_out
    )


def _start_tutor(ctx: AppContext, problem: Problem, sess: TutoringSession, backend=None) -> TutorSession:
    klass = ctx.store.get_class(sess.class_id) if sess.class_id else None
    settings = _tutor_settings(ctx, sess.policy, bool(klass and klass.allow_final_bottom_out))
    return TutorSession.start(problem, settings=settings, backend=backend or ctx.backend_for(sess.model))


def _begin(ctx: AppContext, token: str, problem: Problem) -> SessionView:
    user = ctx.require(token, "student")
    klass = student_class(ctx, user)
    policy = klass.policy if klass else DEFAULT_POLICY
    model = ctx.model_label((klass.model if klass and klass.model else "") or ctx.settings.model)
    sess = ctx.store.start_session(
        user.id, problem.model_dump(mode="json"), policy=policy, model=model, class_id=klass.id if klass else None
    )
    ts = _start_tutor(ctx, problem, sess)
    ctx.store.add_turn(sess.id, "tutor", ts.opening, move="focus")
    ctx.live[sess.id] = ts
    return view(ctx, sess.id)


def start(ctx: AppContext, token: str, problem_id: str) -> SessionView:
    ctx.require(token, "student")
    if not problem_id:
        raise InputError("Choose a problem first.")
    return _begin(ctx, token, ctx.problem(problem_id))


def start_custom(ctx: AppContext, token: str, code: str, tests: str) -> SessionView:
    user = ctx.require(token, "student")
    turn = SLOTS.claim(_runner(ctx, user.id))  # the check run counts as this student's code run
    try:
        turn.wait(SESSION_WAIT_S)
        problem = build_custom_problem(code, tests)
    finally:
        turn.close()
    return _begin(ctx, token, problem)


def _runner(ctx: AppContext, student_id: int) -> tuple[str, int]:
    """Whose code run it is (one in flight per student): the student, on this database."""
    return (ctx.settings.db_url, student_id)


def _own(ctx: AppContext, token: str, session_id: Any) -> TutoringSession:
    user = ctx.require(token, "student")
    try:
        sid = int(session_id)
    except (TypeError, ValueError):
        raise InputError("Choose a session first.") from None
    sess = ctx.store.get_session(sid)
    if sess is None or sess.student_id != user.id:
        raise AuthError("That session is not yours.", f"student {user.id} asked for session {session_id}")
    return sess


def in_sync(ts: Any, sess: TutoringSession, *, answering: bool = False) -> bool:
    """Whether an in-memory tutor has seen every recorded turn: the opening plus one student/tutor pair per reply
    (another app worker may have answered turns of this session since this process last did). `answering`: a
    reply may be under way, its student turn recorded and its tutor turn not yet."""
    if ts is None:
        return False
    gap = sess.n_turns - (1 + 2 * len(ts.trace))
    return gap == 0 or (answering and gap in (-1, 1))


def live(ctx: AppContext, sess: TutoringSession):
    """The in-memory tutor for a session; rebuilt from the recorded student turns when it is missing (a restart)
    or behind the record (another worker answered since): the store, not process memory, is the truth."""
    ts = ctx.live.get(sess.id)
    if in_sync(ts, sess):
        return ts
    problem = attach_tree(Problem.model_validate(sess.problem))
    ts = _start_tutor(ctx, problem, sess, backend=inference.get_backend("none"))
    turns = ctx.store.turns(sess.id)
    ts.recorded_runs = recorded_runs(turns)  # code results replayed from the record, not run again
    for i, turn in enumerate(turns):
        if turn.role != "student":
            continue
        for _ in ts.reply(turn.text):
            pass
        if i == len(turns) - 1 and sess.outcome == "active":  # the reply was never recorded (a crash): record it
            _record_reply(ctx, sess.id, ts)
    ts.backend = ctx.backend_for(sess.model)
    ctx.live[sess.id] = ts
    return ts


def recorded_runs(turns: list[Any]) -> dict[int, Any]:
    """Student turn number -> the sandbox run recorded in the tutor's reply to it (the whole run; from the summary
    for replies recorded before whole runs were kept, which gives the same verdict and the same words)."""
    runs: dict[int, Any] = {}
    k = 0
    for prev, turn in zip(turns, turns[1:], strict=False):
        if prev.role != "student":
            continue
        k += 1
        trace = turn.trace or {}
        if turn.role != "tutor" or not (trace.get("test_run") or trace.get("tests")):
            continue
        if trace.get("test_run"):
            runs[k] = TestRun.model_validate(trace["test_run"])
            continue
        summary = trace["tests"]
        first = summary.get("first_failure")
        runs[k] = TestRun(
            passed=bool(summary.get("passed")),
            results=[TestResult.model_validate(first)] if first else [],
            load_error=LoadError.model_validate(summary["load_error"]) if summary.get("load_error") else None,
            limit_hit=summary.get("limit_hit"),
            unavailable=summary.get("unavailable"),
        )
    return runs


def _record_reply(ctx: AppContext, session_id: int, ts) -> None:
    trace = ts.last
    data = trace.model_dump(mode="json")
    ctx.store.add_turn(
        session_id,
        "tutor",
        trace.text,
        trace=data,
        guard=data.get("guard"),
        latency_ms=float(sum((trace.latency_ms or {}).values())),
        move=trace.move,
    )
    if ts.solved:
        ctx.store.end_session(session_id, "solved")
    elif ts.done:
        ctx.store.end_session(session_id, "max_turns")


def send(ctx: AppContext, token: str, session_id: Any, text: Any) -> Iterator[SessionView]:
    """Record the student's message, stream the tutor's reply (partial views), record it, yield the final view.

    A message with code on a code problem is a code run: one per student at a time (a second one while the first
    runs is refused, StillRunning), and it waits for a sandbox slot (tutor.sandbox_slots) before anything is
    recorded: while it waits, a view with the message and a queued notice is yielded; no slot within
    SESSION_WAIT_S, Busy (nothing recorded)."""
    sess = _own(ctx, token, session_id)
    if sess.outcome != "active":
        raise InputError("This session is finished; start over or choose another problem.")
    text, notice = check_text(text)
    turn = _code_turn(ctx, sess, text)
    with contextlib.ExitStack() as stack:
        if turn is not None:
            stack.callback(turn.close)
        stack.enter_context(ctx.hold_session(sess.id))
        sess = ctx.store.get_session(sess.id) or sess  # what other workers recorded while this message waited
        if sess.outcome != "active":
            raise InputError("This session is finished; start over or choose another problem.")
        if turn is not None:
            ahead = turn.join()
            if ahead:
                queued = view(ctx, sess.id, notice=" ".join(x for x in (notice, QUEUED.format(n=ahead)) if x))
                queued.messages.append({"role": "user", "content": text})
                yield queued
            turn.wait(SESSION_WAIT_S)
        yield from _answer(ctx, sess, text, notice, turn)


def _code_turn(ctx: AppContext, sess: TutoringSession, text: str) -> CodeTurn | None:
    """The student's claim on a code run when this message will run code (as the tutor reads it: code in a message
    on a code problem), else None."""
    if sess.problem.get("domain") != "code" or not extract_code(text, loose=True):
        return None
    return SLOTS.claim(_runner(ctx, sess.student_id))


def _answer(
    ctx: AppContext, sess: TutoringSession, text: str, notice: str, turn: CodeTurn | None
) -> Iterator[SessionView]:
    ts = live(ctx, sess)
    ctx.store.add_turn(sess.id, "student", text)
    shown = ""
    reply = ts.reply(text)  # guarded sentences, each shown as soon as the tutor releases it
    if turn is not None:
        turn.close()  # the code has run (before reply() returns): the slot goes to the next run now
    # a reply that was complete when reply() returned (templates) is shown once, whole: each partial update
    # costs the server a render and a diff of the whole chat, and 20 students' word-by-word updates queue up;
    # the view the partial updates extend is built only for a streamed reply
    base = view(ctx, sess.id, notice=notice) if ts.streaming else None
    try:
        for delta in reply:
            shown += delta
            if base is None:
                continue
            partial = base.model_copy(deep=True)
            partial.messages.append({"role": "assistant", "content": shown})
            yield partial
    except RecoverableError:
        ctx.live.pop(sess.id, None)  # rebuilt from the record on the next message
        raise
    except (
        GeneratorExit
    ):  # the browser went away mid-reply (only a streamed one yields): stop the model, keep the record whole
        if isinstance(reply, Generator):
            reply.close()
            _record_reply(ctx, sess.id, ts)
        raise
    _record_reply(ctx, sess.id, ts)
    yield view(ctx, sess.id, notice=notice)


def stuck(ctx: AppContext, token: str, session_id: Any) -> Iterator[SessionView]:
    yield from send(ctx, token, session_id, STUCK_MESSAGE)


def restart(ctx: AppContext, token: str, session_id: Any) -> SessionView:
    sess = _own(ctx, token, session_id)
    if sess.outcome == "active":
        ctx.store.end_session(sess.id, "restarted")
    ctx.live.pop(sess.id, None)
    return _begin(ctx, token, attach_tree(Problem.model_validate(sess.problem)))


def my_sessions(ctx: AppContext, token: str) -> list[TutoringSession]:
    user = ctx.require(token, "student")
    return ctx.store.list_sessions(SessionFilter(student_id=user.id))


def open_session(ctx: AppContext, token: str, session_id: Any) -> SessionView:
    sess = _own(ctx, token, session_id)
    if in_sync(ctx.live.get(sess.id), sess):
        pass
    elif sess.outcome != "active":
        live(ctx, sess)  # read only: the progress of a dialogue another worker finished
    else:
        try:
            with ctx.hold_session(sess.id, timeout=2.0):  # rebuilding may record a lost reply: one writer at a time
                sess = ctx.store.get_session(sess.id) or sess
                if sess.outcome == "active":
                    live(ctx, sess)
        except InputError:
            log.info("session %s is being answered elsewhere; showing the record", sess.id)
    return view(ctx, sess.id)


def view(ctx: AppContext, session_id: int, notice: str = "") -> SessionView:
    sess = ctx.store.get_session(session_id)
    assert sess is not None
    problem = Problem.model_validate(sess.problem)
    ts = ctx.live.get(session_id)
    ts = ts if in_sync(ts, sess, answering=True) else None  # a stale tutor would show stale progress
    return SessionView(
        session_id=sess.id,
        problem_id=sess.problem_id,
        title=problem.title,
        intro=render.problem_intro(problem),
        messages=render.chat_messages(ctx.store.turns(sess.id)),
        progress=render.progress(problem, ts),
        outcome=sess.outcome,
        notice=notice,
    )
