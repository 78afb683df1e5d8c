"""Streaming a model's words behind the guard: sentences are held back until they end, then checked, then released.

`Pump` runs a backend's stream on its own thread, so the model (one resident model shared by all students) is
never held by a slow or vanished reader: generation stops when the pump is cancelled, when the stream ends, or at
`max_tokens`. `Sentences` cuts the text deltas into complete sentences; nothing of a sentence is released before
it ends and the caller's deterministic checks have passed on the cumulative text (`stream_reply`).
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

from errors import RecoverableError
from inference.base import Backend, Completion, Message, Options
from inference.common import ModelBusy
from knowledge.types import Problem
from tutor import voice
from tutor.guard import GuardVerdict, reveals
from tutor.planner import Evidence, Plan
from tutor.revoice_checks import revoice_early_reason, revoice_reason, salvage_long
from tutor.sandbox import TestRun
from tutor.state import KnowledgeState, StateSnapshot
from tutor.types import TurnTrace, TutorSettings
from tutor.understand import Understanding

log = logging.getLogger("tutor.session")

# a sentence ends at . ! ? (with closing quotes/brackets) followed by whitespace, or at a line break; "0.4" and
# "$3.50" do not end one (no whitespace after the point)
_END = re.compile(r"[.!?]+[\"')\]]*(?=\s)|\n")
# how long a cancelled pump may take to stop: one token, or a prompt still being read, or the wait for the model
CANCEL_WAIT_S = 60.0


class Sentences:
    """Feed text deltas; get back the sentences completed so far. `rest()` is the unfinished tail."""

    def __init__(self) -> None:
        self._buf = ""

    def feed(self, delta: str) -> list[str]:
        self._buf += delta
        out = []
        while (m := _END.search(self._buf)) is not None:
            sentence, self._buf = self._buf[: m.end()].strip(), self._buf[m.end() :]
            if sentence:
                out.append(sentence)
        return out

    def rest(self) -> str:
        return self._buf.strip()

    @property
    def pending(self) -> str:
        """The unfinished sentence as received so far (a trailing space means its last word is complete)."""
        return self._buf.lstrip()


class Pump:
    """A backend stream generated on a worker thread; iterate for deltas, `cancel()` to stop generation.

    `cancel()` returns once the worker has stopped (the stream closed, the model handed back) or `timeout`
    passed; a pump cancelled before its worker began generating never starts the model. `generated` counts the
    deltas the worker produced, `deltas` those the reader took: the difference was generated for nobody."""

    def __init__(self, backend: Backend, messages: list[Message], options: Options) -> None:
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._stop = threading.Event()
        self.error: BaseException | None = None
        self.completion: Completion | None = None
        self.start = time.monotonic()
        self.ttft_s: float | None = None
        self.end: float | None = None  # when the worker stopped generating
        self.deltas = 0
        self.generated = 0
        self._thread = threading.Thread(
            target=self._run, args=(backend, messages, options), daemon=True, name="model-pump"
        )
        self._thread.start()

    def _run(self, backend: Backend, messages: list[Message], options: Options) -> None:
        try:
            if self._stop.is_set():
                return
            stream = backend.stream(messages, options)
            try:
                for delta in stream:
                    if self.ttft_s is None:
                        self.ttft_s = time.monotonic() - self.start
                    self.generated += 1
                    if self._stop.is_set():  # nobody reads this one: stop before queueing it
                        break
                    self._queue.put(delta)
            finally:
                stream.close()
            self.completion = stream.completion
        except BaseException as exc:  # handed to the reader: recoverable ones fall back, bugs re-raise there
            self.error = exc
        finally:
            self.end = time.monotonic()
            self._queue.put(None)

    def __iter__(self) -> Iterator[str]:
        while not self._stop.is_set():
            delta = self._queue.get()
            if delta is None:
                break
            self.deltas += 1
            yield delta
        if self.error is not None and not isinstance(self.error, RecoverableError):
            raise self.error

    def stop(self) -> None:
        """Ask the worker to stop after the current token; returns at once (see `cancel`)."""
        self._stop.set()

    def cancel(self, timeout: float | None = CANCEL_WAIT_S) -> bool:
        """Stop generating after the current token and wait until the worker has closed the stream (the model is
        free again). True when it stopped within `timeout` (None: wait as long as it takes)."""
        self._stop.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout)
        if self._thread.is_alive():
            log.warning("model pump still generating %.1fs after cancel", timeout or 0.0)
            return False
        return True

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    @property
    def model_s(self) -> float:
        """Seconds of model work so far (until the worker stopped)."""
        return (self.end or time.monotonic()) - self.start


@dataclass
class PendingTurn:
    """One turn between deciding (steps 1-3 and the template) and finishing (the trace)."""

    text: str  # the student's message (cut to `max_message_chars`)
    cut: bool  # whether it was cut
    started: float  # time.monotonic() when the turn began
    turn: int
    before: StateSnapshot  # the state when the message arrived
    understanding: Understanding
    evidence: Evidence
    tests: TestRun | None
    plan: Plan
    template: str  # the decided text (no model)
    mark: float  # when the last latency lap ended
    job: str = ""  # the model's job this turn ('' for none)
    note: str = ""  # why the model was or was not called
    latency_ms: dict[str, float] = field(default_factory=dict)
    tokens: int = 0  # model tokens generated

    def lap(self, name: str) -> None:
        """Record the milliseconds since the last lap ended under `name`; this lap ends now."""
        now = time.monotonic()
        self.latency_ms[name] = round((now - self.mark) * 1000, 2)
        self.mark = now


@dataclass(frozen=True)
class Shown:
    """What a turn showed the student and how: the guard's verdict on the first text offered and on the text shown,
    the model's draft, why it was not used, and whether the text shown is the model's."""

    text: str
    verdict: GuardVerdict
    final: GuardVerdict
    llm_text: str | None
    rejected: str | None
    used: bool


class Replying(Protocol):
    """What a streamed reply needs of its session (tutor.session.TutorSession)."""

    problem: Problem
    settings: TutorSettings
    state: KnowledgeState
    backend: Backend | None

    @property
    def tutor_messages(self) -> list[str]: ...

    @property
    def history(self) -> list[tuple[str, str]]: ...

    def guard(
        self, plan: Plan, llm_text: str | None, template: str, rejected: str | None = None
    ) -> tuple[str, GuardVerdict, GuardVerdict]: ...

    def record(self, pending: PendingTurn, shown: Shown) -> TurnTrace: ...


def stream_reply(session: Replying, pending: PendingTurn) -> Iterator[str]:
    """Stream the model's sentences behind the guard. The template's text is guarded first (that is the reply
    when the model's words do not pass). Each model sentence is held until it ends, then checked (the job's
    quality rules and the leak guard on the cumulative text that would be shown); it is released only when
    both pass. The first failure stops generation; the decided text goes on from the template. Revoice: the
    decided feedback at once, then one model sentence, then the rest of the decided message. Vanilla: up to
    three model sentences, then the decided question when they asked none. The trace is recorded (`record`)
    when the stream is exhausted or closed."""
    plan, student, settings, latency = pending.plan, pending.text, session.settings, pending.latency_ms
    base, base_verdict, base_final = session.guard(plan, None, pending.template)
    latency["guard"] = round((time.monotonic() - pending.mark) * 1000, 2)
    earlier = session.tutor_messages
    allow = settings.allow_final_bottom_out and plan.kind == "bottom_out"
    if pending.job == "revoice":
        head, tail = voice.revoice_parts(base, plan)
        messages, most, max_tokens = voice.revoice_messages(student), 1, min(settings.max_tokens, 48)
    else:
        head, tail = "", ""
        messages, most = voice.vanilla_messages(session.problem, session.history, student), 3
        max_tokens = settings.max_tokens
    options = Options(
        temperature=settings.temperature,
        seed=settings.seed,
        max_tokens=max_tokens,
        actor="tutor",
        wait_s=settings.model_wait_s,
    )
    shown: list[str] = []
    used: list[str] = []
    raw: list[str] = []
    verdict: GuardVerdict | None = None
    rejected: str | None = None
    pump: Pump | None = None
    finished = False

    def emit(piece: str) -> str:
        piece = (" " if shown else "") + piece.strip()
        if not shown:
            latency["first_visible"] = round((time.monotonic() - pending.started) * 1000, 2)
        shown.append(piece)
        return piece

    def check(sentence: str) -> str | None:
        nonlocal verdict
        if pending.job == "revoice":
            why = revoice_reason(sentence, student, earlier)
            candidate = " ".join(part for part in (head, sentence, tail) if part)
        else:
            candidate = " ".join([*used, sentence])
            why = voice.reject_reason(candidate, student, False)
        # the student has produced the answer on a success: echoing it is no leak (as in wording.guard_reply)
        checked = (
            GuardVerdict()
            if plan.kind == "success"
            else reveals(candidate, session.problem, session.state, allow_final=allow)
        )
        checked.mode = plan.guard_mode
        verdict = checked
        if checked.leaks and plan.guard_mode == "enforce":
            checked.action = "replaced_with_template"
            log.info(
                "guard hit (stream, problem %s): %s; spans %s",
                session.problem.id,
                "; ".join(checked.reasons),
                checked.spans,
            )
            return "leak: " + "; ".join(checked.reasons)
        if why:
            checked.action = "llm_rejected"
        return why

    try:
        if head:
            yield emit(head)
        pump = Pump(session.backend, messages, options)  # type: ignore[arg-type]
        cut = Sentences()
        stop = False
        for delta in pump:
            raw.append(delta)
            for sentence in cut.feed(delta):
                rejected = check(sentence)
                if rejected or len(used) + 1 > most:
                    stop = True
                    break
                used.append(sentence)
                yield emit(sentence)
                stop = len(used) >= most
            if not stop and pending.job == "revoice" and (early := revoice_early_reason(cut.pending, student)):
                rejected, stop = early, True  # no continuation can pass: stop the model now
                clause = salvage_long(cut.pending)
                if clause is not None:  # its first clause is a whole sentence: those words may still be shown
                    if (rejected := check(clause)) is None:  # (check sets the verdict and its action)
                        used.append(clause)
                        yield emit(clause)
                        break
                else:
                    if verdict is None:
                        verdict = GuardVerdict(mode=plan.guard_mode)
                    verdict.action = "llm_rejected"
            if stop:
                break
        if stop:
            pump.stop()  # the rest of the reply goes out now; `finally` waits for the worker
        else:
            pump.cancel()  # the stream ended: the worker is finishing, and its error (if any) is set
        if not stop and (rest := cut.rest()) and not rejected:  # the stream ended inside a sentence
            rejected = check(rest)
            if not rejected:
                used.append(rest)
                yield emit(rest)
        if isinstance(pump.error, ModelBusy):
            pending.note = pump.error.log_message
        elif pump.error is not None:
            pending.note = f"model failed: {getattr(pump.error, 'log_message', pump.error)}"
        elif not raw:
            rejected = "empty or too short"
        if pending.job == "vanilla":
            tail = (voice.decided_question(base) or base) if used else base
            if any("?" in sentence for sentence in used):
                tail = ""
        if tail:
            yield emit(tail)
        finished = True
    finally:
        if pump is not None:
            pump.cancel()
            if pump.ttft_s is not None:
                latency["llm_ttft"] = round(pump.ttft_s * 1000, 2)
            latency["llm"] = round(pump.model_s * 1000, 2)
            pending.tokens = pump.generated
        if not finished and tail and not any(piece.strip() == tail.strip() for piece in shown):
            shown.append((" " if shown else "") + tail)  # closed early: record what the tutor meant to say
        text = "".join(shown) or base
        if verdict is None or not used:
            if verdict is None:
                verdict = base_verdict
            elif not verdict.leaks and verdict.action == "none":
                verdict.action = "llm_rejected"
        final = base_final if text == base else reveals(text, session.problem, session.state, allow_final=allow)
        llm_text = voice.clean("".join(raw)) if raw else None
        session.record(pending, Shown(text, verdict, final, llm_text, rejected, used=bool(used)))
