"""Users, classes, sessions, turns, annotations, problems and eval runs: SQLite by default, PostgreSQL by URL.

`connect(url)` opens the database (SQLite pragmas: WAL, foreign keys, busy timeout), applies pending numbered
migrations and returns a `Store`.
"""

from store.accounts import TOKEN_TTL, password_problem
from store.db import Database
from store.export import export_sessions, write_sessions
from store.migrations import CURRENT_VERSION, MIGRATIONS, migrate, schema_version
from store.sessions import session_cursor
from store.store import Store, connect
from store.types import Annotation, ClassRoom, EvalRun, ProblemRecord, SessionFilter, Turn, TutoringSession, User
from store.visible import visible_controls

__all__ = [
    "CURRENT_VERSION",
    "MIGRATIONS",
    "TOKEN_TTL",
    "Annotation",
    "ClassRoom",
    "Database",
    "EvalRun",
    "ProblemRecord",
    "SessionFilter",
    "Store",
    "Turn",
    "TutoringSession",
    "User",
    "connect",
    "export_sessions",
    "migrate",
    "password_problem",
    "schema_version",
    "session_cursor",
    "visible_controls",
    "write_sessions",
]
