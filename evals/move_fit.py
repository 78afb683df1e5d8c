"""Fit and cross-validate the simulator's move classifier (`simulator.move_model`) on MathDial teacher turns.

    python -m evals.moves ../shared/data/mathdial/dev.jsonl --fit    # refit simulator/moves_model.json
    python -m evals.moves ../shared/data/mathdial/dev.jsonl --cv     # grouped cross-validation figures

Logistic regression (scikit-learn, class-balanced) over standardised features; the inverse regularisation C is
chosen by cross-validation grouped by problem (MathDial qid) inside the data it is fitted on, so the `--cv`
figures are nested: each outer fold's C is chosen on that fold's training problems only. scikit-learn is needed
here only; the simulator applies the saved coefficients with numpy.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from knowledge.dialogues import read_mathdial
from knowledge.embeddings import default_embedder
from simulator.move_model import EMBEDDING_DIM, KINDS, MoveContext, feature_names, lexical_features
from simulator.moves import score_move
from vocabulary import MOVES

C_GRID = (0.001, 0.003, 0.01, 0.03)
FOLDS = 5
NOTICE = (
    "Parameters fitted on MathDial (Macina et al., 2023, https://github.com/eth-nlped/mathdial), licensed CC BY-SA "
    "4.0. This file is an adaptation of that data and is shared under CC BY-SA 4.0 "
    "(https://creativecommons.org/licenses/by-sa/4.0/); keep this notice with it."
)


@dataclass(frozen=True)
class Sample:
    dialogue: str
    qid: str
    part: str
    move: str
    text: str
    context: MoveContext


def samples(path: str | Path) -> list[Sample]:
    """Every labelled teacher turn with its context (the opening attempt counts as the student's last message)."""
    out: list[Sample] = []
    for d in read_mathdial(path):
        student, tutor = d.incorrect_solution, ""
        for t in d.turns:
            if t.role == "student":
                student = t.text
                continue
            if t.move:
                ctx = MoveContext(
                    turn=t.teacher_turn or 1, previous_student=student, previous_tutor=tutor, statement=d.question
                )
                out.append(Sample(d.id, d.qid, d.part, t.move, t.text, ctx))
            tutor = t.text
    return out


def lexical_matrix(rows: list[Sample]) -> np.ndarray:
    names = feature_names()
    return np.array([[f[n] for n in names] for f in (lexical_features(s.text, s.context) for s in rows)])


def embed(rows: list[Sample], embedder: Any = None) -> np.ndarray:
    if embedder is None:
        embedder = default_embedder()
    return np.asarray(embedder.encode([s.text for s in rows]), dtype=np.float64)


def _fit(x: np.ndarray, y: np.ndarray, c: float) -> Any:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=5000, class_weight="balanced")).fit(x, y)


def macro_f1(gold: np.ndarray, pred: np.ndarray) -> float:
    from sklearn.metrics import f1_score

    return float(f1_score(gold, pred, labels=list(MOVES), average="macro", zero_division=0))


def choose_c(x: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int = FOLDS) -> float:
    """The C of the grid with the best grouped-CV macro-F1 on (x, y); ties go to the smaller C."""
    from sklearn.model_selection import GroupKFold

    splits = list(GroupKFold(folds).split(x, y, groups))
    best = (-1.0, C_GRID[0])
    for c in C_GRID:
        pred = np.empty(len(y), dtype=object)
        for tr, te in splits:
            pred[te] = _fit(x[tr], y[tr], c).predict(x[te])
        score = macro_f1(y, pred.astype(str))
        if score > best[0] + 1e-12:
            best = (score, c)
    return best[1]


def nested_cv(x: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int = FOLDS) -> tuple[np.ndarray, list[float]]:
    """Out-of-fold predictions under grouped CV, C chosen inside each outer training part; and the chosen Cs."""
    from sklearn.model_selection import GroupKFold

    pred = np.empty(len(y), dtype=object)
    chosen: list[float] = []
    for tr, te in GroupKFold(folds).split(x, y, groups):
        c = choose_c(x[tr], y[tr], groups[tr], folds - 1)
        chosen.append(c)
        pred[te] = _fit(x[tr], y[tr], c).predict(x[te])
    return pred.astype(str), chosen


def fit_linear(x: np.ndarray, y: np.ndarray, c: float, features: list[str], kind: str) -> dict[str, Any]:
    """Fit and fold the standardisation into the coefficients: scores = coef @ raw_x + intercept."""
    pipe = _fit(x, y, c)
    scaler, lr = pipe[0], pipe[-1]
    coef = lr.coef_ / scaler.scale_
    intercept = lr.intercept_ - coef @ scaler.mean_
    order = [list(lr.classes_).index(m) for m in MOVES]
    return {
        "kind": kind,
        "C": c,
        "features": features,
        "coef": [[round(float(v), 6) for v in coef[i]] for i in order],
        "intercept": [round(float(intercept[i]), 6) for i in order],
    }


def fit_model(
    path: str | Path, rows: list[Sample], embeddings: np.ndarray | None, kinds: tuple[str, ...] = KINDS
) -> dict[str, Any]:
    """The move-model file's content fitted on every turn of `rows` (C chosen by grouped CV)."""
    y = np.array([s.move for s in rows])
    groups = np.array([s.qid for s in rows])
    lex = lexical_matrix(rows)
    names = feature_names()
    models: dict[str, Any] = {}
    for kind in kinds:
        x = np.hstack([embeddings, lex]) if kind == "embedding" and embeddings is not None else lex
        if kind == "embedding" and embeddings is None:
            raise ValueError("the embedding model needs the message embeddings")
        models[kind] = fit_linear(x, y, choose_c(x, y, groups), names, kind)
    data = Path(path).read_bytes()
    import sklearn

    return {
        "notice": NOTICE,
        "provenance": {
            "fitted": "every labelled teacher turn of the MathDial file",
            "data": Path(path).name,
            "data_sha256": hashlib.sha256(data).hexdigest(),
            "turns": len(rows),
            "split": f"C from {C_GRID} by {FOLDS}-fold cross-validation grouped by qid (macro-F1)",
            "embedding": f"all-MiniLM-L6-v2 (knowledge.embeddings), {EMBEDDING_DIM} dims, L2-normalised",
            "command": f"python -m evals.moves {path} --fit",
            "sklearn": sklearn.__version__,
            "date": dt.date.today().isoformat(),
        },
        "classes": list(MOVES),
        "models": models,
    }


def write_model(content: dict[str, Any], out: Path) -> None:
    """Write the file whole (a temporary file renamed over it: never half-written)."""
    tmp = out.with_suffix(out.suffix + ".tmp")
    tmp.write_text(json.dumps(content, separators=(",", ":")) + "\n", encoding="utf-8")
    tmp.replace(out)


def cross_validate(rows: list[Sample], embeddings: np.ndarray | None) -> dict[str, dict[str, Any]]:
    """Nested grouped-CV predictions of each model, and the rules' predictions, keyed by name."""
    y = np.array([s.move for s in rows])
    groups = np.array([s.qid for s in rows])
    lex = lexical_matrix(rows)
    out: dict[str, dict[str, Any]] = {"rules": {"pred": [score_move(s.text).move for s in rows]}}
    if embeddings is not None:
        pred, cs = nested_cv(np.hstack([embeddings, lex]), y, groups)
        out["embedding"] = {"pred": list(pred), "C": cs}
    pred, cs = nested_cv(lex, y, groups)
    out["lexical"] = {"pred": list(pred), "C": cs}
    return out
