"""The one interface every part of the app uses to talk to a language model.

A backend takes chat messages and returns a `Completion`, or streams text deltas through a `Stream` whose
`.completion` is filled in when it is exhausted. Options reject unknown fields. Structured output: pass a JSON
schema in `Options.json_schema`; the backend constrains decoding where it can and `Completion.json()` decodes.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from errors import InferenceError

Role = Literal["system", "user", "assistant"]
Actor = Literal["tutor", "student", "judge", "classifier", "app", "bench", "other"]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    role: Role
    content: str


class Options(BaseModel):
    model_config = ConfigDict(extra="forbid")
    temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    top_p: float = Field(default=0.95, gt=0.0, le=1.0)
    max_tokens: int = Field(default=256, ge=1, le=8192)
    seed: int | None = None
    stop: list[str] = Field(default_factory=list)
    json_schema: dict[str, Any] | None = None
    actor: Actor = "other"  # who is calling; recorded in the call log
    # How long this call may wait for a model that is busy with other callers' work; past it (or when the queue
    # ahead is expected to take longer) the backend raises `inference.common.ModelBusy` at once. None: wait.
    wait_s: float | None = Field(default=None, ge=0.0)


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0  # of the prompt tokens, those the backend reused from its cache (not read again)


class Completion(BaseModel):
    text: str
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0  # whole call
    ttft_s: float | None = None  # time to first token, when streamed or measurable
    backend: str = ""
    model: str = ""
    finish_reason: str = ""

    def json(self) -> Any:  # type: ignore[override]
        """Decode the text as JSON; a failure is an `InferenceError` carrying the raw text for the log."""
        try:
            return json.loads(self.text)
        except json.JSONDecodeError as exc:
            raise InferenceError(
                "The model returned output that could not be read.",
                f"invalid JSON from {self.backend}/{self.model}: {exc}: {self.text[:500]!r}",
            ) from exc


class Stream:
    """Iterate for text deltas; after exhaustion `.completion` holds the whole result."""

    def __init__(self, deltas: Iterator[str | Completion]) -> None:
        self._deltas = deltas
        self.completion: Completion | None = None

    def __iter__(self) -> Iterator[str]:
        for item in self._deltas:
            if isinstance(item, Completion):
                self.completion = item
            elif item:
                yield item

    def close(self) -> None:
        """Stop generating now (the backend frees the model and logs the call as cancelled)."""
        close = getattr(self._deltas, "close", None)
        if close is not None:
            close()


class Backend(ABC):
    """Chat messages in, a completion out. Implementations import their heavy libraries lazily."""

    name: str = "base"
    model: str = ""

    @property
    def available(self) -> bool:
        """False only for the `none` backend: callers then use their templates."""
        return True

    @abstractmethod
    def chat(self, messages: list[Message], options: Options | None = None) -> Completion: ...

    def stream(self, messages: list[Message], options: Options | None = None) -> Stream:
        """Default: one chunk. Backends that can stream override this."""

        def gen() -> Iterator[str | Completion]:
            completion = self.chat(messages, options)
            yield completion.text
            yield completion

        return Stream(gen())

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the model or connection."""
