"""A small JSON API beside the Gradio UI (`/api/v1/...`), over the same services and the same server-side checks.

Scripts and tests use it: log in for a bearer token, then call with `Authorization: Bearer <token>`. A student can
read only their own sessions; teacher routes answer 403 to students; unknown or expired tokens get 401.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI, Header, Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from pydantic import BaseModel

from errors import InputError, RecoverableError
from store import TOKEN_TTL, session_cursor
from ui import accounts, student, teacher, web
from ui.context import AppContext, AuthError


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


def install(app: FastAPI, ctx: AppContext) -> None:
    @app.exception_handler(RecoverableError)
    async def _recoverable(_: Request, exc: RecoverableError) -> JSONResponse:
        status = exc.status if isinstance(exc, AuthError) else 400 if isinstance(exc, InputError) else 422
        return JSONResponse({"error": exc.user_message}, status_code=status)

    r = APIRouter(prefix="/api/v1")

    @r.post("/login")
    def login(body: LoginBody, request: Request) -> dict[str, Any]:
        tok, user = accounts.login(ctx, body.username, body.password, client=request.client.host if request.client else "")
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
        response.set_cookie(web.COOKIE, tok or "", max_age=int(TOKEN_TTL.total_seconds()), path=web.COOKIE_PATH,
                            httponly=True, samesite="strict")
        return {"role": user.role}

    @r.delete("/browser-session")
    def end_browser_session(response: Response) -> dict[str, Any]:
        response.delete_cookie(web.COOKIE, path=web.COOKIE_PATH)
        return {"ok": True}

    @r.get("/me")
    def me(authorization: str | None = Header(None)) -> dict[str, Any]:
        return ctx.require(_token(authorization)).model_dump()

    @r.get("/problems")
    def problems(domain: str | None = None, skill: str | None = None, difficulty: str | None = None, q: str = "",
                 authorization: str | None = Header(None)) -> list[dict[str, Any]]:
        """The catalogue; with `q`, ranked by meaning (the knowledge store) or by substring while it is not ready."""
        found, _how = student.search(ctx, _token(authorization), q, domain, skill, difficulty, limit=1000)
        return [{"id": p.id, "title": p.title, "domain": p.domain, "skills": p.skills, "difficulty": p.difficulty}
                for p in found]

    @r.get("/sessions")
    def sessions(authorization: str | None = Header(None)) -> list[dict[str, Any]]:
        tok = _token(authorization)
        user = ctx.require(tok)
        rows = student.my_sessions(ctx, tok) if user.role == "student" else teacher.transcripts(ctx, tok)
        return [s.model_dump(exclude={"problem"}) for s in rows]

    @r.post("/sessions")
    def start(body: StartBody, authorization: str | None = Header(None)) -> dict[str, Any]:
        tok = _token(authorization)
        v = student.start_custom(ctx, tok, body.code, body.test) if body.code else student.start(ctx, tok, body.problem_id)
        return v.model_dump()

    @r.get("/sessions/{session_id}")
    def get_session(session_id: int, authorization: str | None = Header(None)) -> dict[str, Any]:
        tok = _token(authorization)
        user = ctx.require(tok)
        if user.role == "student":
            return student.open_session(ctx, tok, session_id).model_dump()
        t = teacher.transcript(ctx, tok, session_id)
        return {"session": t["session"].model_dump(), "turns": [x.model_dump() for x in t["turns"]],
                "annotations": [a.model_dump() for a in t["annotations"]]}

    @r.post("/sessions/{session_id}/messages")
    def send(session_id: int, body: MessageBody, authorization: str | None = Header(None)) -> dict[str, Any]:
        views = list(student.send(ctx, _token(authorization), session_id, body.text))
        return views[-1].model_dump()

    @r.get("/teacher/transcripts")
    def transcripts(response: Response, class_id: int | None = None, outcome: str | None = None, flagged: bool | None = None,
                    limit: int = teacher.PAGE_SIZE, after: str | None = None,
                    authorization: str | None = Header(None)) -> list[dict[str, Any]]:
        """One page, newest first. A full page carries `X-Next-Cursor`: pass it as `after` for the next one."""
        flt = teacher.make_filter(class_id=class_id, outcome=outcome, flagged=flagged)
        page = teacher.transcripts(ctx, _token(authorization), flt, limit=limit, after=after)
        if page and len(page) == max(1, min(limit, teacher.PAGE_SIZE)):
            response.headers["X-Next-Cursor"] = session_cursor(page[-1])
        return [s.model_dump(exclude={"problem"}) for s in page]

    @r.post("/teacher/annotations")
    def annotate(body: NoteBody, authorization: str | None = Header(None)) -> dict[str, Any]:
        return teacher.annotate(ctx, _token(authorization), body.session_id, body.turn_idx, body.comment, body.flag).model_dump()

    @r.get("/teacher/export")
    def export(format: str = "csv", authorization: str | None = Header(None)) -> PlainTextResponse:
        path = teacher.export(ctx, _token(authorization), format)
        try:
            text = path.read_text(encoding="utf-8")
        finally:
            path.unlink(missing_ok=True)  # answered in the body: nothing stays on disk
        return PlainTextResponse(text, media_type="text/csv" if format == "csv" else "application/x-ndjson")

    @r.get("/teacher/mastery")
    def mastery(class_id: int | None = None, authorization: str | None = Header(None)) -> dict[str, Any]:
        headers, rows = teacher.mastery(ctx, _token(authorization), class_id)
        return {"headers": headers, "rows": rows}

    app.include_router(r)
