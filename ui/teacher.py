"""The teacher's side: transcripts with decision traces, annotations, export and mastery.

Every function starts with `ctx.require(token, "teacher")`; transcripts are limited to students in the teacher's
classes. Writing problems and trees is `ui.authoring`.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from errors import InputError
from store import Annotation, SessionFilter, Turn, TutoringSession, visible_controls, write_sessions
from ui import render
from ui.context import AppContext, AuthError, opt_int
from ui.web import export_name, sweep_files

_Row = TypeVar("_Row", TutoringSession, Turn, Annotation)
PAGE_SIZE = 500  # transcripts per page (the teacher's list and the API); exports have every one


@dataclass(frozen=True)
class Transcript:
    """One session as a teacher reads it (control characters marked): its turns with their decision traces, the
    teachers' notes, and both rendered side by side as HTML."""

    session: TutoringSession
    turns: list[Turn]
    annotations: list[Annotation]
    html: str


def make_filter(
    class_id: Any = None,
    student_id: Any = None,
    problem_id: str | None = None,
    outcome: str | None = None,
    flagged: bool | None = None,
    since: str | None = None,
    until: str | None = None,
) -> SessionFilter:
    for label, d in (("from", since), ("to", until)):
        if d and not _is_date(d):
            raise InputError(f"The '{label}' date must look like 2026-11-27.")
    return SessionFilter(
        class_id=opt_int(class_id),
        student_id=opt_int(student_id),
        problem_id=(problem_id or None) if problem_id != "all" else None,
        outcome=(outcome or None) if outcome != "all" else None,
        flagged=flagged or None,
        since=since or None,
        until=until or None,
    )


def _is_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text[:10])
        return True
    except ValueError:
        return False


def transcripts(
    ctx: AppContext, token: str, flt: SessionFilter | None = None, *, limit: int = PAGE_SIZE, after: str | None = None
) -> list[TutoringSession]:
    """One page of the teacher's transcripts, newest first; `after`: the cursor of the previous page's last one."""
    teacher = ctx.require(token, "teacher")
    return [
        _shown(s)
        for s in ctx.store.list_sessions(
            flt, teacher_id=teacher.id, limit=max(1, min(int(limit), PAGE_SIZE)), after=after
        )
    ]


def transcript_problems(ctx: AppContext, token: str) -> list[str]:
    """The problems of all the teacher's transcripts (the Problem filter's choices), not only the first page's."""
    return ctx.store.session_problems(ctx.require(token, "teacher").id)


def all_transcripts(ctx: AppContext, token: str, flt: SessionFilter | None = None) -> Iterator[TutoringSession]:
    """Every one of the teacher's transcripts matching the filter, read a page at a time."""
    teacher = ctx.require(token, "teacher")
    return (_shown(s) for s in ctx.store.iter_sessions(flt, teacher_id=teacher.id))


def _shown(item: _Row) -> _Row:
    """What a teacher reads of a stored row: its control characters marked (`store.visible_controls`)."""
    return type(item).model_validate(visible_controls(item.model_dump()))


def _visible(ctx: AppContext, token: str, session_id: Any) -> TutoringSession:
    teacher = ctx.require(token, "teacher")
    sid = opt_int(session_id)
    if sid is None:
        raise InputError("Choose a transcript first.")
    if not ctx.store.can_read_session(teacher, sid):
        raise AuthError(
            "That transcript is not from one of your classes.", f"teacher {teacher.id} asked for session {sid}"
        )
    sess = ctx.store.get_session(sid)
    assert sess is not None
    return sess


def transcript(ctx: AppContext, token: str, session_id: Any) -> Transcript:
    sess = _visible(ctx, token, session_id)
    turns = [_shown(t) for t in ctx.store.turns(sess.id)]
    notes = [_shown(a) for a in ctx.store.annotations(sess.id)]
    return Transcript(session=_shown(sess), turns=turns, annotations=notes, html=render.transcript_html(turns, notes))


def annotate(ctx: AppContext, token: str, session_id: Any, turn_idx: Any, comment: str, flag: bool):
    teacher = ctx.require(token, "teacher")
    sess = _visible(ctx, token, session_id)
    idx = opt_int(turn_idx)
    turn = next((t for t in ctx.store.turns(sess.id) if t.idx == idx), None)
    if turn is None:
        raise InputError("Choose a turn of this transcript.")
    comment = (comment or "").strip()[:2000]
    return ctx.store.annotate(turn.id, teacher.id, comment=comment, flag=bool(flag))


def export(ctx: AppContext, token: str, fmt: str, flt: SessionFilter | None = None) -> Path:
    """Write the filtered transcripts to a file under the data dir (for download) and return its path."""
    if fmt not in ("csv", "jsonl"):
        raise InputError("Export as csv or jsonl.")
    me = ctx.require(token, "teacher")
    out_dir = Path(ctx.settings.data_dir) / "exports"
    out_dir.mkdir(parents=True, exist_ok=True)
    sweep_files([out_dir])  # exports live minutes, not forever (the app's sweeper runs too)
    fd, name = tempfile.mkstemp(prefix=export_name(me.id), suffix=f".{fmt}", dir=out_dir)
    with open(fd, "w", encoding="utf-8", newline="") as f:
        write_sessions(ctx.store, all_transcripts(ctx, token, flt), fmt, f)  # type: ignore[arg-type]
    return Path(name)


def mastery(ctx: AppContext, token: str, class_id: Any = None) -> tuple[list[str], list[list[Any]]]:
    """Per-student per-skill BKT mastery: the latest estimate in each student's most recent traces."""
    sessions = list(all_transcripts(ctx, token, SessionFilter(class_id=opt_int(class_id))))
    latest: dict[tuple[str, str], float] = {}
    for sess in sorted(sessions, key=lambda s: (s.started_at, s.id)):
        for turn in ctx.store.turns(sess.id):
            if turn.role == "tutor" and turn.trace:
                for skill, p in render.skill_mastery(turn.trace).items():
                    latest[(sess.student_name, skill)] = p
    return render.mastery_rows(latest)
