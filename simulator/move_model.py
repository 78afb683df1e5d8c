"""The fitted move classifier: a linear model over MiniLM embeddings and lexical features, applied with numpy.

Its parameters are one small data file, `simulator/moves_model.json`, fitted on MathDial dev by
`python -m evals.moves PATH --fit` (see `evals.move_fit`) and carrying its provenance and MathDial's CC BY-SA 4.0
notice. Two models share the file: `embedding` (the packaged all-MiniLM-L6-v2 vector of the message plus the
lexical features) and `lexical` (lexical features only, used when the embedding model is unavailable or the
session maps with another embedder). Without the file, `simulator.moves` keeps its rules.

Features are computed from the message, where it sits (`MoveContext`: the tutor turn number, the student's last
message, the tutor's previous message, the problem statement) and the rule classifier's scores and rule hits.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from errors import ValidationError
from knowledge.numbers import parse_numbers
from simulator.moves import MoveScores, classify_move, llm_tie_break, score_move
from vocabulary import MOVES, Move

if TYPE_CHECKING:
    from inference.base import Backend

PATH = Path(__file__).with_name("moves_model.json")
EMBEDDING_DIM = 384
KINDS = ("embedding", "lexical")
RULES = (
    "greeting",
    "walkthrough",
    "praise",
    "wellbeing",
    "short_statement",
    "probe",
    "strong_probe",
    "quantity_question",
    "quantity_phrase",
    "other_question",
    "directive",
    "numbers_in_question",
    "tell_phrase",
    "equation",
    "negation",
    "imperative",
    "numbers_statement",
    "number_statement",
    "long_statement",
)
OPENERS = (
    "what",
    "how",
    "why",
    "can",
    "could",
    "do",
    "does",
    "did",
    "is",
    "are",
    "would",
    "where",
    "which",
    "so",
    "and",
    "ok",
    "okay",
    "yes",
    "no",
    "let's",
    "great",
    "well",
    "good",
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")
_WORDS = re.compile(r"[a-z']+")


@dataclass(frozen=True)
class MoveContext:
    """Where a tutor message sits: its 1-based turn among tutor turns and what came just before it."""

    turn: int = 1
    previous_student: str = ""  # the student's last message (before the first tutor turn: the opening attempt)
    previous_tutor: str = ""
    statement: str = ""  # the problem statement


def _first_word(text: str) -> str:
    words = _WORDS.findall(text.lower())
    return words[0] if words else ""


def _close(x: float, values: list[float]) -> bool:
    return any(abs(x - v) <= 1e-6 * max(1.0, abs(x), abs(v)) for v in values)


def text_features(text: str) -> dict[str, float]:
    """Features of the message alone: the rule scores and hits, punctuation, numbers, length, opening words."""
    t = " ".join((text or "").split())
    scored = score_move(t)
    hits = {f.split("->")[0] for f in scored.features}
    sentences = [s for s in _SENTENCE.split(t) if s]
    last = sentences[-1] if sentences else ""
    f: dict[str, float] = {f"rule_score_{m}": scored.scores[m] for m in MOVES}
    f["rule_margin"] = scored.margin
    f.update({f"rule_is_{m}": float(scored.move == m) for m in MOVES})
    f.update({f"rule_{name}": float(name in hits) for name in RULES})
    nums = parse_numbers(t)
    f.update(
        {
            "question": float("?" in t),
            "questions": float(min(t.count("?"), 3)),
            "digit": float(bool(re.search(r"\d", t))),
            "numbers": float(min(len(nums), 5)),
            "equals": float("=" in t),
            "words": min(len(t.split()), 90) / 30,
            "sentences": min(len(sentences), 9) / 3,
            "ends_with_question": float(last.endswith("?")),
        }
    )
    first, last_first = _first_word(t), _first_word(last)
    f.update({f"first_{w}": float(first == w) for w in OPENERS})
    f.update({f"last_first_{w}": float(last_first == w) for w in OPENERS})
    return f


def lexical_features(text: str, context: MoveContext | None = None) -> dict[str, float]:
    """The message's features, its context's, and the previous tutor message's (prefixed `prev_`)."""
    ctx = context or MoveContext()
    f = text_features(text)
    nums = parse_numbers(text)
    student = parse_numbers(ctx.previous_student)
    statement = parse_numbers(ctx.statement)
    f.update(
        {
            "numbers_from_student": float(min(sum(1 for x in nums if _close(x, student)), 5)),
            "numbers_from_statement": float(min(sum(1 for x in nums if _close(x, statement)), 5)),
            "numbers_new": float(min(sum(1 for x in nums if not _close(x, statement + student)), 5)),
            "student_numbers": float(bool(student)),
            "student_question": float("?" in ctx.previous_student),
            "turn": min(max(ctx.turn, 1), 10) / 10,
            "turn_1": float(ctx.turn <= 1),
            "turn_2": float(ctx.turn == 2),
            "has_previous_tutor": float(bool(ctx.previous_tutor.strip())),
        }
    )
    f.update({f"prev_{k}": v for k, v in text_features(ctx.previous_tutor).items()})
    return f


def feature_names() -> list[str]:
    return list(lexical_features("").keys())


@dataclass(frozen=True)
class LinearMoves:
    """One linear model: scores = coef @ features + intercept; the move is the class with the highest score."""

    kind: str
    classes: tuple[Move, ...]
    features: tuple[str, ...]  # lexical feature names, after the embedding block for kind "embedding"
    coef: np.ndarray  # classes x (embedding dim + len(features)), the input standardisation folded in
    intercept: np.ndarray

    def probabilities(
        self, text: str, context: MoveContext | None = None, embedding: np.ndarray | None = None
    ) -> dict[Move, float]:
        lex = lexical_features(text, context)
        x = np.array([lex[name] for name in self.features], dtype=np.float64)
        if self.kind == "embedding":
            if embedding is None or np.shape(embedding) != (EMBEDDING_DIM,):
                raise ValueError(f"the embedding model needs a {EMBEDDING_DIM}-dimensional message embedding")
            x = np.concatenate([np.asarray(embedding, dtype=np.float64), x])
        z = self.coef @ x + self.intercept
        p = np.exp(z - z.max())
        p /= p.sum()
        return {c: float(v) for c, v in zip(self.classes, p, strict=True)}


@dataclass(frozen=True)
class MoveModel:
    models: dict[str, LinearMoves]
    provenance: dict[str, Any]
    notice: str


def parse(data: Any, where: str) -> MoveModel:
    """A MoveModel from the file's JSON; anything malformed raises ValidationError naming what is wrong."""
    if not isinstance(data, dict):
        raise ValidationError(f"{where}: not a JSON object")
    known = set(feature_names())
    models: dict[str, LinearMoves] = {}
    try:
        classes = tuple(data["classes"])
        if sorted(classes) != sorted(MOVES):
            raise ValueError(f"classes must be {', '.join(MOVES)}, got {classes}")
        for kind in KINDS:
            spec = data["models"][kind]
            features = tuple(str(x) for x in spec["features"])
            unknown = [x for x in features if x not in known]
            if unknown:
                raise ValueError(f"model {kind!r} has unknown features {unknown[:3]}")
            coef = np.asarray(spec["coef"], dtype=np.float64)
            intercept = np.asarray(spec["intercept"], dtype=np.float64)
            width = len(features) + (EMBEDDING_DIM if kind == "embedding" else 0)
            if coef.shape != (len(classes), width) or intercept.shape != (len(classes),):
                raise ValueError(
                    f"model {kind!r}: coef {coef.shape} / intercept {intercept.shape}, expected "
                    f"({len(classes)}, {width}) / ({len(classes)},)"
                )
            if not (np.isfinite(coef).all() and np.isfinite(intercept).all()):
                raise ValueError(f"model {kind!r} has non-finite parameters")
            models[kind] = LinearMoves(kind, classes, features, coef, intercept)  # type: ignore[arg-type]
        provenance = dict(data["provenance"])
        notice = str(data["notice"])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ValidationError(f"{where}: malformed move model ({type(exc).__name__}: {exc})") from exc
    return MoveModel(models=models, provenance=provenance, notice=notice)


def load(path: str | Path = PATH) -> MoveModel | None:
    """The fitted move model, or None when the file is absent; a malformed file raises ValidationError."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError(f"{path}: cannot read the move model ({exc})") from exc
    return parse(data, str(path))


@lru_cache(maxsize=1)
def default_model() -> MoveModel | None:
    """The packaged model (read once)."""
    return load(PATH)


TIE_MARGIN = 0.15  # the fitted model is unsure when its top two probabilities are this close


def classify_in_context(
    text: str,
    context: MoveContext | None = None,
    *,
    embedding: np.ndarray | None = None,
    backend: Backend | None = None,
    seed: int = 0,
) -> Move:
    """The move of a tutor message where it sits in a dialogue (the simulator's classifier).

    `embedding`: the message's packaged-MiniLM vector (`NodeMapper.message_vector`); None uses the lexical
    model. Without the parameter file this is `classify_move` (the rules). An available `backend` breaks the tie
    between the top two moves when the model is unsure. A malformed parameter file raises ValidationError.
    """
    model = default_model()
    if model is None:
        return classify_move(text, backend, seed=seed)
    if not (text or "").strip():
        return "generic"
    linear = model.models["embedding" if embedding is not None else "lexical"]
    probs = linear.probabilities(text, context, embedding)
    ranked = sorted(MOVES, key=lambda m: (-probs[m], MOVES.index(m)))
    margin = probs[ranked[0]] - probs[ranked[1]]
    if backend is None or margin >= TIE_MARGIN or not getattr(backend, "available", False):
        return ranked[0]
    scored = MoveScores(scores=dict(probs), move=ranked[0], margin=margin, features=[f"fitted:{linear.kind}"])
    return llm_tie_break(text, scored, backend, seed)
