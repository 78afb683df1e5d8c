"""The app's thin link to the Chroma knowledge store (`knowledge.store.KnowledgeStore` under `settings.chroma_dir`).

`start()` opens the store and seeds the starter bank (first run) in a background thread, then upserts the problems
teachers stored in SQL so both stores agree. Every call is best effort: a failure is logged and the app keeps
working from the starter bank and the SQL store; `search()` returns None until the store is ready (the caller then
falls back to a substring filter).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable
from typing import Any

from knowledge.store import KnowledgeStore, default_store, seed_starter
from knowledge.types import Problem
from settings import Settings

log = logging.getLogger(__name__)


class KnowledgeLink:
    def __init__(self, settings: Settings, *, embedder: Any = None) -> None:
        self.settings = settings
        self.embedder = embedder  # None: the packaged MiniLM (through knowledge.store.default_store)
        self.store: Any = None
        self.error: str = ""
        self.seeded = 0
        self.ready = threading.Event()  # set when the store is open and seeded (or when opening failed)
        self._lock = threading.Lock()
        self._pending: dict[str, Problem] = {}
        self._thread: threading.Thread | None = None

    # -- startup ----------------------------------------------------------------------------------------------
    def start(self, extra: Callable[[], Iterable[Problem]] | None = None) -> threading.Thread:
        """Open and seed in a daemon thread; `extra()` gives problems to upsert after seeding (the SQL store's)."""
        self._thread = threading.Thread(target=self._open, args=(extra,), name="knowledge-seed", daemon=True)
        self._thread.start()
        return self._thread

    def _open(self, extra: Callable[[], Iterable[Problem]] | None) -> None:
        try:
            where = self.settings.chroma_url or self.settings.chroma_dir
            store = (
                KnowledgeStore(self.settings.chroma_dir, url=self.settings.chroma_url, embedder=self.embedder)
                if self.embedder is not None
                else default_store(self.settings)
            )
            self.seeded = seed_starter(store)
            synced = store.upsert(list(extra())) if extra is not None else 0
            with self._lock:
                self.store = store
                pending, self._pending = list(self._pending.values()), {}
            if pending:
                store.upsert(pending)
            log.info(
                "knowledge store at %s: %d problems (%d seeded from the starter bank, %d synced from the database)",
                where,
                store.count("problems"),
                self.seeded,
                synced + len(pending),
            )
        except Exception as exc:  # noqa: BLE001 - the app must keep working without the knowledge store
            self.error = f"{type(exc).__name__}: {exc}"
            log.warning("knowledge store unavailable (%s); search falls back to substring matching", self.error)
        finally:
            self.ready.set()

    def wait(self, timeout: float | None = None) -> bool:
        return self.ready.wait(timeout)

    # -- writing ----------------------------------------------------------------------------------------------
    def upsert(self, problems: Iterable[Problem]) -> int:
        """Mirror problems into the knowledge store; queued while the store is still opening. Never raises."""
        problems = list(problems)
        if not problems:
            return 0
        with self._lock:
            store = self.store
            if store is None:
                if not self.ready.is_set():
                    self._pending.update({p.id: p for p in problems})
                return 0
        try:
            n = store.upsert(problems)
            log.info("knowledge store: upserted %d problem(s)", n)
            return n
        except Exception as exc:  # noqa: BLE001 - best effort: the SQL store already holds them
            log.warning(
                "knowledge store upsert of %d problem(s) failed: %s: %s", len(problems), type(exc).__name__, exc
            )
            return 0

    # -- reading ----------------------------------------------------------------------------------------------
    def search(self, text: str, k: int = 50) -> list[str] | None:
        """Problem ids ranked by meaning, or None when the store is not ready (or the search failed)."""
        store = self.store
        if store is None:
            return None
        try:
            return [p.id for p in store.search(text, k=k)]
        except Exception as exc:  # noqa: BLE001
            log.warning("knowledge search failed (%s: %s); using substring matching", type(exc).__name__, exc)
            return None


def substring_match(problems: Iterable[Problem], text: str) -> list[Problem]:
    """Problems whose id, title, statement or skills contain every word of `text` (case-insensitive)."""
    words = text.lower().split()
    out = []
    for p in problems:
        hay = " ".join([p.id, p.title, p.statement, " ".join(p.skills)]).lower()
        if all(w in hay for w in words):
            out.append(p)
    return out


def rank_problems(
    link: KnowledgeLink | None, problems: list[Problem], text: str, limit: int = 20
) -> tuple[list[Problem], str]:
    """Filter and order `problems` by `text`: by meaning through the store, else by substring. Returns (problems,
    how)."""
    text = (text or "").strip()
    if not text:
        return problems, ""
    allowed = {p.id: p for p in problems}
    ids = link.search(text, k=500) if link is not None else None
    if ids is not None:
        ranked = [allowed[i] for i in ids if i in allowed]
        if ranked:
            return ranked[:limit], "meaning"
    return substring_match(problems, text)[:limit], "text"
