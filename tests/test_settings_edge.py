"""Settings are built at the edge: only entry points (modules with a `main()`) call `settings_from_env()`; library
functions take the settings (or the folder they need) as a parameter, and the entry points keep TUTOR_DATA_DIR."""

from __future__ import annotations

import ast
from pathlib import Path

import inference
from evals.config import RoleConfig
from evals.runner import make_backend
from inference import models
from settings import Settings, settings_from_env

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("inference", "knowledge", "simulator", "tutor", "evals", "store", "ui")


def _calls_settings_from_env(tree: ast.Module) -> list[int]:
    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and (getattr(node.func, "id", None) or getattr(node.func, "attr", None)) == "settings_from_env"
    ]


def _has_main(tree: ast.Module) -> bool:
    return any(isinstance(node, ast.FunctionDef) and node.name == "main" for node in tree.body)


def library_modules() -> list[Path]:
    return [p for pkg in PACKAGES for p in sorted((ROOT / pkg).rglob("*.py")) if p.name != "__main__.py"]


def test_library_modules_do_not_build_settings():
    offenders = []
    for path in library_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if not _has_main(tree):
            offenders += [f"{path.relative_to(ROOT)}:{line}" for line in _calls_settings_from_env(tree)]
    assert offenders == []


def test_the_check_sees_a_call():
    assert _calls_settings_from_env(ast.parse("import settings\nsettings.settings_from_env()\n")) == [2]
    assert _calls_settings_from_env(ast.parse("s = settings_from_env(data_dir='x')\n")) == [1]
    assert not _has_main(ast.parse("def helper():\n    pass\n"))


def test_the_model_cache_default_does_not_read_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TUTOR_DATA_DIR", str(tmp_path))
    assert models._cache_dir(None) == Settings().model_cache_dir
    assert models._cache_dir(tmp_path / "m") == tmp_path / "m"
    assert settings_from_env().model_cache_dir == tmp_path / "models"  # the edge reads it


def test_make_backend_gives_in_process_backends_the_settings_cache(monkeypatch, tmp_path):
    seen: list[dict] = []
    monkeypatch.setattr(inference, "get_backend", lambda name, **kwargs: seen.append({"name": name, **kwargs}))
    settings = Settings(data_dir=tmp_path)
    make_backend(RoleConfig(backend="llama_cpp", model="smollm2-135m"), settings)
    make_backend(RoleConfig(backend="llama_cpp", model="smollm2-135m"))
    make_backend(RoleConfig(backend="fake"), settings)
    assert seen[0]["cache_dir"] == tmp_path / "models"
    assert "cache_dir" not in seen[1] and "cache_dir" not in seen[2]
