"""The store: users, classes, sessions, turns, annotations, problems and eval runs over one `Database`.

Every write commits before the method returns, so a turn the app has recorded survives a crash of the process.
Authorization lives in the callers (ui.service); this layer offers the scoped queries they need
(`list_sessions(teacher_id=...)`, `can_read_session`). Accounts and sessions have their own modules
(`store.accounts`, `store.sessions`); classes, problems and eval runs are here.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from errors import InputError
from store.accounts import Accounts
from store.db import Database, dump_json, load_json
from store.migrations import migrate, now
from store.sessions import Sessions
from store.types import ClassRoom, EvalRun, ProblemRecord, User
from vocabulary import CLASS_POLICY_NAMES, DEFAULT_POLICY, or_list

_JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class Store(Accounts, Sessions):
    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    def close(self) -> None:
        self.db.close()

    # -- classes --------------------------------------------------------------------------------------------
    def create_class(
        self,
        teacher_id: int,
        name: str,
        *,
        model: str = "",
        policy: str = DEFAULT_POLICY,
        allow_final_bottom_out: bool = False,
    ) -> ClassRoom:
        if not name.strip():
            raise InputError("A class needs a name.")
        for _ in range(20):
            code = "".join(secrets.choice(_JOIN_ALPHABET) for _ in range(6))
            if not self.db.one("SELECT id FROM classes WHERE join_code = ?", (code,)):
                break
        row = self.db.one(
            "INSERT INTO classes (name, join_code, teacher_id, model, policy, allow_final_bottom_out, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (name.strip(), code, teacher_id, model, policy, int(allow_final_bottom_out), now()),
        )
        assert row is not None
        return ClassRoom(**row)

    def get_class(self, class_id: int) -> ClassRoom | None:
        row = self.db.one("SELECT * FROM classes WHERE id = ?", (class_id,))
        return ClassRoom(**row) if row else None

    def classes_of_teacher(self, teacher_id: int) -> list[ClassRoom]:
        return [
            ClassRoom(**r)
            for r in self.db.execute("SELECT * FROM classes WHERE teacher_id = ? ORDER BY id", (teacher_id,))
        ]

    def classes_of_student(self, user_id: int) -> list[ClassRoom]:
        rows = self.db.execute(
            "SELECT c.* FROM classes c JOIN memberships m ON m.class_id = c.id WHERE m.user_id = ? ORDER BY "
            "m.joined_at, c.id",
            (user_id,),
        )
        return [ClassRoom(**r) for r in rows]

    def join_class(self, user_id: int, join_code: str) -> ClassRoom:
        row = self.db.one("SELECT * FROM classes WHERE join_code = ?", (join_code.strip().upper(),))
        if row is None:
            raise InputError("No class has that join code; check it with your teacher.")
        if not self.db.one("SELECT 1 AS x FROM memberships WHERE class_id = ? AND user_id = ?", (row["id"], user_id)):
            self.db.execute(
                "INSERT INTO memberships (class_id, user_id, joined_at) VALUES (?, ?, ?)", (row["id"], user_id, now())
            )
        return ClassRoom(**row)

    def update_class(
        self,
        class_id: int,
        *,
        model: str | None = None,
        policy: str | None = None,
        allow_final_bottom_out: bool | None = None,
    ) -> ClassRoom:
        if policy is not None and policy not in CLASS_POLICY_NAMES:
            raise InputError(f"The policy must be {or_list(CLASS_POLICY_NAMES)}.")
        with self.db.transaction():
            if model is not None:
                self.db.execute("UPDATE classes SET model = ? WHERE id = ?", (model, class_id))
            if policy is not None:
                self.db.execute("UPDATE classes SET policy = ? WHERE id = ?", (policy, class_id))
            if allow_final_bottom_out is not None:
                self.db.execute(
                    "UPDATE classes SET allow_final_bottom_out = ? WHERE id = ?",
                    (int(allow_final_bottom_out), class_id),
                )
        found = self.get_class(class_id)
        if found is None:
            raise InputError("No such class.")
        return found

    def students_of_teacher(self, teacher_id: int) -> list[User]:
        rows = self.db.execute(
            "SELECT DISTINCT u.id, u.username, u.display_name, u.role, u.created_at FROM users u "
            "JOIN memberships m ON m.user_id = u.id JOIN classes c ON c.id = m.class_id WHERE c.teacher_id = ? ORDER "
            "BY u.username",
            (teacher_id,),
        )
        return [User(**r) for r in rows]

    # -- problems -------------------------------------------------------------------------------------------
    def save_problem(self, problem: dict[str, Any], author_id: int | None = None) -> ProblemRecord:
        """Insert or replace an authored/imported problem (already validated by the caller). Its updated_at has
        microseconds: with the JSON's length it is the version `problem_versions` reports."""
        stamp = datetime.now(UTC).isoformat(timespec="microseconds")
        existing = self.db.one("SELECT created_at FROM problems WHERE id = ?", (problem["id"],))
        with self.db.transaction():
            if existing:
                self.db.execute(
                    "UPDATE problems SET domain = ?, title = ?, source = ?, problem_json = ?, updated_at = ? WHERE "
                    "id = ?",
                    (
                        problem["domain"],
                        problem["title"],
                        problem.get("source", "teacher"),
                        dump_json(problem),
                        stamp,
                        problem["id"],
                    ),
                )
            else:
                self.db.execute(
                    "INSERT INTO problems (id, domain, title, source, problem_json, author_id, created_at, "
                    "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        problem["id"],
                        problem["domain"],
                        problem["title"],
                        problem.get("source", "teacher"),
                        dump_json(problem),
                        author_id,
                        stamp,
                        stamp,
                    ),
                )
        found = self.get_problem(problem["id"])
        assert found is not None
        return found

    def get_problem(self, problem_id: str) -> ProblemRecord | None:
        row = self.db.one("SELECT * FROM problems WHERE id = ?", (problem_id,))
        return _problem_record(row) if row else None

    def list_problems(self) -> list[ProblemRecord]:
        return [_problem_record(r) for r in self.db.execute("SELECT * FROM problems ORDER BY id")]

    def problem_versions(self) -> dict[str, str]:
        """Stored problem id -> a version string that changes with every save (cheap: no JSON is read)."""
        rows = self.db.execute("SELECT id, updated_at, LENGTH(problem_json) AS n FROM problems ORDER BY id")
        return {r["id"]: f"{r['updated_at']}/{r['n']}" for r in rows}

    # -- eval runs ------------------------------------------------------------------------------------------
    def start_eval_run(self, name: str, config: dict[str, Any], created_by: int | None = None) -> EvalRun:
        row = self.db.one(
            "INSERT INTO eval_runs (name, config, created_by, started_at) VALUES (?, ?, ?, ?) RETURNING *",
            (name, dump_json(config), created_by, now()),
        )
        assert row is not None
        return _eval_run(row)

    def finish_eval_run(
        self, run_id: int, *, status: str, report_dir: str = "", summary: dict[str, Any] | None = None
    ) -> EvalRun:
        self.db.execute(
            "UPDATE eval_runs SET status = ?, report_dir = ?, summary = ?, finished_at = ? WHERE id = ?",
            (status, report_dir, dump_json(summary or {}), now(), run_id),
        )
        row = self.db.one("SELECT * FROM eval_runs WHERE id = ?", (run_id,))
        assert row is not None
        return _eval_run(row)

    def list_eval_runs(self) -> list[EvalRun]:
        return [_eval_run(r) for r in self.db.execute("SELECT * FROM eval_runs ORDER BY id DESC")]


def connect(url: str) -> Store:
    """Open (and migrate) the store at `url`: `sqlite:///path`, a bare file path, or `postgresql://...`."""
    return Store(Database(url))


def _problem_record(row: dict[str, Any]) -> ProblemRecord:
    row = dict(row)
    row["problem"] = load_json(row.pop("problem_json"))
    return ProblemRecord(**row)


def _eval_run(row: dict[str, Any]) -> EvalRun:
    row = dict(row)
    row["config"] = load_json(row["config"]) or {}
    row["summary"] = load_json(row["summary"]) or {}
    return EvalRun(**row)
