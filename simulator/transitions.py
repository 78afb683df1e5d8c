"""Fitted hidden-state transitions for math students: one small data file, `simulator/transitions.json`.

A discrete-time hazard: at each tutor message, the chance that a student who has not got there yet gets it (redoes
the problem from their misconception and reaches the right answer) is

    p = sigmoid(intercept + sum(weight[f] * cue[f]) + offset[turn bucket])

over the message's cues as the student sees them (`Cue`, built by `simulator.cues.cue_of`): whether it states the
final answer, how many step values it states, whether it states the value of the step before the last, whether it
is about the last step, its move kind and its target node's status, whether it names anything of this problem,
whether it praises or points at an error, and the student's own starting point (one misconceived step or several;
steps it does not know). The turn offsets
(turn 1, 2, 3-4, 5-8, 9+) carry how far into the dialogue the message comes. The odds scale with a persona's
resistance against the mode's reference (`odds_shift`).

Gate (the design rule "no self-correction without teaching"): until the student has received a message that names
something of the problem (a number of it or a word of its statement; `Cue.content`), p is 0.

It is fitted by teacher forcing on the fit half of MathDial dev (`evals.calibrate`,
`python -m evals fidelity mathdial:PATH --fit`) and carries its provenance and MathDial's CC BY-SA 4.0 notice.
Without the file the simulator keeps its hand-set rules (`Transitions.fitted` is False).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from errors import ValidationError

PATH = Path(__file__).with_name("transitions.json")
FEATURES = (
    "answer_told",
    "fresh_values",
    "fresh_previous",
    "last_step",
    "focus",
    "probing",
    "telling",
    "misconceived",
    "unknown",
    "content",
    "praise",
    "error_pointed",
    "single_misconception",
    "unknown_steps",
)
BUCKETS = ("1", "2", "3-4", "5-8", "9+")
BUCKET_K = (1, 2, 4, 8, 12)  # the success@k each bucket's offset is matched to (its last turn)


def bucket(turn: int) -> str:
    """The turn-position bucket of a (1-based) tutor message."""
    if turn <= 1:
        return "1"
    if turn == 2:
        return "2"
    if turn <= 4:
        return "3-4"
    return "5-8" if turn <= 8 else "9+"


@dataclass(frozen=True)
class Cue:
    """What one tutor message holds for the hazard, as the student sees it before replying."""

    turn: int  # 1-based
    move: str  # focus | probing | telling | generic
    target: str  # misconceived | unknown | none: the status of the node the message is about
    answer_told: bool  # it states the final answer
    fresh_values: int  # how many step values (not givens of the problem) it states
    fresh_previous: bool  # it states the value of the step before the last
    last_step: bool  # it is about the last step
    content: bool  # it names something of this problem (one of its numbers or a word of its statement)
    taught_before: int  # earlier messages with content
    praise: bool  # it says the student got something right ("Good", "Correct", "Well done")
    error_pointed: bool  # it says something is wrong ("not", "mistake", "careful", "doesn't")
    single_misconception: bool  # the student's wrong path corrupts one step only
    unknown_steps: int  # steps the student does not know how to do

    @property
    def gated(self) -> bool:
        """False while the student has been taught nothing: then nothing moves them."""
        return self.content or self.answer_told or self.taught_before > 0

    def values(self) -> dict[str, float]:
        return {
            "answer_told": float(self.answer_told),
            "fresh_values": float(min(self.fresh_values, 3)),
            "fresh_previous": float(self.fresh_previous),
            "last_step": float(self.last_step),
            "focus": float(self.move == "focus"),
            "probing": float(self.move == "probing"),
            "telling": float(self.move == "telling"),
            "misconceived": float(self.target == "misconceived"),
            "unknown": float(self.target == "unknown"),
            "content": float(self.content),
            "praise": float(self.praise),
            "error_pointed": float(self.error_pointed),
            "single_misconception": float(self.single_misconception),
            "unknown_steps": float(min(self.unknown_steps, 3)),
        }

    def vector(self) -> list[float]:
        v = self.values()
        return [v[f] for f in FEATURES]


def sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z >= 0 else math.exp(z) / (1.0 + math.exp(z))


@dataclass(frozen=True)
class Transitions:
    fitted: bool
    intercept: float = 0.0
    weights: dict[str, float] = field(default_factory=dict)
    offsets: dict[str, float] = field(default_factory=dict)  # turn bucket -> logit offset
    reference_resistance: dict[str, float] = field(default_factory=dict)  # mode -> the resistance the fit assumed
    provenance: dict[str, Any] = field(default_factory=dict)
    frozen: bool = False  # nothing moves the student (the fit observes real dialogues through a frozen student)

    def logit(self, cue: Cue) -> float:
        v = cue.values()
        return (
            self.intercept
            + sum(self.weights.get(f, 0.0) * v[f] for f in FEATURES)
            + self.offsets.get(bucket(cue.turn), 0.0)
        )

    def hazard(self, cue: Cue, *, mode: str = "typical", resistance: float | None = None) -> float:
        """The chance that this message moves a student who has not got there yet (0 before any teaching)."""
        if self.frozen or not self.fitted or not cue.gated:
            return 0.0
        p = sigmoid(self.logit(cue))
        reference = self.reference_resistance.get(mode, self.reference_resistance.get("typical"))
        if resistance is None or reference is None:
            return p
        return odds_shift(p, resistance, reference)


MOVES = "fitted"  # the move classifier the transitions are fitted with (simulator.move_model; "rules": the rules)
FROZEN = Transitions(fitted=True, frozen=True, provenance={"fitted": "frozen (observation only)", "moves": MOVES})


def parse(data: Any, where: str) -> Transitions:
    """A Transitions from the file's JSON; anything malformed raises ValidationError naming the field."""
    if not isinstance(data, dict):
        raise ValidationError(f"{where}: not a JSON object")
    try:
        hazard = data["hazard"]
        intercept = float(hazard["intercept"])
        weights = {f: float(hazard["weights"][f]) for f in FEATURES}
        offsets = {b: float(hazard["turn_offsets"][b]) for b in BUCKETS}
        ref = {mode: float(v) for mode, v in data["reference_resistance"].items()}
        provenance = dict(data["provenance"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValidationError(f"{where}: malformed transitions ({type(exc).__name__}: {exc})") from exc
    numbers = [intercept, *weights.values(), *offsets.values()]
    if any(not math.isfinite(x) or abs(x) > 20 for x in numbers):
        raise ValidationError(f"{where}: a coefficient outside [-20, 20]")
    if any(not 0.0 <= r <= 1.0 for r in ref.values()) or "typical" not in ref:
        raise ValidationError(f"{where}: reference_resistance needs 'typical', each in [0, 1]")
    return Transitions(
        fitted=True,
        intercept=intercept,
        weights=weights,
        offsets=offsets,
        reference_resistance=ref,
        provenance=provenance,
    )


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
