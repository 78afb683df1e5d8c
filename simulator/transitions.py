"""Fitted hidden-state transitions for math students: one small data file, `simulator/transitions.json`.

The file holds, per persona mode, the probability that one tutor move changes the student's mind, by the move's
kind and what it targets, and the share of students who never resolve a misconception by questions (only a
telling can move them). It is fitted by teacher forcing on the fit half of MathDial dev (`evals.calibrate`,
`python -m evals fidelity mathdial:PATH --fit`) and carries its provenance and MathDial's CC BY-SA 4.0 notice.

Cells: move in focus | probing | telling | generic | answer (the message states the final answer the student has
not produced), target in misconceived | unknown | none (the node the message maps to, as the student sees it; none
when it maps to no node or to a node the student knows). Without the file the simulator keeps its hand-set rules
(`Transitions.fitted` is False).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from errors import ValidationError

PATH = Path(__file__).with_name("transitions.json")
CELL_MOVES = ("focus", "probing", "telling", "generic", "answer")
TARGETS = ("misconceived", "unknown", "none")
TELLING_CELLS = ("telling", "answer")  # the moves that can move a student who never resolves by questions


@dataclass(frozen=True)
class Transitions:
    fitted: bool
    resolve: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)  # mode -> move -> target -> p
    never_resolve: dict[str, float] = field(default_factory=dict)  # mode -> share
    reference_resistance: dict[str, float] = field(default_factory=dict)  # mode -> the resistance the fit assumed
    provenance: dict[str, Any] = field(default_factory=dict)

    def p(self, mode: str, move: str, target: str) -> float:
        table = self.resolve.get(mode) or self.resolve["typical"]
        return float(table[move][target])

    def never(self, mode: str) -> float:
        return float(self.never_resolve.get(mode, self.never_resolve.get("typical", 0.0)))


def parse(data: Any, where: str) -> Transitions:
    """A Transitions from the file's JSON; anything malformed raises ValidationError naming the field."""
    if not isinstance(data, dict):
        raise ValidationError(f"{where}: not a JSON object")
    try:
        resolve = {mode: {mv: {tg: float(table[mv][tg]) for tg in TARGETS} for mv in CELL_MOVES}
                   for mode, table in data["resolve"].items()}
        never = {mode: float(v) for mode, v in data["never_resolve"].items()}
        ref = {mode: float(v) for mode, v in data["reference_resistance"].items()}
        provenance = dict(data["provenance"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValidationError(f"{where}: malformed transitions ({type(exc).__name__}: {exc})") from exc
    if "typical" not in resolve:
        raise ValidationError(f"{where}: no 'typical' table")
    values = [p for t in resolve.values() for row in t.values() for p in row.values()] + list(never.values())
    if any(not 0.0 <= p <= 1.0 for p in values):
        raise ValidationError(f"{where}: a probability outside [0, 1]")
    return Transitions(fitted=True, resolve=resolve, never_resolve=never, reference_resistance=ref,
                       provenance=provenance)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> Transitions:
    p = Path(path)
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{p}: cannot read the transitions file: {exc}") from exc
    return parse(data, str(p))


def load_transitions(path: str | Path | None = None) -> Transitions:
    """The fitted transitions (default `simulator/transitions.json`); unfitted hand-set rules when it is absent."""
    p = Path(path) if path is not None else PATH
    if not p.exists():
        return Transitions(fitted=False, provenance={"fitted": "unfitted (hand-set rules)"})
    return _load(str(p), p.stat().st_mtime)


def odds_shift(p: float, resistance: float, reference: float) -> float:
    """p for a student whose resistance differs from the fit's reference: the odds scale by (1-r)/r / (1-r0)/r0."""
    if abs(resistance - reference) < 1e-9 or p <= 0.0 or p >= 1.0:
        return p
    r, r0 = min(max(resistance, 0.01), 0.99), min(max(reference, 0.01), 0.99)
    odds = p / (1 - p) * ((1 - r) / r) / ((1 - r0) / r0)
    return odds / (1 + odds)
