"""The default backend: llama-cpp-python in process, one resident model, prefix reuse across turns.

One model stays resident per process (`_RESIDENT`, keyed by path, context size and threads; asking for another
key closes the old model first). Backends look the model up on every call rather than holding it, so the cache is
the one owner. llama.cpp keeps the KV cache of the previous prompt and re-evaluates only the tokens after the
longest common prefix, so a dialogue whose system prompt and problem stay fixed, with turns appended, pays only
for the new turn. Structured output compiles the (bounded) JSON schema to a GBNF grammar.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from errors import InferenceError, RecoverableError
from inference.base import Message, Options
from inference.common import Meta, ModelGate, StreamingBackend, require
from inference.schema import bound_schema

log = logging.getLogger("inference.llama")

@dataclass
class _Resident:
    key: tuple[str, int, int]
    llm: Any
    gate: ModelGate  # one caller at a time; a call with a wait budget is refused when the queue is too long

    @property
    def lock(self) -> Any:  # for load/close: hold the model with no budget
        return self.gate.hold(None)


_RESIDENT: dict[tuple[str, int, int], _Resident] = {}
_RESIDENT_LOCK = threading.Lock()


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


def resident_model(path: Path, n_ctx: int, threads: int, extra_buffers: bool = False) -> _Resident:
    """Return the resident llama.cpp model for this key, loading it (and closing any other) when needed."""
    key = (str(path), n_ctx, threads)
    with _RESIDENT_LOCK:
        found = _RESIDENT.get(key)
        if found is not None:
            return found
        for old in list(_RESIDENT.values()):
            with old.lock:
                old.llm.close()
            log.info("closed resident model %s", old.key[0])
        _RESIDENT.clear()
        try:
            llm = new_llama(
                path,
                extra_buffers=extra_buffers,
                n_ctx=n_ctx,
                n_threads=threads or None,
                n_threads_batch=threads or None,
                n_gpu_layers=-1,  # offload everything when built with a GPU; ignored on CPU builds
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise InferenceError(
                f"The model file {path.name} could not be loaded; it may be corrupt or not a supported GGUF model.",
                f"llama_cpp.Llama({path}) failed: {exc!r}",
            ) from exc
        log.info("loaded %s (n_ctx=%d, threads=%s)", path, n_ctx, threads or "auto")
        resident = _Resident(key, llm, ModelGate(path.stem))
        _RESIDENT[key] = resident
        return resident


def unload_all() -> None:
    """Close the resident model (tests, shutdown)."""
    with _RESIDENT_LOCK:
        for old in _RESIDENT.values():
            with old.lock:
                old.llm.close()
        _RESIDENT.clear()


# llama-cpp-python's converter lets a JSON string contain raw control characters (a newline), which is invalid
# JSON; the same rule without them:
_LOOSE_CHAR = 'char ::= [^"\\\\] |'
_STRICT_CHAR = 'char ::= [^"\\\\\\x7F\\x00-\\x1F] |'


@lru_cache(maxsize=64)
def _gbnf_for(schema_json: str) -> str:
    llama_grammar = require("llama_cpp.llama_grammar", "llama-cpp-python", "llama_cpp")
    gbnf = llama_grammar.json_schema_to_gbnf(schema_json)
    return "\n".join(_STRICT_CHAR + line[len(_LOOSE_CHAR):] if line.startswith(_LOOSE_CHAR) else line
                     for line in gbnf.split("\n"))


def grammar_for(schema: dict[str, Any]) -> Any:
    """A fresh LlamaGrammar for the bounded version of `schema` (the GBNF text is cached)."""
    llama_grammar = require("llama_cpp.llama_grammar", "llama-cpp-python", "llama_cpp")
    gbnf = _gbnf_for(json.dumps(bound_schema(schema)))
    return llama_grammar.LlamaGrammar.from_string(gbnf, verbose=False)


class LlamaCppBackend(StreamingBackend):
    """`get_backend("llama_cpp", model="smollm2-135m", threads=1, context_size=4096)`."""

    name = "llama_cpp"

    def __init__(self, model: str = "qwen2.5-coder-1.5b", *, threads: int = 0, context_size: int = 4096,
                 cache_dir: Path | str | None = None, extra_buffers: bool = False, **_: Any) -> None:
        from inference.models import model_path

        self.model = model
        self.path = model_path(model, cache_dir=cache_dir)
        self.threads = int(threads)
        self.context_size = int(context_size)
        self.extra_buffers = extra_buffers

    def load(self) -> LlamaCppBackend:
        """Load the model now (otherwise the first call does)."""
        resident_model(self.path, self.context_size, self.threads, self.extra_buffers)
        return self

    def prepare(self) -> None:
        self.load()

    @property
    def llm(self) -> Any:
        """The underlying `llama_cpp.Llama` (loaded on demand)."""
        return resident_model(self.path, self.context_size, self.threads, self.extra_buffers).llm

    def _generate(self, messages: list[Message], options: Options) -> Iterator[str | Meta]:
        resident = resident_model(self.path, self.context_size, self.threads, self.extra_buffers)
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
            chunks = 0
            finish = ""
            chunks_iter = resident.llm.create_chat_completion(**kwargs)
            try:
                for chunk in chunks_iter:
                    choice = chunk["choices"][0]
                    text = choice.get("delta", {}).get("content")
                    if text:
                        chunks += 1
                        yield text
                    finish = choice.get("finish_reason") or finish
            finally:  # a closed stream stops llama.cpp here, before the model is handed to the next caller
                chunks_iter.close()
            # llama.cpp streams one chunk per sampled token; the context now holds prompt + generated tokens
            # (the last sampled token is not evaluated).
            prompt_tokens = max(resident.llm.n_tokens - max(chunks - 1, 0), 0)
        yield Meta(prompt_tokens=prompt_tokens, completion_tokens=chunks, finish_reason=finish or "stop")

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
        """The resident model is shared; `inference.llama.unload_all()` frees it."""
