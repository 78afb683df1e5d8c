"""What every Gradio handler shares: one place that turns the services' recoverable errors into what a person
reads, and the small contract between a tab and the login flow."""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gradio as gr

from errors import RecoverableError

log = logging.getLogger(__name__)

Updates = dict[Any, Any]  # component -> its new value or gr.update(...); components left out keep theirs


def error_note(message: str) -> str:
    """How an error shows in a tab's message line (markdown)."""
    return f"**Error:** {message}"


def safe(
    fn: Callable[..., Any] | None = None, *, show: Any = None, suffix: str = "", also: Updates | None = None
) -> Any:
    """Wrap a handler (a function or a generator) so a `RecoverableError` (an `InputError`, an `AuthError`, ...)
    is logged with its log message and shown with its user message; bugs still raise.

    Without `show` the call fails with a `gr.Error` (a toast in the browser, an error through the API). With
    `show` (a component) the call succeeds and returns `{show: "**Error:** <message><suffix>", **also}`."""
    if fn is None:
        return functools.partial(safe, show=show, suffix=suffix, also=also)

    def failed(exc: RecoverableError) -> Updates:
        log.info("%s: %s", fn.__name__, exc.log_message)
        if show is None:
            raise gr.Error(exc.user_message) from None
        return {**(also or {}), show: error_note(exc.user_message + suffix)}

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def stream(*args: Any, **kwargs: Any) -> Any:
            try:
                yield from fn(*args, **kwargs)
            except RecoverableError as exc:
                yield failed(exc)

        return stream

    @functools.wraps(fn)
    def call(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RecoverableError as exc:
            return failed(exc)

    return call


def need(value: Any, message: str) -> None:
    """A precondition of the form itself (nothing chosen yet): the call fails with `message`, also under `show`."""
    if value in (None, ""):
        raise gr.Error(message)


def client_address(request: Any) -> str:
    """The caller's address for the login throttle ("" when Gradio gives none)."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "")


@dataclass(frozen=True)
class Tab:
    """What a tab gives the login flow: the components it fills at login and clears at logout, and the updates
    (`on_login(token)` for the logged-in user, `blank()` for nobody); each returns `{component: update}`."""

    outputs: list[Any]
    on_login: Callable[[str], Updates]
    blank: Callable[[], Updates]


def combine(*tabs: Tab) -> Tab:
    """One Tab of several (the Teacher tab of its sub-tabs): their outputs together, their updates merged."""
    return Tab(
        outputs=[c for t in tabs for c in t.outputs],
        on_login=lambda tok: {k: v for t in tabs for k, v in t.on_login(tok).items()},
        blank=lambda: {k: v for t in tabs for k, v in t.blank().items()},
    )
