"""One `open_db()` for SQLite and PostgreSQL: pragmas, paramstyle conversion, transactions.

SQL in this package is written once with `?` placeholders and portable types (TEXT timestamps, INTEGER booleans,
TEXT JSON). `Database.execute` rewrites `?` to `%s` for psycopg. Dialect differences that remain (auto-increment
ids) are spelled as `{id}` in migrations and filled per dialect.
"""

from __future__ import annotations

import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from errors import ConfigError

Dialect = Literal["sqlite", "postgres"]

ID_COLUMN = {
    "sqlite": "INTEGER PRIMARY KEY AUTOINCREMENT",
    "postgres": "BIGSERIAL PRIMARY KEY",
}

_PLACEHOLDER = re.compile(r"\?")


def dump_json(value: Any) -> str | None:
    """A TEXT JSON column's value (None stays NULL)."""
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def load_json(text: str | None) -> Any:
    """A TEXT JSON column read back (NULL and "" are None)."""
    return None if text in (None, "") else json.loads(text)


def sqlite_path(url: str) -> str:
    """SQLAlchemy-style: `sqlite:////abs/path`, `sqlite:///rel/path`, `sqlite:///:memory:`, or a bare path."""
    if url.startswith("sqlite:///"):
        return url[len("sqlite:///") :] or ":memory:"
    if url.startswith("sqlite://"):
        return url[len("sqlite://") :] or ":memory:"
    return url


class Database:
    """A thread-safe wrapper over one DB-API connection. Every public call runs under a lock."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        self._depth = 0
        if url.startswith(("postgresql://", "postgres://")):
            self.dialect: Dialect = "postgres"
            try:
                import psycopg
            except ImportError as exc:  # pragma: no cover - psycopg is in requirements.txt
                raise ConfigError("PostgreSQL needs psycopg: pip install 'psycopg[binary]'.") from exc
            try:
                self._conn = psycopg.connect(url, autocommit=True, connect_timeout=5)
            except psycopg.OperationalError as exc:
                raise ConfigError(
                    "Could not connect to the PostgreSQL server; check the database URL and that the server is up.",
                    f"psycopg.connect({_redact(url)}): {exc}",
                ) from exc
        else:
            self.dialect = "sqlite"
            path = sqlite_path(url)
            if path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: autocommit, transactions are explicit (BEGIN ... COMMIT) in `transaction()`.
            self._conn = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA foreign_keys=ON")
            self._conn.execute("PRAGMA busy_timeout=10000")
            self._conn.execute("PRAGMA synchronous=NORMAL")

    # -- SQL ----------------------------------------------------------------------------------------------
    def _sql(self, sql: str) -> str:
        return _PLACEHOLDER.sub("%s", sql) if self.dialect == "postgres" else sql

    def execute(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Run one statement; return its rows as dicts (empty for statements without a result)."""
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute(self._sql(sql), tuple(params))
                if cur.description is None:
                    return []
                names = [d[0] for d in cur.description]
                return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
            finally:
                cur.close()

    def one(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        rows = self.execute(sql, params)
        return rows[0] if rows else None

    def script(self, statements: Sequence[str]) -> None:
        for stmt in statements:
            self.execute(stmt)

    @contextmanager
    def transaction(self) -> Iterator[Database]:
        """BEGIN ... COMMIT (ROLLBACK on error). Nested use joins the outer transaction."""
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self
                finally:
                    self._depth -= 1
                return
            self.execute("BEGIN")
            self._depth = 1
            try:
                yield self
            except BaseException:
                self._depth = 0
                self.execute("ROLLBACK")
                raise
            self._depth = 0
            self.execute("COMMIT")

    def tables(self) -> list[str]:
        if self.dialect == "sqlite":
            rows = self.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")
        else:
            rows = self.execute(
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
            )
        return sorted(r["name"] for r in rows)

    def columns(self, table: str) -> list[str]:
        if self.dialect == "sqlite":
            return [r["name"] for r in self.execute(f"PRAGMA table_info({table})")]
        rows = self.execute(
            "SELECT column_name AS name FROM information_schema.columns WHERE table_schema = current_schema() "
            "AND table_name = ? ORDER BY ordinal_position",
            (table,),
        )
        return [r["name"] for r in rows]

    def pragma(self, name: str) -> Any:
        row = self.one(f"PRAGMA {name}")
        return next(iter(row.values())) if row else None

    def close(self) -> None:
        with self._lock:
            self._conn.close()


def _redact(url: str) -> str:
    return re.sub(r"//([^:/@]+):[^@]*@", r"//\1:***@", url)
