"""One typed settings object, built at the edge (environment + CLI flags) and passed down.

No other module reads environment variables for configuration. `apply_offline_env()` sets the telemetry and
hub switches; entry points call it before importing gradio, chromadb, transformers or sentence-transformers.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

OFFLINE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "DO_NOT_TRACK": "1",
    "TOKENIZERS_PARALLELISM": "false",
}

ENV_PREFIX = "TUTOR_"


def apply_offline_env() -> None:
    """Set every telemetry/analytics/hub switch we know of. Idempotent; call before heavy imports."""
    for key, value in OFFLINE_ENV.items():
        os.environ[key] = value


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "socratic-tutor"


class Settings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backend: str = "llama_cpp"
    model: str = "qwen2.5-coder-1.5b"
    base_url: str = ""  # for the openai backend
    api_key: str = ""  # for the openai backend; most local servers ignore it
    threads: int = Field(default=0, ge=0)  # 0: llama.cpp picks
    context_size: int = Field(default=4096, ge=256)
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = ""  # empty: SQLite under data_dir; postgresql://... for PostgreSQL
    chroma_url: str = ""  # empty: embedded Chroma under data_dir; http://host:port for a `chroma run` server
    host: str = "127.0.0.1"
    port: int = Field(default=7860, ge=1, le=65535)
    policy: str = "tree"
    max_turns: int = Field(default=12, ge=1)
    log_level: str = "INFO"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'tutor.db'}"

    @property
    def chroma_dir(self) -> Path:
        return self.data_dir / "chroma"

    @property
    def model_cache_dir(self) -> Path:
        return self.data_dir / "models"


def settings_from_env(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from TUTOR_* variables, then explicit overrides (e.g. parsed CLI flags)."""
    env = dict(os.environ if env is None else env)
    values: dict[str, Any] = {}
    for name in Settings.model_fields:
        key = ENV_PREFIX + name.upper()
        if key in env and env[key] != "":
            values[name] = env[key]
    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)


def add_settings_arguments(parser: argparse.ArgumentParser) -> None:
    """CLI flags for the common settings; each defaults to None so the environment wins when a flag is absent."""
    for name, field in Settings.model_fields.items():
        flag = "--" + name.replace("_", "-")
        parser.add_argument(flag, dest=name, default=None, help=f"{field.description or name} (env {ENV_PREFIX}{name.upper()})")


def settings_from_args(args: argparse.Namespace) -> Settings:
    return settings_from_env(**{name: getattr(args, name, None) for name in Settings.model_fields})
