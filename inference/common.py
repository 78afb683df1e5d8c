"""What every backend shares: lazy imports with an install hint, timing, and the one call log.

A backend implements `_generate(messages, options)`, a generator of text deltas that may end with a `Meta` (usage,
finish reason). `StreamingBackend` turns that into `chat` and `stream`, measures time to first token and latency,
and logs every call in one place (`log_call`): actor, backend, model, tokens, latency.
"""

from __future__ import annotations

import importlib
import json
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from types import ModuleType

from errors import ConfigError, InferenceError, RecoverableError
from inference.base import Backend, Completion, Message, Options, Stream, Usage

log = logging.getLogger("inference")
call_log = logging.getLogger("inference.calls")

INSTALL_HINT = "run `make deps` (or `.venv/bin/pip install -r requirements.txt`)"


def require(module: str, package: str, backend: str) -> ModuleType:
    """Import a heavy optional library, or raise a ConfigError that says how to install it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ConfigError(
            f"The '{backend}' backend needs the Python package '{package}', which is not installed: {INSTALL_HINT}.",
            f"import {module} failed: {exc!r}",
        ) from exc


@dataclass
class Meta:
    """Yielded last by `_generate` when the backend knows usage or a finish reason."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str = ""
    extra: dict = field(default_factory=dict)


def check_messages(messages: list[Message]) -> list[Message]:
    if not messages:
        raise InferenceError("There is nothing to send to the model.", "chat called with no messages")
    return [m if isinstance(m, Message) else Message.model_validate(m) for m in messages]


def normalize_json(text: str) -> str:
    """Structured output at the boundary: JSON that is valid except for raw control characters inside strings
    (some servers' grammars allow a newline there) is re-serialized, keys in order; anything else is left as it is
    for `Completion.json()` to report."""
    try:
        json.loads(text)
        return text
    except ValueError:
        pass
    try:
        return json.dumps(json.loads(text, strict=False), ensure_ascii=False)
    except ValueError:
        return text


def log_call(completion: Completion, options: Options, *, error: str = "") -> None:
    """The one place model calls are logged (simonw/llm style): who asked, which model, tokens, latency."""
    fields = {
        "actor": options.actor,
        "backend": completion.backend,
        "model": completion.model,
        "prompt_tokens": completion.usage.prompt_tokens,
        "completion_tokens": completion.usage.completion_tokens,
        "latency_s": round(completion.latency_s, 4),
        "ttft_s": None if completion.ttft_s is None else round(completion.ttft_s, 4),
        "finish_reason": completion.finish_reason,
        "structured": options.json_schema is not None,
    }
    if error:
        fields["error"] = error
    text = " ".join(f"{k}={v}" for k, v in fields.items())
    call_log.log(logging.WARNING if error else logging.INFO, "model call %s", text, extra={"model_call": fields})


class StreamingBackend(Backend):
    """Base for real backends: subclasses implement `_generate`; chat and stream are derived and logged here."""

    def _generate(self, messages: list[Message], options: Options) -> Iterator[str | Meta]:
        raise NotImplementedError

    # Backends whose server answers a non-streamed request better (exact usage) override this.
    _generate_whole = None

    def prepare(self) -> None:
        """Load what the backend needs before a call is timed (the model); a no-op by default."""

    def chat(self, messages: list[Message], options: Options | None = None) -> Completion:
        options = options or Options()
        messages = check_messages(messages)
        self.prepare()
        stream = Stream(self._timed(messages, options, self._generate_whole or self._generate))
        for _ in stream:
            pass
        assert stream.completion is not None
        return stream.completion

    def stream(self, messages: list[Message], options: Options | None = None) -> Stream:
        options = options or Options()
        messages = check_messages(messages)
        self.prepare()
        return Stream(self._timed(messages, options, self._generate))

    def _timed(self, messages: list[Message], options: Options, generate) -> Iterator[str | Completion]:  # type: ignore[no-untyped-def]
        start = time.perf_counter()
        ttft: float | None = None
        parts: list[str] = []
        meta = Meta()
        chunks = 0
        try:
            for item in generate(messages, options):
                if isinstance(item, Meta):
                    meta = item
                    continue
                if not item:
                    continue
                if ttft is None:
                    ttft = time.perf_counter() - start
                chunks += 1
                parts.append(item)
                yield item
        except RecoverableError as exc:
            self._log_failure(options, start, exc.log_message)
            raise
        except Exception as exc:
            wrapped = self.wrap_error(exc)
            if wrapped is None:
                raise
            self._log_failure(options, start, wrapped.log_message)
            raise wrapped from exc
        text = "".join(parts)
        if options.json_schema is not None:
            text = normalize_json(text)
        completion = Completion(
            text=text,
            usage=Usage(
                prompt_tokens=meta.prompt_tokens or 0,
                completion_tokens=meta.completion_tokens if meta.completion_tokens is not None else chunks,
            ),
            latency_s=time.perf_counter() - start,
            ttft_s=ttft,
            backend=self.name,
            model=self.model,
            finish_reason=meta.finish_reason or "stop",
        )
        log_call(completion, options)
        yield completion

    def wrap_error(self, exc: Exception) -> RecoverableError | None:
        """Map a library error to a recoverable one (None: it is a bug, let it raise)."""
        return None

    def _log_failure(self, options: Options, start: float, detail: str) -> None:
        failed = Completion(text="", latency_s=time.perf_counter() - start, backend=self.name, model=self.model,
                            finish_reason="error")
        log_call(failed, options, error=detail)
