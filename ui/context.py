"""What every handler needs: settings, the store, backends by model, the problem catalogue, live tutor sessions.

Authorization is here too: every service call starts with `ctx.require(token, role)`, which verifies the token
against the store on the server side (a token held in the browser is only a key, never a claim of role).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
import weakref
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import inference
from errors import InputError, RecoverableError
from inference.base import Backend
from knowledge.bank import load_starter, starter_problem
from knowledge.trees import tree_for
from knowledge.types import Problem
from settings import Settings
from store import Store, User, connect
from tutor import TutorSession, voice
from ui.knowledge_link import KnowledgeLink
from ui.throttle import Throttle

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 4000
MAX_CODE_CHARS = 12000
MAX_UPLOAD_BYTES = 5_000_000
SESSION_WAIT_S = 120.0  # how long a message waits for the tutor to finish the session's previous one
SESSION_LEASE = timedelta(minutes=5)  # a worker that dies mid-turn blocks its session at most this long


class AuthError(RecoverableError):
    """Not logged in (status 401), or not allowed to do this (403)."""

    def __init__(self, user_message: str, log_message: str | None = None, status: int = 403) -> None:
        super().__init__(user_message, log_message)
        self.status = status


class LiveSessions(OrderedDict[int, TutorSession]):
    """Session id -> the tutor of a recent dialogue, least recently used evicted first (an evicted one is rebuilt
    by replay from the store)."""

    limit = 500

    def __getitem__(self, key: int) -> TutorSession:
        self.move_to_end(key)
        return super().__getitem__(key)

    def get(self, key: int, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 - OrderedDict.get would skip move_to_end

    def __setitem__(self, key: int, value: TutorSession) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        while len(self) > self.limit:
            self.popitem(last=False)


class SessionLock:
    """A dialogue's lock in this process. A plain `threading.Lock` cannot be weakly referenced, and the locks are
    kept in a `WeakValueDictionary`: one lives while a message holds or waits for it, then it goes."""

    __slots__ = ("_lock", "__weakref__")

    def __init__(self) -> None:
        self._lock = threading.Lock()

    def acquire(self, timeout: float = -1) -> bool:
        return self._lock.acquire(timeout=timeout)

    def release(self) -> None:
        self._lock.release()

    def locked(self) -> bool:
        return self._lock.locked()


class AppContext:
    def __init__(
        self, settings: Settings, store: Store | None = None, backend: Backend | None = None, embedder: Any = None
    ) -> None:
        self.settings = settings
        self.store = store or connect(settings.db_url)
        self.knowledge = KnowledgeLink(settings, embedder=embedder)  # opened and seeded by start_knowledge()
        self._backends: dict[tuple[str, str], Backend] = {}
        if backend is not None:
            self._backends[(settings.backend, settings.model)] = backend
        self._lock = threading.RLock()
        self.throttle = Throttle(self.store)  # failed logins, sign-ups and join codes, shared by all workers
        self.live = LiveSessions()
        self.session_locks: weakref.WeakValueDictionary[int, SessionLock] = weakref.WeakValueDictionary()
        self.warming: dict[
            tuple[str, str], threading.Thread
        ] = {}  # (backend, model) -> the thread reading its prompt prefix
        self._validated: dict[str, tuple[str, Problem | None]] = {}  # stored problem id -> (version, Problem)

    # -- authorization ----------------------------------------------------------------------------------------
    def require(self, token: str | None, role: str | None = None) -> User:
        user = self.store.user_for_token(token)
        if user is None:
            raise AuthError("Please log in first.", "missing, expired or unknown token", status=401)
        if role is not None and user.role != role:
            raise AuthError(f"This needs a {role} account.", f"user {user.id} ({user.role}) called a {role} endpoint")
        return user

    def session_lock(self, session_id: int) -> SessionLock:
        """One lock per dialogue in this process (see `hold_session` for all workers); kept while in use only."""
        with self._lock:
            lock = self.session_locks.get(session_id)
            if lock is None:
                lock = self.session_locks[session_id] = SessionLock()
            return lock

    @contextmanager
    def hold_session(self, session_id: int, timeout: float = SESSION_WAIT_S) -> Iterator[None]:
        """Answer one message of a dialogue at a time, across threads (a lock) and across app workers on one
        database (a lease row in the store). A second message waits; past `timeout` it is refused."""
        deadline = time.monotonic() + timeout
        lock = self.session_lock(session_id)
        if not lock.acquire(timeout=timeout):
            raise InputError("The tutor is still answering your last message.", f"session {session_id}: lock wait")
        holder = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(6)}"
        try:
            pause = 0.02
            while not self.store.claim_session(session_id, holder, SESSION_LEASE):
                if time.monotonic() >= deadline:
                    raise InputError(
                        "The tutor is still answering your last message.",
                        f"session {session_id}: leased by another worker",
                    )
                time.sleep(pause)
                pause = min(pause * 2, 0.25)
            try:
                yield
            finally:
                self.store.release_session(session_id, holder)
        finally:
            lock.release()

    # -- backends -------------------------------------------------------------------------------------------
    def backend_for(self, model: str = "") -> Backend:
        """The backend for a class's model (empty: the app's). One instance per (backend, model), kept resident;
        a new one reads the tutor's shared prompt prefix in the background (`warm`)."""
        if self.settings.backend == "none" or model == "none":
            model = "none"
        key = (self.settings.backend, model or self.settings.model)
        with self._lock:
            if key not in self._backends:
                settings = self.settings.model_copy(update={"model": key[1]})
                try:
                    self._backends[key] = inference.backend_from_settings(settings)
                except RecoverableError as exc:
                    log.warning("backend %s/%s unavailable (%s); using templates", key[0], key[1], exc.log_message)
                    self._backends[key] = inference.get_backend("none")
                self.warm(key)
            return self._backends[key]

    def warm(self, key: tuple[str, str]) -> threading.Thread | None:
        """Read the revoice prompt's shared prefix once on a new backend, in a daemon thread, so the first student
        turn pays only for its own message (`tutor.voice.warm`). Not for templates, nor for the scripted `fake`
        (a warm call would take one of its scripted replies)."""
        backend = self._backends[key]
        if key[0] in ("none", "fake") or not backend.available or key in self.warming:
            return None
        thread = threading.Thread(target=voice.warm, args=(backend,), name=f"warm-{key[1]}", daemon=True)
        self.warming[key] = thread
        thread.start()
        return thread

    def model_label(self, model: str) -> str:
        """What a session records as its model: the model name, or `none` when the app runs on templates."""
        return "none" if self.settings.backend == "none" else model

    # -- problems -------------------------------------------------------------------------------------------
    def problems(self) -> list[Problem]:
        """The catalogue: the starter bank (with teachers' edits), then the problems teachers imported or wrote.

        Each stored problem is read and validated when it is first seen or its version changed (a save by any
        worker), not on every list: 10,000 imported problems cost one validation each. The problems returned are
        shared: read, do not edit."""
        versions = self.store.problem_versions()
        known = self._validated
        changed = [pid for pid, v in versions.items() if pid not in known or known[pid][0] != v]
        if len(changed) > 50:
            records = [r for r in self.store.list_problems() if r.id in set(changed)]
        else:
            records = [r for r in (self.store.get_problem(pid) for pid in changed) if r is not None]
        seen = {pid: known[pid] for pid in versions if pid in known and pid not in changed}
        for rec in records:
            try:
                problem: Problem | None = Problem.model_validate(rec.problem)
            except ValueError as exc:  # a stored record from an older schema: skip, say so in the log
                problem = None
                log.warning("stored problem %s no longer validates: %s", rec.id, exc)
            seen[rec.id] = (versions.get(rec.id, ""), problem)
        self._validated = seen  # rows deleted since are dropped
        stored = {pid: seen[pid][1] for pid in versions if pid in seen and seen[pid][1] is not None}
        starter = [stored.pop(p.id, p) for p in load_starter()]  # a teacher's edit overrides the starter copy
        return starter + list(stored.values())

    def start_knowledge(self) -> threading.Thread:
        """Open the Chroma knowledge store in the background, seed the starter bank, mirror the SQL-stored problems."""

        def stored() -> list[Problem]:
            ids = {rec.id for rec in self.store.list_problems()}
            return [attach_tree(p) for p in self.problems() if p.id in ids]

        return self.knowledge.start(stored)

    def problem(self, problem_id: str) -> Problem:
        """One problem by id: the stored one (a teacher's) or else the starter one; one row read, not the catalogue."""
        rec = self.store.get_problem(problem_id) if isinstance(problem_id, str) else None
        if rec is not None:
            try:
                return attach_tree(Problem.model_validate(rec.problem))
            except ValueError as exc:
                log.warning("stored problem %s no longer validates: %s", rec.id, exc)
        try:
            return attach_tree(starter_problem(str(problem_id)))
        except KeyError:
            raise InputError(f"There is no problem {problem_id!r}.") from None


def attach_tree(problem: Problem) -> Problem:
    if problem.tree is None:
        problem.tree = tree_for(problem)
    return problem


def opt_int(value: Any) -> int | None:
    """A dropdown's or field's integer ("3", "3 Ada", "3: Ada"); None for empty or "all"."""
    if value in (None, "", "all"):
        return None
    try:
        return int(str(value).split(" ")[0].split(":")[0])
    except ValueError:
        raise InputError(f"{value!r} is not a valid choice.") from None


def check_text(text: Any, limit: int = MAX_MESSAGE_CHARS, what: str = "message") -> tuple[str, str]:
    """Normalise a person's text. Returns (text, notice); the notice says when it was cut. Empty -> InputError."""
    if isinstance(text, list):  # Gradio 6 message content: a list of parts
        text = "\n".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in text)
    if isinstance(text, dict):
        text = text.get("text", "")
    if not isinstance(text, str):
        raise InputError(f"The {what} must be text.")
    text = text.replace("\x00", "").strip()
    if not text:
        raise InputError(f"The {what} is empty; type something first.")
    if len(text) > limit:
        return text[:limit], f"Your {what} was {len(text):,} characters; only the first {limit:,} were kept."
    return text, ""
