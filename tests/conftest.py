"""Fixtures shared by the app's in-process tests: an app on templates with a real SQLite store, and its people."""

from __future__ import annotations

import pytest

from ui.testing import People, app_context, sign_up_class


@pytest.fixture
def ctx(tmp_path):
    c = app_context(tmp_path / "data")
    yield c
    c.store.close()


@pytest.fixture
def people(ctx) -> People:
    return sign_up_class(ctx)
