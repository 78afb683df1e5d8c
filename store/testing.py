"""Helpers for tests that run the same store suite on SQLite and on a real PostgreSQL server."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

POSTGRES_ENV = "TUTOR_TEST_POSTGRES_URL"


def postgres_unavailable_reason() -> str | None:
    """None when TUTOR_TEST_POSTGRES_URL names a reachable server, else why the PostgreSQL tests skip."""
    url = os.environ.get(POSTGRES_ENV, "")
    if not url:
        return f"{POSTGRES_ENV} is not set: start a PostgreSQL server (see .ci/run) and export its URL to run these"
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3):
            pass
    except Exception as exc:  # any failure to reach the server means: skip, with the reason
        return f"PostgreSQL at {POSTGRES_ENV} is unreachable ({type(exc).__name__}: {str(exc).strip()[:120]})"
    return None


@contextmanager
def fresh_database_url(kind: str, tmp_path: Path) -> Iterator[str]:
    """A URL to an empty database: a new SQLite file, or a new schema on the test PostgreSQL server (dropped after)."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    import psycopg

    base = os.environ[POSTGRES_ENV]
    schema = "t_" + secrets.token_hex(6)
    with psycopg.connect(base, autocommit=True) as admin:
        admin.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options={quote(f'-c search_path={schema}')}"
    finally:
        with psycopg.connect(base, autocommit=True) as admin:
            admin.execute(f"DROP SCHEMA {schema} CASCADE")
