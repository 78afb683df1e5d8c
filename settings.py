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

from vocabulary import CLASS_POLICY_NAMES, DEFAULT_MODEL, DEFAULT_POLICY, or_list

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

    backend: str = Field(
        default="llama_cpp", description="model backend: llama_cpp, openai, transformers, fake or none (templates only)"
    )
    model: str = Field(
        default=DEFAULT_MODEL, description="the model name (see `python -m inference list`) or a .gguf path"
    )
    base_url: str = Field(default="", description="the OpenAI-compatible server's URL, for the openai backend")
    api_key: str = Field(default="", description="the openai backend's API key; most local servers ignore it")
    threads: int = Field(default=0, ge=0, description="CPU threads for llama.cpp; 0: llama.cpp picks")
    context_size: int = Field(default=4096, ge=256, description="the model's context window in tokens")
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="where the database, Chroma store, models, exports and eval runs live",
    )
    database_url: str = Field(
        default="", description="empty: SQLite under the data dir; postgresql://... for PostgreSQL"
    )
    chroma_url: str = Field(
        default="", description="empty: embedded Chroma under the data dir; http://host:port for a `chroma run` server"
    )
    host: str = Field(default="127.0.0.1", description="the address the app listens on")
    port: int = Field(default=7860, ge=1, le=65535, description="the port the app listens on")
    policy: str = Field(
        default=DEFAULT_POLICY, description=f"the tutor policy of new classes: {or_list(CLASS_POLICY_NAMES)}"
    )
    max_turns: int = Field(default=12, ge=1, description="turns before a dialogue ends unsolved")
    log_level: str = Field(default="INFO", description="DEBUG, INFO, WARNING or ERROR")
    admin_username: str = Field(default="", description="first run: create this teacher account when no teacher exists")
    admin_password: str = Field(
        default="",
        description="the password of admin_username (environment only, never a flag)",
        json_schema_extra={"cli": False},
    )

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
        if (field.json_schema_extra or {}).get("cli") is False:  # a secret: a flag would show it in the process list
            continue
        flag = "--" + name.replace("_", "-")
        parser.add_argument(
            flag, dest=name, default=None, help=f"{field.description or name} (env {ENV_PREFIX}{name.upper()})"
        )


def settings_from_args(args: argparse.Namespace) -> Settings:
    return settings_from_env(**{name: getattr(args, name, None) for name in Settings.model_fields})
