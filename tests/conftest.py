"""Fixtures shared by the tests: an app on templates with a real SQLite store, and its people; the test model."""

from __future__ import annotations

from pathlib import Path

import pytest

from errors import ConfigError
from inference import get_backend
from inference.models import TEST_MODEL, model_path
from settings import settings_from_env
from ui.testing import People, app_context, sign_up_class


@pytest.fixture
def ctx(tmp_path):
    c = app_context(tmp_path / "data")
    yield c
    c.store.close()


@pytest.fixture
def people(ctx) -> People:
    return sign_up_class(ctx)


@pytest.fixture(scope="session")
def model_cache_dir() -> Path:
    """Where models are cached, as an entry point sees it (TUTOR_DATA_DIR's `models`)."""
    return settings_from_env().model_cache_dir


@pytest.fixture(scope="session")
def smollm2_path(model_cache_dir) -> Path:
    """The verified GGUF of the 98 MB test model (smollm2-135m); a test that asks for it skips when it is absent."""
    try:
        return model_path(TEST_MODEL, cache_dir=model_cache_dir)
    except ConfigError as exc:
        pytest.skip(f"test model not installed: {exc.user_message}")


@pytest.fixture(scope="module")
def smollm2_backend(smollm2_path, model_cache_dir):
    """llama.cpp on the test model (one thread, a 2048-token context); closed after the module."""
    backend = get_backend("llama_cpp", model=TEST_MODEL, threads=1, context_size=2048, cache_dir=model_cache_dir)
    yield backend
    backend.close()
