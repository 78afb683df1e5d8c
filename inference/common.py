"""What every backend shares: lazy imports with an install hint, timing, and the one call log.

A backend implements `_generate(messages, options)`, a generator of text deltas and `Meta` items (usage, finish
reason; the last one wins, and one yielded before the first delta survives a stream closed early).
`StreamingBackend` turns that into `chat` and `stream`, measures time to first token and latency,
and logs every call in one place (`log_call`): actor, backend, model, tokens, latency.
"""

from __future__ import annotations

import importlib
import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


class ModelBusy(InferenceError):
    """The model is busy with other callers' work for longer than this call may wait (`Options.wait_s`)."""


LOCK_TIMEOUT_S = 600.0  # a call with no budget waits at most this long


class ModelGate:
    """One resident model, many callers: calls run one at a time, in arrival order of the lock.

    A call with a budget (`wait_s`) is refused at once (`ModelBusy`) when the work already queued ahead of it is
    expected to take longer than the budget (the running call's expected remainder plus one average call per
    waiter, from a moving average of recent call durations), and refused when the budget runs out while it waits.
    So a student's reply never waits behind more than `wait_s` of other students' model work.
    """

    def __init__(self, name: str = "model") -> None:
        self.name = name
        self._lock = threading.Lock()
        self._meta = threading.Lock()
        self.waiting = 0
        self.running_since: float | None = None
        self.avg_s: float | None = None  # exponential moving average of held durations

    def expected_wait(self) -> float:
        with self._meta:
            if self.running_since is None and not self.waiting:
                return 0.0
            avg = self.avg_s or 0.0
            remainder = max(avg - (time.monotonic() - self.running_since), 0.0) if self.running_since else 0.0
            return remainder + self.waiting * avg

    @contextmanager
    def hold(self, wait_s: float | None) -> Iterator[float]:
        """Hold the model; yields the seconds this call waited for it."""
        start = time.monotonic()
        if wait_s is not None and (ahead := self.expected_wait()) > wait_s:
            raise ModelBusy(
                "The model is busy; the tutor answers from its templates.",
                f"model {self.name} busy: {ahead:.1f}s of queued work > budget {wait_s:g}s",
            )
        with self._meta:
            self.waiting += 1
        try:
            got = self._lock.acquire(timeout=LOCK_TIMEOUT_S if wait_s is None else wait_s)
        finally:
            with self._meta:
                self.waiting -= 1
        if not got:
            raise ModelBusy(
                "The model is busy; the tutor answers from its templates.",
                f"model {self.name} busy: not free within {wait_s if wait_s is not None else LOCK_TIMEOUT_S:g}s",
            )
        began = time.monotonic()
        with self._meta:
            self.running_since = began
        try:
            yield began - start
        finally:
            held = time.monotonic() - began
            with self._meta:
                self.running_since = None
                self.avg_s = held if self.avg_s is None else 0.7 * self.avg_s + 0.3 * held
            self._lock.release()


@dataclass
class Meta:
    """Yielded last by `_generate` when the backend knows usage or a finish reason."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cached_tokens: int = 0
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
        "cached_tokens": completion.usage.cached_tokens,
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
        except GeneratorExit:  # the caller closed the stream: generation stopped early
            cancelled = Completion(
                text="".join(parts),
                usage=Usage(
                    prompt_tokens=meta.prompt_tokens or 0, completion_tokens=chunks, cached_tokens=meta.cached_tokens
                ),
                latency_s=time.perf_counter() - start,
                ttft_s=ttft,
                backend=self.name,
                model=self.model,
                finish_reason="cancelled",
            )
            log_call(cancelled, options)
            raise
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
                cached_tokens=meta.cached_tokens,
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
        failed = Completion(
            text="", latency_s=time.perf_counter() - start, backend=self.name, model=self.model, finish_reason="error"
        )
        log_call(failed, options, error=detail)
