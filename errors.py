"""The project's small error hierarchy.

A `RecoverableError` is something the user, a model or a file caused: the app shows `user_message` and keeps
going, and the log gets `log_message` with the details. Anything else is a bug and propagates.
"""

from __future__ import annotations

import sys


class RecoverableError(Exception):
    def __init__(self, user_message: str, log_message: str | None = None) -> None:
        super().__init__(user_message)
        self.user_message = user_message
        self.log_message = log_message or user_message


def exit_code(exc: RecoverableError, code: int = 2) -> int:
    """What a command line does with a RecoverableError: its user message on stderr, then exit status `code`."""
    print(f"error: {exc.user_message}", file=sys.stderr)
    return code


class ConfigError(RecoverableError):
    """A setting names something that does not exist (unknown backend, model, file)."""


class InferenceError(RecoverableError):
    """A model could not be loaded or called, or returned unusable output."""


class ValidationError(RecoverableError):
    """A file or record does not match its schema; the message names file, record and field."""


class InputError(RecoverableError):
    """A person's input was empty, too large, or not text."""


class Busy(RecoverableError):
    """The app is at capacity for this kind of work right now; the person may try again shortly (HTTP 503)."""
