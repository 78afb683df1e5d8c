"""HTTP guards around the whole app (JSON API and Gradio alike), as one pure ASGI middleware.

- Bodies are capped before anything parses them (Content-Length is required on bodies; 413 above the cap).
- JSON bodies must be UTF-8 text without lone UTF-16 surrogates (400 with a clear message, never a 500 later).
- Files (`/gradio_api/file=...`) and uploads (`/gradio_api/upload`) need a teacher's session cookie, set after login
  from the session token (HttpOnly, SameSite=Strict, only sent to /gradio_api); an export is served only to the
  teacher who made it; Gradio's fetch-a-URL routes are refused outright (offline, no server-side fetching).
- Every response carries a Content-Security-Policy (no remote images, frames or scripts), X-Frame-Options DENY,
  nosniff and no-referrer.
Files under the exports and upload folders are deleted after `FILE_TTL_S` by `sweep_files`.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import anyio

from ui.context import MAX_UPLOAD_BYTES, AppContext

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

COOKIE = "tutor_session"
COOKIE_PATH = "/gradio_api"
MAX_BODY = 2_000_000  # a Gradio event carries every input of the call (a tree of up to 200,000 characters)
MAX_API_BODY = 256_000
MAX_UPLOAD_BODY = MAX_UPLOAD_BYTES + 100_000  # the file plus its multipart envelope
FILE_TTL_S = 900
EXPORT_NAME = re.compile(r"^transcripts-u(\d+)-")

CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' 'unsafe-eval'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: blob:; font-src 'self' data:; media-src 'self' data: blob:; connect-src 'self'; "
    "worker-src 'self' blob:; frame-src 'none'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_SURROGATE = re.compile("[\ud800-\udfff]")


def export_name(teacher_id: int) -> str:
    """The file name prefix of a teacher's export; the guard serves such a file only to that teacher."""
    return f"transcripts-u{teacher_id}-"


def has_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_SURROGATE.search(value))
    if isinstance(value, dict):
        return any(has_surrogate(k) or has_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_surrogate(v) for v in value)
    return False


def sweep_files(folders: list[Path], max_age_s: float = FILE_TTL_S, now: float | None = None) -> int:
    """Delete files older than max_age_s under the folders (then their emptied subfolders). Returns files deleted."""
    now = time.time() if now is None else now
    deleted = 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True):
            try:
                if path.is_file() and now - path.stat().st_mtime > max_age_s:
                    path.unlink()
                    deleted += 1
                elif path.is_dir() and not any(path.iterdir()):
                    path.rmdir()
            except OSError as exc:  # raced with another sweeper or with Gradio: the next sweep retries
                log.debug("sweep %s: %s", path, exc)
    return deleted


def start_sweeper(folders: list[Path], every_s: float = 60.0) -> threading.Thread:
    def loop() -> None:
        while True:
            n = sweep_files(folders)
            if n:
                log.info("deleted %d expired export/upload files", n)
            time.sleep(every_s)

    thread = threading.Thread(target=loop, name="file-sweeper", daemon=True)
    thread.start()
    return thread


async def _reply(send: Send, status: int, message: str) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()), *HEADERS],
        }
    )
    await send({"type": "http.response.body", "body": body})


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers") or []:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


def _cookie_token(scope: Scope) -> str | None:
    raw = _header(scope, b"cookie")
    if not raw:
        return None
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw)
    except Exception:  # noqa: BLE001 - a malformed cookie header is the client's problem: treat as no cookie
        return None
    return jar[COOKIE].value if COOKIE in jar else None


class Guard:
    def __init__(self, app: Callable[..., Awaitable[None]], ctx: AppContext) -> None:
        self.app, self.ctx = app, ctx

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                names = {k.lower() for k, _ in message.get("headers") or []}
                message["headers"] = [*(message.get("headers") or []), *(h for h in HEADERS if h[0] not in names)]
            await send(message)

        path: str = scope["path"]
        if path.startswith(("/gradio_api/file", "/gradio_api/proxy=", "/file=")):
            refusal = await self._file_refusal(scope, path)
            if refusal:
                await _reply(send_with_headers, *refusal)
                return
        if path.rstrip("/") == "/gradio_api/upload":
            user = await self._cookie_user(scope)
            if user is None or user.role != "teacher":
                await _reply(send_with_headers, 401, "Log in as a teacher to upload files.")
                return
        if scope["method"] in ("POST", "PUT", "PATCH"):
            limit = (
                MAX_UPLOAD_BODY
                if path.startswith("/gradio_api/upload")
                else MAX_API_BODY
                if path.startswith("/api/")
                else MAX_BODY
            )
            length = _header(scope, b"content-length")
            if length is None or not length.strip().isdigit():
                if _header(scope, b"transfer-encoding"):
                    await _reply(send_with_headers, 411, "Send the request body with a Content-Length.")
                    return
                length = "0"
            if int(length) > limit:
                await _reply(send_with_headers, 413, f"The request is larger than {limit:,} bytes.")
                return
            if "json" in (_header(scope, b"content-type") or "") and int(length):
                receive, problem = await self._checked_json(receive)
                if problem:
                    await _reply(send_with_headers, 400, problem)
                    return
        await self.app(scope, receive, send_with_headers)

    async def _cookie_user(self, scope: Scope):
        token = _cookie_token(scope)
        if not token:
            return None
        return await anyio.to_thread.run_sync(self.ctx.store.user_for_token, token)

    async def _file_refusal(self, scope: Scope, path: str) -> tuple[int, str] | None:
        target = path.split("=", 1)[1] if "=" in path else path.removeprefix("/gradio_api/file/")
        if "proxy=" in path or re.match(r"^[a-z]+:/", target, re.I):
            return 403, "This app does not fetch remote files."
        user = await self._cookie_user(scope)
        if user is None or user.role != "teacher":
            return 401, "Log in as a teacher to download files."
        owner = EXPORT_NAME.match(Path(target).name)
        if owner and int(owner.group(1)) != user.id:
            log.warning("teacher %s asked for another teacher's export %s", user.id, Path(target).name)
            return 403, "That export is not yours."
        return None

    @staticmethod
    async def _checked_json(receive: Receive) -> tuple[Receive, str]:
        chunks = []
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        body = b"".join(chunks)
        problem = ""
        try:
            data = json.loads(body.decode("utf-8"))
            if has_surrogate(data):
                problem = (
                    "The text contains an unpaired UTF-16 surrogate (\\ud800-\\udfff), which is not a character; "
                    "remove it and try again."
                )
        except UnicodeDecodeError:
            problem = "The request body is not UTF-8 text."
        except RecursionError:
            problem = "The request body is nested too deeply."
        except ValueError:
            pass  # not JSON after all: the route's own parser answers
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if sent:
                return await receive()
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}

        return replay, problem
