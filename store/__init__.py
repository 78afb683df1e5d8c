"""Users, classes, sessions, turns, annotations, problems and eval runs: SQLite by default, PostgreSQL by URL.

`connect(url)` opens the database (SQLite pragmas: WAL, foreign keys, busy timeout), applies pending numbered
migrations and returns a `Store`.
"""

from store.db import Database
from store.export import export_sessions, write_sessions
from store.migrations import CURRENT_VERSION, MIGRATIONS, migrate, schema_version
from store.store import Store
from store.types import (
    Annotation,
    ClassRoom,
    EvalRun,
    ProblemRecord,
    SessionFilter,
    Turn,
    TutoringSession,
    User,
)
from store.visible import visible_controls


def connect(url: str) -> Store:
    """Open (and migrate) the store at `url`: `sqlite:///path`, a bare file path, or `postgresql://...`."""
    return Store(Database(url))


__all__ = [
    "CURRENT_VERSION", "MIGRATIONS", "Annotation", "ClassRoom", "Database", "EvalRun", "ProblemRecord",
    "SessionFilter", "Store", "Turn", "TutoringSession", "User", "connect", "export_sessions", "migrate",
    "schema_version", "visible_controls", "write_sessions",
]
