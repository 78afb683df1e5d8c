"""One small interface to language models, with backends registered by name and imported lazily.

    backend = get_backend("llama_cpp", model="smollm2-135m", threads=1)
    completion = backend.chat([Message(role="user", content="Hi")], Options(max_tokens=32, actor="tutor"))
    for delta in backend.stream(messages): ...

Importing this package is light: llama_cpp, torch, transformers, openai and langchain load inside the backends.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from errors import ConfigError
from inference.base import Backend, Completion, Message, Options, Stream, Usage
from inference.common import ModelBusy
from inference.fake import FakeBackend, NoneBackend
from inference.langchain_adapter import as_langchain
from inference.models import MODELS, TEST_MODEL, model_path
from inference.schema import bound_schema
from vocabulary import DEFAULT_MODEL

if TYPE_CHECKING:
    from settings import Settings

BACKENDS: dict[str, str] = {
    "llama_cpp": "inference.llama:LlamaCppBackend",
    "transformers": "inference.hf:TransformersBackend",
    "openai": "inference.openai_compat:OpenAIBackend",
    "langchain": "inference.langchain_adapter:LangChainBackend",
    "fake": "inference.fake:FakeBackend",
    "none": "inference.fake:NoneBackend",
}
DEFAULT_BACKEND = "llama_cpp"


def backend_class(name: str) -> type[Backend]:
    """The class registered under `name`; an unknown name is a ConfigError listing the valid ones."""
    target = BACKENDS.get(name)
    if target is None:
        raise ConfigError(
            f"Unknown backend '{name}'. Valid backends: {', '.join(BACKENDS)}.",
            f"get_backend({name!r}): not in {sorted(BACKENDS)}",
        )
    module_name, _, attr = target.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def get_backend(name: str = DEFAULT_BACKEND, **kwargs: Any) -> Backend:
    """Build the backend registered under `name` with its keyword arguments (see each backend's class)."""
    return backend_class(name)(**kwargs)


def backend_from_settings(settings: Settings) -> Backend:
    """The backend the app's settings describe (backend, model, threads, context size, base URL, data dir)."""
    name = settings.backend
    if name in ("llama_cpp", "transformers"):
        return get_backend(
            name,
            model=settings.model,
            threads=settings.threads,
            context_size=settings.context_size,
            cache_dir=settings.model_cache_dir,
        )
    if name == "openai":
        return get_backend(name, model=settings.model, base_url=settings.base_url, api_key=settings.api_key)
    if name == "langchain":
        raise ConfigError(
            "The 'langchain' backend wraps a LangChain chat model object and cannot be chosen by name alone; "
            "build it in code with inference.get_backend('langchain', chat_model=...).",
            "backend_from_settings: langchain needs a chat_model object",
        )
    return get_backend(name)


__all__ = [
    "BACKENDS",
    "Backend",
    "Completion",
    "DEFAULT_BACKEND",
    "DEFAULT_MODEL",
    "MODELS",
    "TEST_MODEL",
    "FakeBackend",
    "Message",
    "ModelBusy",
    "NoneBackend",
    "Options",
    "Stream",
    "Usage",
    "as_langchain",
    "backend_class",
    "backend_from_settings",
    "bound_schema",
    "get_backend",
    "model_path",
]
