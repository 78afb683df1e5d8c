"""Resolve a run's problem sets (`starter`, `mathdial:PATH`, `sdb:DIR`) into a filtered list of problems."""

from __future__ import annotations

import logging
import random

from errors import ConfigError
from evals.config import ProblemSet, RunConfig
from knowledge import importers
from knowledge.bank import load_starter
from knowledge.types import Problem

log = logging.getLogger(__name__)


def _load_source(ps: ProblemSet) -> list[Problem]:
    if ps.kind == "starter":
        return list(load_starter())
    path = ps.path
    if path is None or not path.exists():
        raise ConfigError(f"Problem source not found: {ps.source}")
    report = importers.import_mathdial(path) if ps.kind == "mathdial" else importers.import_sdb(path)
    if report.skipped:
        log.info("%s: %d problems imported, %d records skipped", ps.source, len(report.problems), len(report.skipped))
    return list(report.problems)


def select(problems: list[Problem], ps: ProblemSet) -> list[Problem]:
    """Apply the set's filters in a fixed order: ids, domain, skill, seeded sample, limit."""
    out = list(problems)
    if ps.ids:
        wanted = set(ps.ids)
        missing = wanted - {p.id for p in out}
        if missing:
            raise ConfigError(f"Unknown problem ids in {ps.source}: {', '.join(sorted(missing))}")
        out = [p for p in out if p.id in wanted]
    if ps.domain:
        out = [p for p in out if p.domain == ps.domain]
    if ps.skill:
        out = [p for p in out if ps.skill in p.skills]
    if ps.sample is not None and ps.sample < len(out):
        rng = random.Random(ps.sample_seed)
        chosen = set(rng.sample(range(len(out)), ps.sample))
        out = [p for i, p in enumerate(out) if i in chosen]
    if ps.limit is not None:
        out = out[: ps.limit]
    return out


def load_problems(config: RunConfig) -> list[Problem]:
    """All problems of the run, de-duplicated by id (first set wins), in a stable order."""
    seen: dict[str, Problem] = {}
    for ps in config.problems:
        for p in select(_load_source(ps), ps):
            seen.setdefault(p.id, p)
    if not seen:
        raise ConfigError("The run's problem sets select no problems; loosen the filters.")
    return list(seen.values())
