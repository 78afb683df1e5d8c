"""The scripted fake backend (for tests, UI work and eval smoke runs) and the `none` backend (no LLM at all)."""

from __future__ import annotations

import re
import threading
import time
from collections import deque
from collections.abc import Iterator

from errors import InferenceError
from inference.base import Backend, Completion, Message, Options, Stream
from inference.common import Meta, ModelGate, StreamingBackend, check_messages


class FakeBackend(StreamingBackend):
    """Replies with queued texts in order; `.history` records every message list it received.

    `enqueue("a", "b")` queues replies; an `Exception` instance in the queue is raised by that call (to script a
    failure). With an empty queue every call returns "" — callers then fall back to their templates. Streams are
    chunked at word boundaries so streaming UIs see several deltas. `delay_s` sleeps before each chunk (a slow
    model); `serial=True` lets one call run at a time through the same gate as a resident llama.cpp model, so a
    call with `Options.wait_s` can be refused as busy. `.chunks_sent` counts the chunks each call produced (a
    stream closed early produces fewer).
    """

    name = "fake"

    def __init__(
        self, replies: list[str] | None = None, model: str = "fake", *, delay_s: float = 0.0, serial: bool = False
    ) -> None:
        self.model = model
        self.delay_s = delay_s
        self.gate = ModelGate("fake") if serial else None
        self.chunks_sent: list[int] = []
        self._queue: deque[str | BaseException] = deque(replies or [])
        self._lock = threading.Lock()
        self.history: list[list[Message]] = []
        self.options: list[Options] = []

    def enqueue(self, *replies: str | BaseException) -> FakeBackend:
        with self._lock:
            self._queue.extend(replies)
        return self

    @property
    def pending(self) -> int:
        return len(self._queue)

    def _generate(self, messages: list[Message], options: Options) -> Iterator[str | Meta]:
        with self._lock:
            self.history.append(list(messages))
            self.options.append(options)
            reply = self._queue.popleft() if self._queue else ""
        if isinstance(reply, BaseException):
            raise reply
        chunks = re.findall(r"\S+\s*|\s+", reply)
        if self.gate is None:
            yield from self._chunks(chunks)
        else:
            with self.gate.hold(options.wait_s):
                yield from self._chunks(chunks)
        prompt_tokens = sum(len(m.content.split()) for m in messages)
        yield Meta(prompt_tokens=prompt_tokens, completion_tokens=len(chunks), finish_reason="stop")

    def _chunks(self, chunks: list[str]) -> Iterator[str]:
        with self._lock:
            self.chunks_sent.append(0)
            k = len(self.chunks_sent) - 1
        for chunk in chunks:
            if self.delay_s:
                time.sleep(self.delay_s)
            with self._lock:
                self.chunks_sent[k] += 1
            yield chunk


class NoneBackend(Backend):
    """No language model: `.available` is False and callers use their templates. Calling it is a caller bug,
    reported as an InferenceError so the process stays up."""

    name = "none"
    model = ""

    def __init__(self, **_: object) -> None:
        pass

    @property
    def available(self) -> bool:
        return False

    def chat(self, messages: list[Message], options: Options | None = None) -> Completion:
        check_messages(messages)
        raise InferenceError(
            "No language model is configured; the tutor uses its templates.",
            "chat() called on the 'none' backend; callers must check backend.available",
        )

    def stream(self, messages: list[Message], options: Options | None = None) -> Stream:
        return Stream(iter([self.chat(messages, options)]))
