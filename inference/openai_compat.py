"""The `openai` backend: any OpenAI-compatible server (vLLM, llama.cpp server, ...) by base URL and model name.

This is how the app scales beyond one machine. Structured output sends the bounded schema as
`response_format={"type": "json_schema", ...}` (the OpenAI form, vLLM); a server that rejects it (llama-cpp-python's
server only knows `{"type": "json_object", "schema": ...}`) gets the second form, remembered for later calls.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from errors import ConfigError, InferenceError, RecoverableError
from inference.base import Message, Options
from inference.common import Meta, StreamingBackend, require
from inference.schema import bound_schema

log = logging.getLogger("inference.openai")

JsonMode = str  # "auto" | "json_schema" | "json_object"


class OpenAIBackend(StreamingBackend):
    """`get_backend("openai", base_url="http://127.0.0.1:8080/v1", model="qwen2.5-coder-1.5b")`."""

    name = "openai"

    def __init__(
        self,
        model: str = "",
        *,
        base_url: str = "",
        api_key: str = "",
        timeout: float = 120.0,
        json_mode: JsonMode = "auto",
        **_: Any,
    ) -> None:
        if not base_url:
            raise ConfigError(
                "The 'openai' backend needs the server's URL: set TUTOR_BASE_URL or --base-url "
                "(for example http://127.0.0.1:8080/v1).",
                "openai backend without base_url",
            )
        if json_mode not in ("auto", "json_schema", "json_object"):
            raise ConfigError(f"Unknown json_mode '{json_mode}'. Valid: auto, json_schema, json_object.")
        openai = require("openai", "openai", "openai")
        self.model = model or "default"
        self.base_url = base_url.rstrip("/")
        self.json_mode = json_mode
        self._openai = openai
        self.client = openai.OpenAI(
            base_url=self.base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=0
        )

    def _request(self, messages: list[Message], options: Options, streaming: bool) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [m.model_dump() for m in messages],
            "temperature": options.temperature,
            "top_p": options.top_p,
            "max_tokens": options.max_tokens,
            "stream": streaming,
        }
        if streaming:
            request["stream_options"] = {"include_usage": True}  # servers that support it send usage last
        if options.seed is not None:
            request["seed"] = options.seed
        if options.stop:
            request["stop"] = list(options.stop)
        if options.json_schema is not None:
            schema = bound_schema(options.json_schema)
            if self.json_mode == "json_object":
                request["response_format"] = {"type": "json_object", "schema": schema}
            else:
                request["response_format"] = {
                    "type": "json_schema",
                    "json_schema": {"name": "output", "schema": schema, "strict": True},
                }
        return request

    def _create(self, messages: list[Message], options: Options, streaming: bool) -> Any:
        request = self._request(messages, options, streaming)
        try:
            return self.client.chat.completions.create(**request)
        except self._openai.APIStatusError as exc:
            # vLLM/OpenAI answer 400/422 to an unknown response_format; llama-cpp-python's server answers 500
            # with its validation error in the body.
            rejected = exc.status_code in (400, 422) or "response_format" in str(exc)
            if options.json_schema is None or self.json_mode != "auto" or not rejected:
                raise
            log.info("server %s rejected response_format json_schema (%s); using json_object", self.base_url, exc)
            self.json_mode = "json_object"
            return self.client.chat.completions.create(**self._request(messages, options, streaming))

    def _generate_whole(self, messages: list[Message], options: Options) -> Iterator[str | Meta]:
        """chat(): one non-streamed request, which carries exact usage."""
        response = self._create(messages, options, streaming=False)
        choice = response.choices[0]
        yield choice.message.content or ""
        usage = response.usage
        yield Meta(
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
            finish_reason=choice.finish_reason or "stop",
        )

    def _generate(self, messages: list[Message], options: Options) -> Iterator[str | Meta]:
        response = self._create(messages, options, streaming=True)
        finish = ""
        usage = None
        try:
            for chunk in response:
                usage = getattr(chunk, "usage", None) or usage
                if not chunk.choices:
                    continue
                choice = chunk.choices[0]
                if choice.delta is not None and choice.delta.content:
                    yield choice.delta.content
                finish = choice.finish_reason or finish
        finally:
            response.close()
        yield Meta(
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
            finish_reason=finish or "stop",
        )

    def wrap_error(self, exc: Exception) -> RecoverableError | None:
        openai = self._openai
        if isinstance(exc, openai.APITimeoutError):
            return InferenceError(
                f"The model server at {self.base_url} did not answer in time.",
                f"openai timeout {self.base_url}: {exc!r}",
            )
        if isinstance(exc, openai.APIConnectionError):
            return InferenceError(
                f"The model server at {self.base_url} is not reachable. Is it running?",
                f"openai connection error {self.base_url}: {exc!r} (cause {exc.__cause__!r})",
            )
        if isinstance(exc, openai.APIStatusError):
            return InferenceError(
                f"The model server at {self.base_url} refused the request (HTTP {exc.status_code}).",
                f"openai status {exc.status_code} from {self.base_url}: {str(exc)[:1000]}",
            )
        if isinstance(exc, openai.OpenAIError):
            return InferenceError("The model server returned an unusable answer.", f"openai error: {exc!r}")
        return None

    def close(self) -> None:
        self.client.close()
