"""The default backend: llama-cpp-python in process, one resident model, prefix reuse across turns.

Each backend object owns its model (`Resident`: the loaded model and the gate its callers queue at); callers that
share one model share the backend object. llama.cpp keeps the KV cache of the previous prompt and re-evaluates only
the tokens after the
longest common prefix, so a dialogue whose system prompt and problem stay fixed, with turns appended, pays only
for the new turn; the KV state of each kind of prompt (by its first message) is saved and restored, so the
tutor's prompts do not evict each other's prefix (inference/llama_states.py). Structured output compiles the
(bounded) JSON schema to a GBNF grammar.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from errors import InferenceError, RecoverableError
from inference.base import Message, Options
from inference.common import Meta, ModelGate, StreamingBackend, require
from inference.llama_states import KVStates
from inference.models import model_path
from inference.schema import bound_schema
from vocabulary import DEFAULT_MODEL

log = logging.getLogger("inference.llama")


@dataclass
class Resident:
    """A loaded llama.cpp model, the gate its callers queue at (one call at a time; a call with a wait budget
    is refused when the queue ahead is too long), and the saved KV states of its kinds of prompt."""

    llm: Any
    gate: ModelGate
    states: KVStates = field(default_factory=KVStates)


def new_llama(path: Path | str, *, extra_buffers: bool = False, **kwargs: Any) -> Any:
    """Construct `llama_cpp.Llama`, optionally without llama.cpp's "extra buffer types" (AMX / weight repacking).

    A `-march=native` build on a VM that advertises AMX segfaults in `llama_decode` for any batch of more than one
    token when those buffers are on; `Llama()` has no argument for the model parameter `use_extra_bufts`, so it is
    set by wrapping the default-params factory for the duration of the constructor (under a lock).
    """
    llama_cpp = require("llama_cpp", "llama-cpp-python", "llama_cpp")
    if extra_buffers:
        return llama_cpp.Llama(model_path=str(path), **kwargs)
    with without_extra_buffers():
        return llama_cpp.Llama(model_path=str(path), **kwargs)


@contextmanager
def without_extra_buffers() -> Iterator[None]:
    """While open, every llama.cpp model loads with `use_extra_bufts = False` (see `new_llama`)."""
    low = require("llama_cpp", "llama-cpp-python", "llama_cpp").llama_cpp
    with _FACTORY_LOCK:
        original = low.llama_model_default_params

        def patched():  # type: ignore[no-untyped-def]
            params = original()
            params.use_extra_bufts = False
            return params

        low.llama_model_default_params = patched
        try:
            yield
        finally:
            low.llama_model_default_params = original


_FACTORY_LOCK = threading.Lock()


# llama-cpp-python's converter lets a JSON string contain raw control characters (a newline), which is invalid
# JSON; the same rule without them:
_LOOSE_CHAR = 'char ::= [^"\\\\] |'
_STRICT_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F] |'


@lru_cache(maxsize=64)
def _gbnf_for(schema_json: str) -> str:
    llama_grammar = require("llama_cpp.llama_grammar", "llama-cpp-python", "llama_cpp")
    gbnf = llama_grammar.json_schema_to_gbnf(schema_json)
    return "\n".join(
        _STRICT_CHAR + line[len(_LOOSE_CHAR) :] if line.startswith(_LOOSE_CHAR) else line for line in gbnf.split("\n")
    )


def grammar_for(schema: dict[str, Any]) -> Any:
    """A fresh LlamaGrammar for the bounded version of `schema` (the GBNF text is cached)."""
    llama_grammar = require("llama_cpp.llama_grammar", "llama-cpp-python", "llama_cpp")
    gbnf = _gbnf_for(json.dumps(bound_schema(schema)))
    return llama_grammar.LlamaGrammar.from_string(gbnf, verbose=False)


class LlamaCppBackend(StreamingBackend):
    """`get_backend("llama_cpp", model="smollm2-135m", threads=1, context_size=4096)`.

    The backend owns its model: loaded on first use (or `load()`), shared by every caller of this object, freed
    by `close()`. Callers that want one model for many sessions share the backend object (the app keeps one per
    model; the eval runner one per role key)."""

    name = "llama_cpp"

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        threads: int = 0,
        context_size: int = 4096,
        cache_dir: Path | str | None = None,
        extra_buffers: bool = False,
        **_: Any,
    ) -> None:
        self.model = model
        self.path = model_path(model, cache_dir=cache_dir)
        self.threads = int(threads)
        self.context_size = int(context_size)
        self.extra_buffers = extra_buffers
        self._resident: Resident | None = None
        self._load_lock = threading.Lock()
        self._formatter: Any = None

    @property
    def resident(self) -> Resident:
        """The loaded model and its gate (loaded on demand)."""
        with self._load_lock:
            if self._resident is None:
                self._resident = Resident(self._load(), ModelGate(self.path.stem))
            return self._resident

    def _load(self) -> Any:
        try:
            llm = new_llama(
                self.path,
                extra_buffers=self.extra_buffers,
                n_ctx=self.context_size,
                n_threads=self.threads or None,
                n_threads_batch=self.threads or None,
                n_gpu_layers=-1,  # offload everything when built with a GPU; ignored on CPU builds
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise InferenceError(
                f"The model file {self.path.name} could not be loaded; it may be corrupt or not a supported GGUF "
                "model.",
                f"llama_cpp.Llama({self.path}) failed: {exc!r}",
            ) from exc
        log.info("loaded %s (n_ctx=%d, threads=%s)", self.path, self.context_size, self.threads or "auto")
        return llm

    def load(self) -> LlamaCppBackend:
        """Load the model now (otherwise the first call does)."""
        _ = self.resident
        return self

    def prepare(self) -> None:
        self.load()

    @property
    def llm(self) -> Any:
        """The underlying `llama_cpp.Llama` (loaded on demand)."""
        return self.resident.llm

    @property
    def gate(self) -> ModelGate:
        return self.resident.gate

    def prompt_tokens(self, messages: list[Message]) -> list[int]:
        """The tokens llama.cpp reads for these chat messages (the model's own chat template, as
        `create_chat_completion` formats them)."""
        llm = self.llm
        if self._formatter is None:
            chat_format = require("llama_cpp.llama_chat_format", "llama-cpp-python", "llama_cpp")
            template = llm.metadata.get("tokenizer.chat_template")
            if template is None or llm.chat_format != "chat_template.default":
                raise InferenceError(
                    "This model's prompt format cannot be counted.", f"{self.model}: chat_format {llm.chat_format!r}"
                )

            def text(token: int) -> str:
                return llm._model.token_get_text(token) if token != -1 else ""

            self._formatter = chat_format.Jinja2ChatFormatter(
                template=template, eos_token=text(llm.token_eos()), bos_token=text(llm.token_bos())
            )
        result = self._formatter(messages=[m.model_dump() for m in messages])
        return llm.tokenize(result.prompt.encode("utf-8"), add_bos=not result.added_special, special=True)

    def _generate(self, messages: list[Message], options: Options) -> Iterator[str | Meta]:
        resident = self.resident
        kwargs: dict[str, Any] = {
            "messages": [m.model_dump() for m in messages],
            "temperature": options.temperature,
            "top_p": options.top_p,
            "max_tokens": options.max_tokens,
            "stop": list(options.stop) or None,
            "seed": options.seed,
            "stream": True,
        }
        if options.json_schema is not None:
            kwargs["grammar"] = grammar_for(options.json_schema)
        with resident.gate.hold(options.wait_s):
            llm = resident.llm
            prompt = self.prompt_tokens(messages) if llm.chat_format == "chat_template.default" else []
            # the saved state of this kind of prompt, when it holds more of it than the live cache (llama_states)
            cached = resident.states.restore(llm, prompt) if prompt else 0
            if prompt:  # known before the first token, so a stream closed early still logs it
                yield Meta(prompt_tokens=len(prompt), cached_tokens=cached)
            chunks = 0
            finish = ""
            chunks_iter = llm.create_chat_completion(**kwargs)
            consistent = False  # the KV holds what input_ids say: the stream ended or was closed, no error
            try:
                for chunk in chunks_iter:
                    choice = chunk["choices"][0]
                    text = choice.get("delta", {}).get("content")
                    if text:
                        chunks += 1
                        yield text
                    finish = choice.get("finish_reason") or finish
                consistent = True
            except GeneratorExit:
                consistent = True
                raise
            finally:  # a closed stream stops llama.cpp here, before the model is handed to the next caller
                chunks_iter.close()
                if prompt and consistent:
                    resident.states.save(llm, messages[0].role + ":" + messages[0].content)
            # llama.cpp streams one chunk per sampled token; the context now holds prompt + generated tokens
            # (the last sampled token is not evaluated).
            prompt_tokens = len(prompt) or max(llm.n_tokens - max(chunks - 1, 0), 0)
        yield Meta(
            prompt_tokens=prompt_tokens, completion_tokens=chunks, cached_tokens=cached, finish_reason=finish or "stop"
        )

    def wrap_error(self, exc: Exception) -> RecoverableError | None:
        text = str(exc)
        if isinstance(exc, ValueError) and "context window" in text:
            return InferenceError(
                f"The conversation is longer than the model's context window ({self.context_size} tokens); "
                "start a new session or raise the context size.",
                f"llama_cpp context overflow for {self.model}: {text}",
            )
        if isinstance(exc, ValueError | RuntimeError):
            return InferenceError("The model failed while generating a reply.", f"llama_cpp error: {exc!r}")
        return None

    def close(self) -> None:
        """Free the model (after the running call); the next call loads it again."""
        with self._load_lock:
            resident, self._resident = self._resident, None
        if resident is not None:
            with resident.gate.hold(None):
                resident.llm.close()
            log.info("closed %s", self.path)
