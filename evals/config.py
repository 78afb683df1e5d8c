"""An evaluation run is data: a `RunConfig` read from YAML (unknown fields rejected), overridable by CLI flags.

Problem sets are named by a spec string: `starter`, `mathdial:PATH` (a MathDial JSONL file) or `sdb:DIR` (a
Socratic Debugging Benchmark folder), each with optional filters (domain, skill, ids, limit, a seeded sample).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from errors import ConfigError
from vocabulary import DEFAULT_POLICY, PersonaMode, PolicyName


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProblemSet(_Model):
    """Where problems come from and which of them to use. Filters apply in the order: ids, domain, skill, sample,
    limit."""

    source: str = "starter"  # starter | mathdial:PATH | sdb:DIR
    domain: Literal["math", "code"] | None = None
    skill: str | None = None
    ids: list[str] = Field(default_factory=list)
    sample: int | None = Field(default=None, ge=1)  # a seeded random sample of this many problems
    sample_seed: int = 0
    limit: int | None = Field(default=None, ge=1)  # the first N (after sampling)

    @field_validator("source")
    @classmethod
    def _known_source(cls, value: str) -> str:
        kind, _, arg = value.partition(":")
        if kind not in ("starter", "mathdial", "sdb"):
            raise ValueError(f"unknown problem source {value!r}; use starter, mathdial:PATH or sdb:DIR")
        if kind != "starter" and not arg:
            raise ValueError(f"{kind} needs a path: {kind}:PATH")
        return value

    @property
    def kind(self) -> str:
        return self.source.partition(":")[0]

    @property
    def path(self) -> Path | None:
        arg = self.source.partition(":")[2]
        return Path(arg).expanduser() if arg else None


class PersonaSpec(_Model):
    """A simulated student. With `use_problem_profile`, a problem's own student profile (MathDial, SDB) seeds it."""

    name: str = "student"
    mode: PersonaMode = "typical"
    grade: int | None = None
    profile: str = ""
    resistance: float | None = Field(default=None, ge=0.0, le=1.0)
    verbosity: float | None = Field(default=None, ge=0.0, le=1.0)
    use_problem_profile: bool = True

    @property
    def label(self) -> str:
        return self.name if self.name == self.mode else f"{self.name}/{self.mode}"


class RoleConfig(_Model):
    """The inference backend for one role. `none` means templates only."""

    backend: str = "none"
    model: str = ""
    base_url: str = ""
    threads: int = Field(default=1, ge=0)
    context_size: int = Field(default=4096, ge=256)

    def key(self) -> tuple[str, str, str]:
        return (self.backend, self.model, self.base_url)


class JudgeConfig(RoleConfig):
    enabled: bool = False
    turns_per_dialogue: int = Field(default=3, ge=1)


class RunConfig(_Model):
    name: str = Field(default="run", pattern=r"^[A-Za-z0-9_.-]+$")
    policies: list[PolicyName] = Field(default_factory=lambda: [DEFAULT_POLICY], min_length=1)
    problems: list[ProblemSet] = Field(default_factory=lambda: [ProblemSet()], min_length=1)
    personas: list[PersonaSpec] = Field(default_factory=lambda: [PersonaSpec()], min_length=1)
    students_per_problem: int = Field(default=1, ge=1)
    seeds: list[int] = Field(default_factory=lambda: [0], min_length=1)
    max_turns: int = Field(default=12, ge=1, le=100)
    k: list[int] = Field(default_factory=list)  # success@k / telling@k cut-offs; empty: [max_turns]
    tutor: RoleConfig = Field(default_factory=RoleConfig)
    student: RoleConfig = Field(default_factory=RoleConfig)
    judge: JudgeConfig = Field(default_factory=JudgeConfig)
    concurrency: int = Field(default=1, ge=1, le=256)
    output_dir: Path | None = None  # default: runs/<name>
    bootstrap: int = Field(default=1000, ge=0)
    ci: float = Field(default=0.95, gt=0.0, lt=1.0)
    bootstrap_seed: int = 0

    @field_validator("policies", mode="before")
    @classmethod
    def _yaml_null(cls, value: object) -> object:
        # YAML reads a bare `null` as None; in a policy list it can only mean the `null` policy
        return ["null" if v is None else v for v in value] if isinstance(value, list) else value

    @field_validator("policies")
    @classmethod
    def _unique_policies(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))

    @model_validator(mode="after")
    def _ks(self) -> RunConfig:
        if not self.k:
            self.k = [self.max_turns]
        bad = [k for k in self.k if k < 1]
        if bad:
            raise ValueError(f"k must be >= 1, got {bad}")
        self.k = sorted(set(self.k))
        return self

    @property
    def run_dir(self) -> Path:
        return Path(self.output_dir) if self.output_dir else Path("runs") / self.name

    def student_seeds(self) -> list[int]:
        """The seeds of the simulated students for each problem: seed*1000 + i for i < students_per_problem."""
        return [s * 1000 + i for s in self.seeds for i in range(self.students_per_problem)]


def load_config(path: str | Path | None = None, **overrides: Any) -> RunConfig:
    """Read a YAML config (or start from defaults) and apply dotted overrides (`tutor.backend=...`)."""
    data: dict[str, Any] = {}
    if path is not None:
        p = Path(path)
        if not p.exists():
            raise ConfigError(f"Config file not found: {p}")
        try:
            loaded = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"Could not read {p} as YAML.", f"{p}: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{p} must hold a mapping of settings.")
        data = loaded
    for key, value in overrides.items():
        if value is None:
            continue
        target = data
        parts = key.split(".")
        for part in parts[:-1]:
            target = target.setdefault(part, {})
        target[parts[-1]] = value
    try:
        return RunConfig.model_validate(data)
    except Exception as exc:  # pydantic.ValidationError: name the field for the person
        raise ConfigError(f"Invalid run config: {exc}", str(exc)) from exc


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """Flags for the common fields; each defaults to None so the YAML value wins when absent."""
    a = parser.add_argument
    a("--name")
    a("--policies", help="comma-separated: tree,vanilla,telling,null")
    a("--problems", help="problem source: starter | mathdial:PATH | sdb:DIR (replaces the config's sets)")
    a("--domain", choices=["math", "code"])
    a("--skill")
    a("--ids", help="comma-separated problem ids")
    a("--limit", type=int)
    a("--sample", type=int, help="random sample of N problems (seeded by --sample-seed)")
    a("--sample-seed", type=int)
    a("--modes", help="comma-separated persona modes: typical,quiet,confused,adversarial (replaces personas)")
    a("--students", type=int, dest="students_per_problem")
    a("--seeds", help="comma-separated base seeds")
    a("--max-turns", type=int)
    a("--k", help="comma-separated cut-offs for success@k/telling@k")
    a("--backend", help="backend for tutor and student (none, fake, llama_cpp, openai, ...)")
    a("--model", help="model for tutor and student")
    a("--base-url", help="OpenAI-compatible server URL for tutor and student")
    a("--threads", type=int)
    for role in ("tutor", "student", "judge"):
        a(f"--{role}-backend")
        a(f"--{role}-model")
    a("--judge", action="store_true", default=None, help="enable the LLM judge in the score stage")
    a("--concurrency", type=int)
    a("--output-dir")


def _csv(value: str | None) -> list[str] | None:
    return None if value is None else [v.strip() for v in value.split(",") if v.strip()]


def config_from_args(args: argparse.Namespace) -> RunConfig:
    base = load_config(getattr(args, "config", None))
    data = base.model_dump(mode="json")
    if args.max_turns is not None and args.k is None:  # keep the cut-offs that still fit, and add the new maximum
        data["k"] = sorted({k for k in base.k if k <= args.max_turns} | {args.max_turns})
    for field in ("name", "students_per_problem", "max_turns", "concurrency", "output_dir"):
        value = getattr(args, field, None)
        if value is not None:
            data[field] = value
    if args.policies is not None:
        data["policies"] = _csv(args.policies)
    if args.seeds is not None:
        data["seeds"] = [int(s) for s in _csv(args.seeds) or []]
    if args.k is not None:
        data["k"] = [int(s) for s in _csv(args.k) or []]
    if args.modes is not None:
        data["personas"] = [{"name": m, "mode": m} for m in _csv(args.modes) or []]
    filters = {
        "domain": args.domain,
        "skill": args.skill,
        "ids": _csv(args.ids),
        "limit": args.limit,
        "sample": args.sample,
        "sample_seed": args.sample_seed,
    }
    sets = [{"source": args.problems}] if args.problems is not None else data["problems"]
    for ps in sets:
        ps.update({k: v for k, v in filters.items() if v is not None})
    data["problems"] = sets
    for role in ("tutor", "student"):
        for field, flag in (
            ("backend", "backend"),
            ("model", "model"),
            ("base_url", "base_url"),
            ("threads", "threads"),
        ):
            if getattr(args, flag, None) is not None:
                data[role][field] = getattr(args, flag)
    for role in ("tutor", "student", "judge"):
        for field in ("backend", "model"):
            value = getattr(args, f"{role}_{field}", None)
            if value is not None:
                data[role][field] = value
    if args.judge:
        data["judge"]["enabled"] = True
    try:
        return RunConfig.model_validate(data)
    except Exception as exc:
        raise ConfigError(f"Invalid run config: {exc}", str(exc)) from exc
