"""Tutoring sessions: their turns, the lease one app worker holds while it answers, and teachers' annotations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from errors import InputError
from store.db import Database, dump_json, load_json
from store.migrations import now
from store.types import Annotation, SessionFilter, Turn, TutoringSession, User

# The sessions `s` a teacher sees: in one of their classes, or of a student in one of them (params: teacher id twice).
_TEACHERS = (
    "(s.class_id IN (SELECT id FROM classes WHERE teacher_id = ?) OR s.student_id IN "
    "(SELECT m.user_id FROM memberships m JOIN classes c ON c.id = m.class_id WHERE c.teacher_id = ?))"
)


class Sessions:
    """The sessions, turns and annotations part of `Store`."""

    db: Database

    # -- sessions & turns -----------------------------------------------------------------------------------
    def start_session(
        self, student_id: int, problem: dict[str, Any], *, policy: str, model: str = "", class_id: int | None = None
    ) -> TutoringSession:
        row = self.db.one(
            "INSERT INTO sessions (student_id, class_id, problem_id, problem_json, policy, model, started_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (student_id, class_id, problem["id"], dump_json(problem), policy, model, now()),
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
        "(SELECT COUNT(*) FROM annotations a JOIN turns t ON t.id = a.turn_id WHERE t.session_id = s.id AND a.flag = "
        "1) AS n_flags "
        "FROM sessions s JOIN users u ON u.id = s.student_id"
    )

    def get_session(self, session_id: int) -> TutoringSession | None:
        row = self.db.one(self._SESSION_SELECT + " WHERE s.id = ?", (session_id,))
        return _session(row) if row else None

    def list_sessions(
        self,
        flt: SessionFilter | None = None,
        *,
        teacher_id: int | None = None,
        limit: int = 500,
        after: str | None = None,
    ) -> list[TutoringSession]:
        """One page of the sessions matching the filter, newest first. `teacher_id` limits to students in that
        teacher's classes. `after` is a page's cursor (`session_cursor` of its last session): the next page starts
        after it, so pages neither skip nor repeat sessions while new ones arrive."""
        flt = flt or SessionFilter()
        where, params = [], []
        if teacher_id is not None:
            where.append(_TEACHERS)
            params += [teacher_id, teacher_id]
        if flt.class_id is not None:
            where.append("(s.class_id = ? OR s.student_id IN (SELECT user_id FROM memberships WHERE class_id = ?))")
            params += [flt.class_id, flt.class_id]
        for column, value in (
            ("s.student_id", flt.student_id),
            ("s.problem_id", flt.problem_id),
            ("s.outcome", flt.outcome),
        ):
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
            where.append(
                f"{'' if flt.flagged else 'NOT '}EXISTS (SELECT 1 FROM annotations a JOIN turns t ON t.id = a.turn_id "
                "WHERE t.session_id = s.id AND a.flag = 1)"
            )
        if after:
            started, _, sid = after.rpartition("|")
            if not started or not sid.isdigit():
                raise InputError("That page cursor is not valid.")
            where.append("(s.started_at < ? OR (s.started_at = ? AND s.id < ?))")
            params += [started, started, int(sid)]
        sql = (
            self._SESSION_SELECT
            + (" WHERE " + " AND ".join(where) if where else "")
            + " ORDER BY s.started_at DESC, s.id DESC"
        )
        return [_session(r) for r in self.db.execute(sql + f" LIMIT {int(limit)}", params)]

    def session_problems(self, teacher_id: int) -> list[str]:
        """The ids of the problems in any of the teacher's sessions (all of them, not one page), sorted."""
        rows = self.db.execute(
            f"SELECT DISTINCT s.problem_id FROM sessions s WHERE {_TEACHERS} ORDER BY s.problem_id",
            (teacher_id, teacher_id),
        )
        return [str(r["problem_id"]) for r in rows]

    def iter_sessions(
        self, flt: SessionFilter | None = None, *, teacher_id: int | None = None, page: int = 500
    ) -> Iterator[TutoringSession]:
        """Every session matching the filter, newest first, read a page at a time."""
        after = None
        while True:
            rows = self.list_sessions(flt, teacher_id=teacher_id, limit=page, after=after)
            yield from rows
            if len(rows) < page:
                return
            after = session_cursor(rows[-1])

    def add_turn(
        self,
        session_id: int,
        role: str,
        text: str,
        *,
        trace: dict[str, Any] | None = None,
        guard: dict[str, Any] | None = None,
        latency_ms: float | None = None,
        move: str | None = None,
    ) -> Turn:
        """Append a turn (its idx is the next free one) and commit before returning."""
        with self.db.transaction():
            row = self.db.one("SELECT COALESCE(MAX(idx), -1) + 1 AS n FROM turns WHERE session_id = ?", (session_id,))
            idx = int(row["n"]) if row else 0
            new = self.db.one(
                "INSERT INTO turns (session_id, idx, role, text, trace, guard, latency_ms, move, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                (session_id, idx, role, text, dump_json(trace), dump_json(guard), latency_ms, move, now()),
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
        return [
            _turn(r) for r in self.db.execute("SELECT * FROM turns WHERE session_id = ? ORDER BY idx", (session_id,))
        ]

    def get_turn(self, turn_id: int) -> Turn | None:
        row = self.db.one("SELECT * FROM turns WHERE id = ?", (turn_id,))
        return _turn(row) if row else None

    def can_read_session(self, user: User, session_id: int) -> bool:
        sess = self.get_session(session_id)
        if sess is None:
            return False
        if user.role == "student":
            return sess.student_id == user.id
        return any(
            s.id == session_id
            for s in self.iter_sessions(SessionFilter(student_id=sess.student_id), teacher_id=user.id)
        )

    # -- annotations ----------------------------------------------------------------------------------------
    def annotate(self, turn_id: int, teacher_id: int, *, comment: str = "", flag: bool = False) -> Annotation:
        if not comment.strip() and not flag:
            raise InputError("Write a comment or set the flag.")
        row = self.db.one(
            "INSERT INTO annotations (turn_id, teacher_id, comment, flag, created_at) VALUES (?, ?, ?, ?, ?) "
            "RETURNING *",
            (turn_id, teacher_id, comment.strip(), int(flag), now()),
        )
        assert row is not None
        return Annotation(**{**row, "flag": bool(row["flag"])})

    def annotations(self, session_id: int) -> list[Annotation]:
        rows = self.db.execute(
            "SELECT a.* FROM annotations a JOIN turns t ON t.id = a.turn_id WHERE t.session_id = ? ORDER BY a.id",
            (session_id,),
        )
        return [Annotation(**{**r, "flag": bool(r["flag"])}) for r in rows]


def session_cursor(session: TutoringSession) -> str:
    """The cursor of a page that ends with `session` (see `Store.list_sessions`)."""
    return f"{session.started_at}|{session.id}"


def _session(row: dict[str, Any]) -> TutoringSession:
    row = dict(row)
    row["problem"] = load_json(row.pop("problem_json"))
    row["flagged"] = bool(row.pop("n_flags", 0))
    row["n_turns"] = int(row.get("n_turns") or 0)
    return TutoringSession(**row)


def _turn(row: dict[str, Any]) -> Turn:
    row = dict(row)
    row["trace"] = load_json(row["trace"])
    row["guard"] = load_json(row["guard"])
    return Turn(**row)
