"""A small JSON API beside the Gradio UI (`/api/v1/...`), over the same services and the same server-side checks.

Scripts and tests use it: log in for a bearer token, then call with `Authorization: Bearer <token>`. A student can
read only their own sessions; teacher routes answer 403 to students; unknown or expired tokens get 401.

Routes that run a tutor turn (start, open, send) are async and run the turn on a thread of its own (ui.offload):
a turn waiting for the sandbox holds no thread of the shared pool, and past the bound the answer is 503.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel

from errors import Busy, InputError, RecoverableError
from store import TOKEN_TTL, session_cursor
from ui import accounts, student, teacher, web
from ui.context import AppContext, AuthError
from ui.offload import TURNS

CHUNK = 256 * 1024  # an export is sent in pieces of this size


class LoginBody(BaseModel):
    username: str
    password: str


class StartBody(BaseModel):
    problem_id: str = ""
    code: str = ""
    test: str = ""


class MessageBody(BaseModel):
    text: Any = ""


class NoteBody(BaseModel):
    session_id: int
    turn_idx: int
    comment: str = ""
    flag: bool = False


def _token(authorization: str | None) -> str | None:
    if authorization and authorization.lower().startswith("bearer "):
        return authorization[7:].strip()
    return None


def opened_once(path: Path) -> Iterator[bytes]:
    """The file's bytes in CHUNK pieces. The file is opened and deleted now (the open handle reads on), so an
    export stays on disk only until it is served."""
    f = path.open("rb")
    path.unlink(missing_ok=True)
    return _chunks(f)


def _chunks(f: BinaryIO) -> Iterator[bytes]:
    with f:
        while chunk := f.read(CHUNK):
            yield chunk


def install(app: FastAPI, ctx: AppContext) -> None:
    @app.exception_handler(RecoverableError)
    async def _recoverable(_: Request, exc: RecoverableError) -> JSONResponse:
        if isinstance(exc, Busy):
            return JSONResponse({"error": exc.user_message}, status_code=503, headers={"Retry-After": "2"})
        status = exc.status if isinstance(exc, AuthError) else 400 if isinstance(exc, InputError) else 422
        return JSONResponse({"error": exc.user_message}, status_code=status)

    r = APIRouter(prefix="/api/v1")

    @r.post("/login")
    def login(body: LoginBody, request: Request) -> dict[str, Any]:
        tok, user = accounts.login(
            ctx, body.username, body.password, client=request.client.host if request.client else ""
        )
        return {"token": tok, "user": user.model_dump()}

    @r.post("/logout")
    def logout(response: Response, authorization: str | None = Header(None)) -> dict[str, Any]:
        """Revoke the token (it stops working at once) and clear the browser's file cookie."""
        ctx.require(_token(authorization))
        accounts.logout(ctx, _token(authorization))
        response.delete_cookie(web.COOKIE, path=web.COOKIE_PATH)
        return {"ok": True}

    @r.post("/browser-session")
    def browser_session(response: Response, authorization: str | None = Header(None)) -> dict[str, Any]:
        """The UI calls this right after login: the token as an HttpOnly cookie sent only with Gradio's file and
        upload requests (which carry no Authorization header), so the guard can check who downloads or uploads."""
        tok = _token(authorization)
        user = ctx.require(tok)
        response.set_cookie(
            web.COOKIE,
            tok or "",
            max_age=int(TOKEN_TTL.total_seconds()),
            path=web.COOKIE_PATH,
            httponly=True,
            samesite="strict",
        )
        return {"role": user.role}

    @r.delete("/browser-session")
    def end_browser_session(response: Response) -> dict[str, Any]:
        response.delete_cookie(web.COOKIE, path=web.COOKIE_PATH)
        return {"ok": True}

    @r.get("/me")
    def me(authorization: str | None = Header(None)) -> dict[str, Any]:
        return ctx.require(_token(authorization)).model_dump()

    @r.get("/problems")
    def problems(
        domain: str | None = None,
        skill: str | None = None,
        difficulty: str | None = None,
        q: str = "",
        authorization: str | None = Header(None),
    ) -> list[dict[str, Any]]:
        """The catalogue; with `q`, ranked by meaning (the knowledge store) or by substring while it is not ready."""
        found, _how = student.search(ctx, _token(authorization), q, domain, skill, difficulty, limit=1000)
        return [
            {"id": p.id, "title": p.title, "domain": p.domain, "skills": p.skills, "difficulty": p.difficulty}
            for p in found
        ]

    @r.get("/sessions")
    def sessions(authorization: str | None = Header(None)) -> list[dict[str, Any]]:
        tok = _token(authorization)
        user = ctx.require(tok)
        rows = student.my_sessions(ctx, tok) if user.role == "student" else teacher.transcripts(ctx, tok)
        return [s.model_dump(exclude={"problem"}) for s in rows]

    def start_session(tok: str | None, body: StartBody) -> dict[str, Any]:
        v = (
            student.start_custom(ctx, tok, body.code, body.test)
            if body.code
            else student.start(ctx, tok, body.problem_id)
        )
        return v.model_dump()

    @r.post("/sessions")
    async def start(body: StartBody, authorization: str | None = Header(None)) -> dict[str, Any]:
        return await TURNS.call(start_session, _token(authorization), body)

    def read_session(tok: str | None, session_id: int) -> dict[str, Any]:
        user = ctx.require(tok)
        if user.role == "student":
            return student.open_session(ctx, tok, session_id).model_dump()
        t = teacher.transcript(ctx, tok, session_id)
        return {
            "session": t.session.model_dump(),
            "turns": [x.model_dump() for x in t.turns],
            "annotations": [a.model_dump() for a in t.annotations],
        }

    @r.get("/sessions/{session_id}")
    async def get_session(session_id: int, authorization: str | None = Header(None)) -> dict[str, Any]:
        return await TURNS.call(read_session, _token(authorization), session_id)

    def answer(tok: str | None, session_id: int, text: Any) -> dict[str, Any]:
        *_, last = student.send(ctx, tok, session_id, text)
        return last.model_dump()

    @r.post("/sessions/{session_id}/messages")
    async def send(session_id: int, body: MessageBody, authorization: str | None = Header(None)) -> dict[str, Any]:
        return await TURNS.call(answer, _token(authorization), session_id, body.text)

    @r.get("/teacher/transcripts")
    def transcripts(
        response: Response,
        class_id: int | None = None,
        outcome: str | None = None,
        flagged: bool | None = None,
        limit: int = teacher.PAGE_SIZE,
        after: str | None = None,
        authorization: str | None = Header(None),
    ) -> list[dict[str, Any]]:
        """One page, newest first. A full page carries `X-Next-Cursor`: pass it as `after` for the next one."""
        flt = teacher.make_filter(class_id=class_id, outcome=outcome, flagged=flagged)
        page = teacher.transcripts(ctx, _token(authorization), flt, limit=limit, after=after)
        if page and len(page) == max(1, min(limit, teacher.PAGE_SIZE)):
            response.headers["X-Next-Cursor"] = session_cursor(page[-1])
        return [s.model_dump(exclude={"problem"}) for s in page]

    @r.post("/teacher/annotations")
    def annotate(body: NoteBody, authorization: str | None = Header(None)) -> dict[str, Any]:
        return teacher.annotate(
            ctx, _token(authorization), body.session_id, body.turn_idx, body.comment, body.flag
        ).model_dump()

    @r.get("/teacher/export")
    def export(format: str = "csv", authorization: str | None = Header(None)) -> StreamingResponse:
        """The file in CHUNK pieces; it is deleted as soon as it is opened, before the first byte is sent (the
        UI's download copy is swept after ui.web.FILE_TTL_S instead)."""
        path = teacher.export(ctx, _token(authorization), format)
        media = "text/csv" if format == "csv" else "application/x-ndjson"
        return StreamingResponse(opened_once(path), media_type=media)

    @r.get("/teacher/mastery")
    def mastery(class_id: int | None = None, authorization: str | None = Header(None)) -> dict[str, Any]:
        headers, rows = teacher.mastery(ctx, _token(authorization), class_id)
        return {"headers": headers, "rows": rows}

    app.include_router(r)
