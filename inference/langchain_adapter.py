"""LangChain in both directions.

- `LangChainBackend(chat_model)` (registered as `langchain`): any LangChain `BaseChatModel` a user already has
  (ChatOpenAI, ChatOllama, ChatLlamaCpp, ...) becomes one of our backends.
- `as_langchain(backend)`: one of our backends becomes a LangChain `BaseChatModel` (`invoke`, `stream`, chains).

langchain-core is imported only here, when one of these is used.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import lru_cache
from typing import Any

from errors import ConfigError, InferenceError, RecoverableError
from inference.base import Backend, Message, Options
from inference.common import Meta, StreamingBackend, require
from inference.prompts import JSON_INSTRUCTION
from inference.schema import bound_schema


def _lc_messages(messages: list[Message]) -> list[Any]:
    lc = require("langchain_core.messages", "langchain-core", "langchain")
    kinds = {"system": lc.SystemMessage, "user": lc.HumanMessage, "assistant": lc.AIMessage}
    return [kinds[m.role](content=m.content) for m in messages]


def _text(content: Any) -> str:
    """LangChain content is a string or a list of parts ({"type": "text", "text": ...} or str)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            p if isinstance(p, str) else str(p.get("text", "")) for p in content if isinstance(p, str | dict)
        )
    return str(content or "")


class LangChainBackend(StreamingBackend):
    """Wrap a LangChain chat model. Options map to `stop` and, where the model accepts them, generation kwargs
    (`temperature`, `max_tokens`, `top_p`, `seed`) through `.bind()`; a JSON schema is stated in the system prompt
    (LangChain has no portable constrained decoding), so check `Completion.json()` as always."""

    name = "langchain"

    def __init__(self, chat_model: Any = None, *, model: str = "", bind_options: bool = False, **_: Any) -> None:
        core = require("langchain_core.language_models", "langchain-core", "langchain")
        if chat_model is None or not isinstance(chat_model, core.BaseChatModel):
            raise ConfigError(
                "The 'langchain' backend needs a LangChain chat model: get_backend('langchain', chat_model=...).",
                f"langchain backend got {type(chat_model).__name__}",
            )
        self.chat_model = chat_model
        self.model = (
            model
            or getattr(chat_model, "model_name", "")
            or getattr(chat_model, "model", "")
            or type(chat_model).__name__
        )
        self.bind_options = bind_options

    def _runnable(self, options: Options) -> Any:
        if not self.bind_options:
            return self.chat_model
        kwargs: dict[str, Any] = {
            "temperature": options.temperature,
            "max_tokens": options.max_tokens,
            "top_p": options.top_p,
        }
        if options.seed is not None:
            kwargs["seed"] = options.seed
        return self.chat_model.bind(**kwargs)

    def _prepare(self, messages: list[Message], options: Options) -> list[Any]:
        if options.json_schema is not None:
            note = JSON_INSTRUCTION.format(schema=json.dumps(bound_schema(options.json_schema)))
            messages = [Message(role="system", content=note), *messages]
        return _lc_messages(messages)

    def _generate(self, messages: list[Message], options: Options) -> Iterator[str | Meta]:
        usage: dict[str, Any] = {}
        for chunk in self._runnable(options).stream(self._prepare(messages, options), stop=options.stop or None):
            text = _text(chunk.content)
            if text:
                yield text
            if getattr(chunk, "usage_metadata", None):
                usage = dict(chunk.usage_metadata)
        yield Meta(prompt_tokens=usage.get("input_tokens"), completion_tokens=usage.get("output_tokens"))

    def wrap_error(self, exc: Exception) -> RecoverableError | None:
        if isinstance(exc, ConnectionError | TimeoutError | OSError):
            return InferenceError("The LangChain model could not be reached.", f"langchain error: {exc!r}")
        return None


def as_langchain(backend: Backend, *, options: Options | None = None) -> Any:
    """Our backend as a LangChain `BaseChatModel`. `stop` from LangChain calls is added to `options`."""
    cls = _adapter_class()
    return cls(backend=backend, options=options or Options())


@lru_cache(maxsize=1)
def _adapter_class() -> Any:
    """The adapter class, built once on first use (langchain-core is imported only then)."""
    require("langchain_core", "langchain-core", "langchain")
    from langchain_core.language_models import BaseChatModel
    from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
    from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
    from pydantic import ConfigDict

    roles = {"system": "system", "human": "user", "ai": "assistant"}

    def ours(messages: list[BaseMessage]) -> list[Message]:
        return [Message(role=roles.get(m.type, "user"), content=_text(m.content)) for m in messages]  # type: ignore[arg-type]

    class BackendChatModel(BaseChatModel):
        """A LangChain chat model that calls one of our backends (logged like every other call)."""

        model_config = ConfigDict(arbitrary_types_allowed=True)
        backend: Any
        options: Any = None

        @property
        def _llm_type(self) -> str:
            return f"socratic-tutor-{self.backend.name}"

        @property
        def _identifying_params(self) -> dict[str, Any]:
            return {"backend": self.backend.name, "model": self.backend.model}

        def _options(self, stop: list[str] | None) -> Options:
            base = self.options or Options()
            return base.model_copy(update={"stop": [*base.stop, *(stop or [])]}) if stop else base

        def _generate(
            self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
        ) -> ChatResult:
            completion = self.backend.chat(ours(messages), self._options(stop))
            usage = {
                "input_tokens": completion.usage.prompt_tokens,
                "output_tokens": completion.usage.completion_tokens,
                "total_tokens": completion.usage.prompt_tokens + completion.usage.completion_tokens,
            }
            message = AIMessage(
                content=completion.text,
                usage_metadata=usage,
                response_metadata={"finish_reason": completion.finish_reason, "model_name": completion.model},
            )
            return ChatResult(generations=[ChatGeneration(message=message)])

        def _stream(
            self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None, **kwargs: Any
        ) -> Iterator[ChatGenerationChunk]:
            stream = self.backend.stream(ours(messages), self._options(stop))
            for delta in stream:
                chunk = ChatGenerationChunk(message=AIMessageChunk(content=delta))
                if run_manager is not None:
                    run_manager.on_llm_new_token(delta, chunk=chunk)
                yield chunk

    return BackendChatModel
