"""Numbered schema migrations. Append a new entry; never edit an applied one.

Each migration is (number, name, statements). `{id}` is the dialect's auto-increment primary key. Timestamps are
ISO-8601 UTC text, booleans INTEGER 0/1, JSON documents TEXT, so the same queries run on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import UTC, datetime

from store.db import ID_COLUMN, Database

MIGRATIONS: list[tuple[int, str, list[str]]] = [
    (
        1,
        "initial",
        [
            """CREATE TABLE users (
                id {id},
                username TEXT NOT NULL UNIQUE,
                display_name TEXT NOT NULL DEFAULT '',
                role TEXT NOT NULL CHECK (role IN ('student', 'teacher')),
                password_hash TEXT NOT NULL,
                created_at TEXT NOT NULL
            )""",
            """CREATE TABLE auth_tokens (
                token TEXT PRIMARY KEY,
                user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                created_at TEXT NOT NULL,
                expires_at TEXT NOT NULL
            )""",
            """CREATE TABLE classes (
                id {id},
                name TEXT NOT NULL,
                join_code TEXT NOT NULL UNIQUE,
                teacher_id INTEGER NOT NULL REFERENCES users(id),
                model TEXT NOT NULL DEFAULT '',
                policy TEXT NOT NULL DEFAULT 'tree' CHECK (policy IN ('tree', 'vanilla', 'telling')),
                allow_final_bottom_out INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL
            )""",
            """CREATE TABLE memberships (
                class_id INTEGER NOT NULL REFERENCES classes(id) ON DELETE CASCADE,
                user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
                joined_at TEXT NOT NULL,
                PRIMARY KEY (class_id, user_id)
            )""",
            """CREATE TABLE problems (
                id TEXT PRIMARY KEY,
                domain TEXT NOT NULL CHECK (domain IN ('math', 'code')),
                title TEXT NOT NULL,
                source TEXT NOT NULL,
                problem_json TEXT NOT NULL,
                author_id INTEGER REFERENCES users(id),
                created_at TEXT NOT NULL,
                updated_at TEXT NOT NULL
            )""",
            """CREATE TABLE sessions (
                id {id},
                student_id INTEGER NOT NULL REFERENCES users(id),
                class_id INTEGER REFERENCES classes(id),
                problem_id TEXT NOT NULL,
                problem_json TEXT NOT NULL,
                policy TEXT NOT NULL,
                model TEXT NOT NULL DEFAULT '',
                started_at TEXT NOT NULL,
                ended_at TEXT,
                outcome TEXT NOT NULL DEFAULT 'active'
                    CHECK (outcome IN ('active', 'solved', 'max_turns', 'restarted', 'abandoned'))
            )""",
            "CREATE INDEX sessions_student ON sessions(student_id)",
            "CREATE INDEX sessions_class ON sessions(class_id)",
            """CREATE TABLE turns (
                id {id},
                session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
                idx INTEGER NOT NULL,
                role TEXT NOT NULL CHECK (role IN ('student', 'tutor')),
                text TEXT NOT NULL,
                trace TEXT,
                guard TEXT,
                latency_ms REAL,
                move TEXT,
                created_at TEXT NOT NULL,
                UNIQUE (session_id, idx)
            )""",
            """CREATE TABLE annotations (
                id {id},
                turn_id INTEGER NOT NULL REFERENCES turns(id) ON DELETE CASCADE,
                teacher_id INTEGER NOT NULL REFERENCES users(id),
                comment TEXT NOT NULL DEFAULT '',
                flag INTEGER NOT NULL DEFAULT 0,
                created_at TEXT NOT NULL
            )""",
            "CREATE INDEX annotations_turn ON annotations(turn_id)",
            """CREATE TABLE eval_runs (
                id {id},
                name TEXT NOT NULL,
                config TEXT NOT NULL,
                status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'done', 'failed')),
                report_dir TEXT NOT NULL DEFAULT '',
                summary TEXT NOT NULL DEFAULT '{{}}',
                created_by INTEGER REFERENCES users(id),
                started_at TEXT NOT NULL,
                finished_at TEXT
            )""",
        ],
    ),
    (
        2,
        "session leases",
        [
            # One row while a worker answers a session's message: several app workers on one database take turns.
            """CREATE TABLE session_leases (
                session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
                holder TEXT NOT NULL,
                expires_at TEXT NOT NULL
            )""",
        ],
    ),
    (
        3,
        "throttle failures",
        [
            # Failed logins, sign-ups and join codes (key: "user:<name>", "client:<addr>", ...), shared by all workers.
            """CREATE TABLE throttle_failures (
                key TEXT NOT NULL,
                at DOUBLE PRECISION NOT NULL
            )""",
            "CREATE INDEX throttle_failures_key_at ON throttle_failures (key, at)",
        ],
    ),
]

CURRENT_VERSION = MIGRATIONS[-1][0]


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def schema_version(db: Database) -> int:
    if "schema_version" not in db.tables():
        return 0
    row = db.one("SELECT MAX(version) AS v FROM schema_version")
    return int(row["v"] or 0) if row else 0


def migrate(db: Database) -> list[int]:
    """Apply every migration newer than the database's version, each in its own transaction. Returns those applied.

    On PostgreSQL an advisory lock makes app workers that start together migrate one after another."""
    if db.dialect == "postgres":
        db.execute("SELECT pg_advisory_lock(?)", (MIGRATION_LOCK,))
        try:
            return _migrate(db)
        finally:
            db.execute("SELECT pg_advisory_unlock(?)", (MIGRATION_LOCK,))
    return _migrate(db)


MIGRATION_LOCK = 0x7475746F72  # "tutor": the advisory-lock key of the migrations


def _migrate(db: Database) -> list[int]:
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT "
        "NOT NULL)"
    )
    applied = []
    current = schema_version(db)
    for number, name, statements in MIGRATIONS:
        if number <= current:
            continue
        with db.transaction():
            for stmt in statements:
                db.execute(stmt.format(id=ID_COLUMN[db.dialect]))
            db.execute("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)", (number, name, now()))
        applied.append(number)
    return applied
