"""The store: users, classes, sessions, turns, annotations, problems and eval runs over one `Database`.

Every write commits before the method returns, so a turn the app has recorded survives a crash of the process.
Authorization lives in the callers (ui.service); this layer offers the scoped queries they need
(`sessions_visible_to`, `can_read_session`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from errors import InputError
from store.db import Database
from store.migrations import migrate, now
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

TOKEN_TTL = timedelta(hours=12)
# The most common passwords of leaked lists (lower-cased); a password equal to one of them or to the username
# (ignoring case) is refused.
_COMMON = """
password password1 password12 password123 password1234 passw0rd p@ssword p@ssw0rd 12345678 123456789 1234567890
87654321 11111111 00000000 12341234 11223344 qwertyui qwertyuiop qwerty123 1q2w3e4r 1qaz2wsx asdfghjk asdfghjkl
zxcvbnm1 iloveyou iloveyou1 sunshine princess football baseball welcome welcome1 letmein1 trustno1 dragon12
monkey12 superman batman12 starwars computer whatever abcdefgh abcd1234 abc12345 admin123 administrator changeme
secret12 teacher1 student1 students teacher123 student123 school123 letmeinplease
"""
COMMON_PASSWORDS = frozenset(_COMMON.split())


def password_problem(username: str, password: str) -> str:
    """Why a password is refused, or "" when it is acceptable."""
    if len(password) < 8:
        return "A password needs at least 8 characters."
    low, name = password.lower(), username.strip().lower()
    if low == name:
        return "A password must not be the username."
    if low in COMMON_PASSWORDS or len(set(low)) < 3:
        return "That password is one of the most common ones; choose a less guessable password."
    return ""


def token_hash(token: str) -> str:
    """Tokens are stored as their SHA-256: a leaked database holds no usable token (tokens are 256-bit random)."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
_JOIN_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def _hasher():
    from argon2 import PasswordHasher

    return PasswordHasher()


def _dumps(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str)


def _loads(text: str | None) -> Any:
    return None if text in (None, "") else json.loads(text)


class Store:
    def __init__(self, db: Database) -> None:
        self.db = db
        migrate(db)

    def close(self) -> None:
        self.db.close()

    # -- users & login --------------------------------------------------------------------------------------
    def create_user(self, username: str, password: str, role: str, display_name: str = "") -> User:
        username = username.strip()
        if not username or len(username) > 64:
            raise InputError("A username needs 1 to 64 characters.")
        if problem := password_problem(username, password):
            raise InputError(problem)
        if role not in ("student", "teacher"):
            raise InputError("The role must be student or teacher.")
        if self.db.one("SELECT id FROM users WHERE username = ?", (username,)):
            raise InputError(f"The username {username!r} is taken.")
        row = self.db.one(
            "INSERT INTO users (username, display_name, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?) "
            "RETURNING id, username, display_name, role, created_at",
            (username, display_name.strip() or username, role, _hasher().hash(password), now()),
        )
        assert row is not None
        return User(**row)

    def _user_row(self, where: str, value: Any) -> dict[str, Any] | None:
        return self.db.one(f"SELECT id, username, display_name, role, created_at, password_hash FROM users WHERE {where} = ?", (value,))

    def get_user(self, user_id: int) -> User | None:
        row = self._user_row("id", user_id)
        return User(**{k: v for k, v in row.items() if k != "password_hash"}) if row else None

    def user_by_name(self, username: str) -> User | None:
        row = self._user_row("username", username.strip())
        return User(**{k: v for k, v in row.items() if k != "password_hash"}) if row else None

    def authenticate(self, username: str, password: str) -> User | None:
        from argon2.exceptions import InvalidHashError, VerificationError

        row = self._user_row("username", username.strip())
        if row is None:
            _hasher().hash(password)  # same cost whether or not the user exists
            return None
        try:
            _hasher().verify(row["password_hash"], password)
        except (VerificationError, InvalidHashError):
            return None
        return User(**{k: v for k, v in row.items() if k != "password_hash"})

    def count_users(self, role: str | None = None) -> int:
        if role:
            row = self.db.one("SELECT COUNT(*) AS n FROM users WHERE role = ?", (role,))
        else:
            row = self.db.one("SELECT COUNT(*) AS n FROM users")
        return int(row["n"]) if row else 0

    def list_users(self, role: str | None = None) -> list[User]:
        sql = "SELECT id, username, display_name, role, created_at FROM users"
        rows = self.db.execute(sql + " WHERE role = ? ORDER BY username", (role,)) if role else self.db.execute(sql + " ORDER BY username")
        return [User(**r) for r in rows]

    def issue_token(self, user_id: int) -> str:
        token = secrets.token_urlsafe(32)
        expires = (datetime.now(UTC) + TOKEN_TTL).isoformat(timespec="seconds")
        self.db.execute("INSERT INTO auth_tokens (token, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)", (token_hash(token), user_id, now(), expires))
        return token

    def user_for_token(self, token: str | None) -> User | None:
        if not token or not isinstance(token, str):
            return None
        row = self.db.one("SELECT user_id, expires_at FROM auth_tokens WHERE token = ?", (token_hash(token),))
        if row is None or row["expires_at"] < now():
            return None
        return self.get_user(int(row["user_id"]))

    def revoke_token(self, token: str) -> None:
        self.db.execute("DELETE FROM auth_tokens WHERE token = ?", (token_hash(token),))

    # -- throttle -------------------------------------------------------------------------------------------
    def record_failure(self, key: str, at: float) -> None:
        self.db.execute("INSERT INTO throttle_failures (key, at) VALUES (?, ?)", (key, at))

    def failures_since(self, key: str, since: float) -> list[float]:
        """The times (Unix seconds) of `key`'s failures after `since`, oldest first."""
        rows = self.db.execute("SELECT at FROM throttle_failures WHERE key = ? AND at > ? ORDER BY at", (key, since))
        return [float(r["at"]) for r in rows]

    def forget_failures(self, before: float) -> None:
        self.db.execute("DELETE FROM throttle_failures WHERE at <= ?", (before,))

    # -- classes --------------------------------------------------------------------------------------------
    def create_class(self, teacher_id: int, name: str, *, model: str = "", policy: str = "tree", allow_final_bottom_out: bool = False) -> ClassRoom:
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
        return [ClassRoom(**r) for r in self.db.execute("SELECT * FROM classes WHERE teacher_id = ? ORDER BY id", (teacher_id,))]

    def classes_of_student(self, user_id: int) -> list[ClassRoom]:
        rows = self.db.execute(
            "SELECT c.* FROM classes c JOIN memberships m ON m.class_id = c.id WHERE m.user_id = ? ORDER BY m.joined_at, c.id",
            (user_id,),
        )
        return [ClassRoom(**r) for r in rows]

    def join_class(self, user_id: int, join_code: str) -> ClassRoom:
        row = self.db.one("SELECT * FROM classes WHERE join_code = ?", (join_code.strip().upper(),))
        if row is None:
            raise InputError("No class has that join code; check it with your teacher.")
        if not self.db.one("SELECT 1 AS x FROM memberships WHERE class_id = ? AND user_id = ?", (row["id"], user_id)):
            self.db.execute("INSERT INTO memberships (class_id, user_id, joined_at) VALUES (?, ?, ?)", (row["id"], user_id, now()))
        return ClassRoom(**row)

    def update_class(self, class_id: int, *, model: str | None = None, policy: str | None = None, allow_final_bottom_out: bool | None = None) -> ClassRoom:
        if policy is not None and policy not in ("tree", "vanilla", "telling"):
            raise InputError("The policy must be tree, vanilla or telling.")
        with self.db.transaction():
            if model is not None:
                self.db.execute("UPDATE classes SET model = ? WHERE id = ?", (model, class_id))
            if policy is not None:
                self.db.execute("UPDATE classes SET policy = ? WHERE id = ?", (policy, class_id))
            if allow_final_bottom_out is not None:
                self.db.execute("UPDATE classes SET allow_final_bottom_out = ? WHERE id = ?", (int(allow_final_bottom_out), class_id))
        found = self.get_class(class_id)
        if found is None:
            raise InputError("No such class.")
        return found

    def students_of_teacher(self, teacher_id: int) -> list[User]:
        rows = self.db.execute(
            "SELECT DISTINCT u.id, u.username, u.display_name, u.role, u.created_at FROM users u "
            "JOIN memberships m ON m.user_id = u.id JOIN classes c ON c.id = m.class_id WHERE c.teacher_id = ? ORDER BY u.username",
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
                    "UPDATE problems SET domain = ?, title = ?, source = ?, problem_json = ?, updated_at = ? WHERE id = ?",
                    (problem["domain"], problem["title"], problem.get("source", "teacher"), _dumps(problem), stamp, problem["id"]),
                )
            else:
                self.db.execute(
                    "INSERT INTO problems (id, domain, title, source, problem_json, author_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (problem["id"], problem["domain"], problem["title"], problem.get("source", "teacher"), _dumps(problem), author_id, stamp, stamp),
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

    # -- sessions & turns -----------------------------------------------------------------------------------
    def start_session(self, student_id: int, problem: dict[str, Any], *, policy: str, model: str = "", class_id: int | None = None) -> TutoringSession:
        row = self.db.one(
            "INSERT INTO sessions (student_id, class_id, problem_id, problem_json, policy, model, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (student_id, class_id, problem["id"], _dumps(problem), policy, model, now()),
        )
        assert row is not None
        found = self.get_session(int(row["id"]))
        assert found is not None
        return found

    def end_session(self, session_id: int, outcome: str) -> None:
        self.db.execute("UPDATE sessions SET outcome = ?, ended_at = ? WHERE id = ?", (outcome, now(), session_id))

    _SESSION_SELECT = (
        "SELECT s.*, u.display_name AS student_name, "
        "(SELECT COUNT(*) FROM turns t WHERE t.session_id = s.id) AS n_turns, "
        "(SELECT COUNT(*) FROM annotations a JOIN turns t ON t.id = a.turn_id WHERE t.session_id = s.id AND a.flag = 1) AS n_flags "
        "FROM sessions s JOIN users u ON u.id = s.student_id"
    )

    def get_session(self, session_id: int) -> TutoringSession | None:
        row = self.db.one(self._SESSION_SELECT + " WHERE s.id = ?", (session_id,))
        return _session(row) if row else None

    def list_sessions(self, flt: SessionFilter | None = None, *, teacher_id: int | None = None, limit: int = 500,
                      after: str | None = None) -> list[TutoringSession]:
        """One page of the sessions matching the filter, newest first. `teacher_id` limits to students in that
        teacher's classes. `after` is a page's cursor (`session_cursor` of its last session): the next page starts
        after it, so pages neither skip nor repeat sessions while new ones arrive."""
        flt = flt or SessionFilter()
        where, params = [], []
        if teacher_id is not None:
            where.append(
                "(s.class_id IN (SELECT id FROM classes WHERE teacher_id = ?) OR s.student_id IN "
                "(SELECT m.user_id FROM memberships m JOIN classes c ON c.id = m.class_id WHERE c.teacher_id = ?))"
            )
            params += [teacher_id, teacher_id]
        if flt.class_id is not None:
            where.append("(s.class_id = ? OR s.student_id IN (SELECT user_id FROM memberships WHERE class_id = ?))")
            params += [flt.class_id, flt.class_id]
        for column, value in (("s.student_id", flt.student_id), ("s.problem_id", flt.problem_id), ("s.outcome", flt.outcome)):
            if value is not None:
                where.append(f"{column} = ?")
                params.append(value)
        if flt.since:
            where.append("s.started_at >= ?")
            params.append(flt.since)
        if flt.until:
            where.append("s.started_at <= ?")
            params.append(flt.until + ("T23:59:59" if len(flt.until) == 10 else ""))
        if flt.flagged is not None:
            where.append(f"{'' if flt.flagged else 'NOT '}EXISTS (SELECT 1 FROM annotations a JOIN turns t ON t.id = a.turn_id "
                         "WHERE t.session_id = s.id AND a.flag = 1)")
        if after:
            started, _, sid = after.rpartition("|")
            if not started or not sid.isdigit():
                raise InputError("That page cursor is not valid.")
            where.append("(s.started_at < ? OR (s.started_at = ? AND s.id < ?))")
            params += [started, started, int(sid)]
        sql = self._SESSION_SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY s.started_at DESC, s.id DESC"
        return [_session(r) for r in self.db.execute(sql + f" LIMIT {int(limit)}", params)]

    def iter_sessions(self, flt: SessionFilter | None = None, *, teacher_id: int | None = None,
                      page: int = 500) -> Iterator[TutoringSession]:
        """Every session matching the filter, newest first, read a page at a time."""
        after = None
        while True:
            rows = self.list_sessions(flt, teacher_id=teacher_id, limit=page, after=after)
            yield from rows
            if len(rows) < page:
                return
            after = session_cursor(rows[-1])

    def add_turn(self, session_id: int, role: str, text: str, *, trace: dict[str, Any] | None = None,
                 guard: dict[str, Any] | None = None, latency_ms: float | None = None, move: str | None = None) -> Turn:
        """Append a turn (its idx is the next free one) and commit before returning."""
        with self.db.transaction():
            row = self.db.one("SELECT COALESCE(MAX(idx), -1) + 1 AS n FROM turns WHERE session_id = ?", (session_id,))
            idx = int(row["n"]) if row else 0
            new = self.db.one(
                "INSERT INTO turns (session_id, idx, role, text, trace, guard, latency_ms, move, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (session_id, idx, role, text, _dumps(trace), _dumps(guard), latency_ms, move, now()),
            )
        assert new is not None
        return _turn(new)

    def claim_session(self, session_id: int, holder: str, ttl: timedelta) -> bool:
        """Take the session's lease for `holder` (a unique id per claim) unless another holder's lease is still
        valid. Atomic on both dialects (one upsert), so two app workers never answer one session at once."""
        stamp = datetime.now(UTC)
        row = self.db.one(
            "INSERT INTO session_leases (session_id, holder, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (session_id) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at "
            "WHERE session_leases.expires_at < ? RETURNING holder",
            (session_id, holder, (stamp + ttl).isoformat(timespec="seconds"), stamp.isoformat(timespec="seconds")),
        )
        return row is not None and row["holder"] == holder

    def release_session(self, session_id: int, holder: str) -> None:
        self.db.execute("DELETE FROM session_leases WHERE session_id = ? AND holder = ?", (session_id, holder))

    def turns(self, session_id: int) -> list[Turn]:
        return [_turn(r) for r in self.db.execute("SELECT * FROM turns WHERE session_id = ? ORDER BY idx", (session_id,))]

    def get_turn(self, turn_id: int) -> Turn | None:
        row = self.db.one("SELECT * FROM turns WHERE id = ?", (turn_id,))
        return _turn(row) if row else None

    def can_read_session(self, user: User, session_id: int) -> bool:
        sess = self.get_session(session_id)
        if sess is None:
            return False
        if user.role == "student":
            return sess.student_id == user.id
        return any(s.id == session_id for s in self.iter_sessions(SessionFilter(student_id=sess.student_id), teacher_id=user.id))

    # -- annotations ----------------------------------------------------------------------------------------
    def annotate(self, turn_id: int, teacher_id: int, *, comment: str = "", flag: bool = False) -> Annotation:
        if not comment.strip() and not flag:
            raise InputError("Write a comment or set the flag.")
        row = self.db.one(
            "INSERT INTO annotations (turn_id, teacher_id, comment, flag, created_at) VALUES (?, ?, ?, ?, ?) RETURNING *",
            (turn_id, teacher_id, comment.strip(), int(flag), now()),
        )
        assert row is not None
        return Annotation(**{**row, "flag": bool(row["flag"])})

    def annotations(self, session_id: int) -> list[Annotation]:
        rows = self.db.execute(
            "SELECT a.* FROM annotations a JOIN turns t ON t.id = a.turn_id WHERE t.session_id = ? ORDER BY a.id", (session_id,)
        )
        return [Annotation(**{**r, "flag": bool(r["flag"])}) for r in rows]

    # -- eval runs ------------------------------------------------------------------------------------------
    def start_eval_run(self, name: str, config: dict[str, Any], created_by: int | None = None) -> EvalRun:
        row = self.db.one(
            "INSERT INTO eval_runs (name, config, created_by, started_at) VALUES (?, ?, ?, ?) RETURNING *",
            (name, _dumps(config), created_by, now()),
        )
        assert row is not None
        return _eval_run(row)

    def finish_eval_run(self, run_id: int, *, status: str, report_dir: str = "", summary: dict[str, Any] | None = None) -> EvalRun:
        self.db.execute(
            "UPDATE eval_runs SET status = ?, report_dir = ?, summary = ?, finished_at = ? WHERE id = ?",
            (status, report_dir, _dumps(summary or {}), now(), run_id),
        )
        row = self.db.one("SELECT * FROM eval_runs WHERE id = ?", (run_id,))
        assert row is not None
        return _eval_run(row)

    def list_eval_runs(self) -> list[EvalRun]:
        return [_eval_run(r) for r in self.db.execute("SELECT * FROM eval_runs ORDER BY id DESC")]


def session_cursor(session: TutoringSession) -> str:
    """The cursor of a page that ends with `session` (see `Store.list_sessions`)."""
    return f"{session.started_at}|{session.id}"


def _problem_record(row: dict[str, Any]) -> ProblemRecord:
    row = dict(row)
    row["problem"] = _loads(row.pop("problem_json"))
    return ProblemRecord(**row)


def _session(row: dict[str, Any]) -> TutoringSession:
    row = dict(row)
    row["problem"] = _loads(row.pop("problem_json"))
    row["flagged"] = bool(row.pop("n_flags", 0))
    row["n_turns"] = int(row.get("n_turns") or 0)
    return TutoringSession(**row)


def _turn(row: dict[str, Any]) -> Turn:
    row = dict(row)
    row["trace"] = _loads(row["trace"])
    row["guard"] = _loads(row["guard"])
    return Turn(**row)


def _eval_run(row: dict[str, Any]) -> EvalRun:
    row = dict(row)
    row["config"] = _loads(row["config"]) or {}
    row["summary"] = _loads(row["summary"]) or {}
    return EvalRun(**row)
