"""Diagnosis: which malgorithm best explains a student's wrong answer or reasoning.

A value match (the student's number equals a malgorithm's wrong final answer or one of its wrong step values, within
tolerance) ranks first; then semantic similarity between the student's text and the malgorithm's wrong solution,
label and description. Confidences lie in [0, 1]: value matches in [0.74, 1], similarity-only in [0, 0.7].
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import numpy as np

from knowledge.embeddings import default_embedder, encode_cached
from knowledge.numbers import close, numbers_in
from knowledge.types import Diagnosis, Malgorithm, Problem

VALUE_TOLERANCE = 1e-4  # relative; looser than knowledge.numbers.REL_TOL: students round their arithmetic
SIMILARITY_CEILING = 0.7


def value_score(m: Malgorithm, answer: float | None, others: Sequence[float]) -> float:
    """1.0: the answer is the malgorithm's wrong final answer; 0.8: the answer is one of its wrong step values;
    0.6: elsewhere in the text the student states its wrong final answer, or two of its distinct wrong values;
    0 otherwise (a single coincidental intermediate number is not evidence enough)."""
    wrong_steps = list(m.step_values.values())
    if answer is not None:
        if m.wrong_answer is not None and close(answer, m.wrong_answer, VALUE_TOLERANCE):
            return 1.0
        if any(close(answer, v, VALUE_TOLERANCE) for v in wrong_steps):
            return 0.8
    if m.wrong_answer is not None and any(close(x, m.wrong_answer, VALUE_TOLERANCE) for x in others):
        return 0.6
    distinct = {round(v, 6) for v in wrong_steps if any(close(x, v, VALUE_TOLERANCE) for x in others)}
    return 0.6 if len(distinct) >= 2 else 0.0


PROFILE_PREFIX = (
    "Student profile:"  # imported malgorithms keep the student's profile here; it says nothing of the error
)


def malgorithm_texts(m: Malgorithm) -> list[str]:
    """The texts a student's reasoning is compared with: the wrong solution, and the label with its description."""
    texts = []
    if m.wrong_solution.strip():
        texts.append(m.wrong_solution.strip())
    description = m.description.split(PROFILE_PREFIX)[0].strip()
    texts.append(f"{m.label}. {description}".strip().rstrip(".") if description else m.label)
    if m.wrong_code.strip():
        texts.append(m.wrong_code.strip())
    return texts


def _tokens(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def lexical_similarity(a: str, b: str) -> float:
    """Jaccard overlap of word tokens: the fallback when no embedder is available."""
    ta, tb = _tokens(a), _tokens(b)
    return len(ta & tb) / len(ta | tb) if ta and tb else 0.0


def similarities(student_text: str, malgorithms: Sequence[Malgorithm], embedder: Any = None) -> list[float]:
    """Best cosine similarity (clamped to [0, 1]) between the student's text and each malgorithm's texts."""
    if not student_text.strip() or not malgorithms:
        return [0.0] * len(malgorithms)
    groups = [malgorithm_texts(m) for m in malgorithms]
    if embedder is False:
        return [max(lexical_similarity(student_text, t) for t in g) for g in groups]
    if embedder is None:
        embedder = default_embedder()
    flat = [t for g in groups for t in g]
    query = encode_cached(embedder, [student_text])[0]
    sims = encode_cached(embedder, flat) @ query
    out, i = [], 0
    for g in groups:
        out.append(float(np.clip(sims[i : i + len(g)].max(), 0.0, 1.0)))
        i += len(g)
    return out


def rank(
    malgorithms: Sequence[Malgorithm],
    student_text: str,
    student_value: float | None,
    sims: Sequence[float],
    *,
    limit: int | None = None,
    givens: Sequence[float] = (),
) -> list[Diagnosis]:
    """Combine value matches and similarities into ranked diagnoses (ties keep the malgorithms' order).

    `givens` are the numbers stated in the problem: a student repeating one of them ("3 feet in a yard") is not
    evidence of a wrong value, so such numbers only count when they are a malgorithm's wrong final answer."""
    found = numbers_in(student_text)
    answer = student_value if student_value is not None else (found[-1] if found else None)
    others = [x for x in found if not any(close(x, g, VALUE_TOLERANCE) for g in givens)]
    answer_is_given = (
        student_value is None and answer is not None and any(close(answer, g, VALUE_TOLERANCE) for g in givens)
    )
    scored = []
    for order, (m, sim) in enumerate(zip(malgorithms, sims, strict=True)):
        vs = value_score(m, None if answer_is_given else answer, others)
        if answer_is_given and m.wrong_answer is not None and close(answer, m.wrong_answer, VALUE_TOLERANCE):
            vs = max(vs, 0.6)
        if vs > 0:
            conf, reason = 0.5 + 0.4 * vs + 0.1 * sim, "value"
        else:
            conf, reason = SIMILARITY_CEILING * sim, "similarity"
        scored.append((round(min(max(conf, 0.0), 1.0), 6), -order, m, reason))
    scored.sort(key=lambda s: (s[0], s[1]), reverse=True)
    diagnoses = [Diagnosis(malgorithm_id=m.id, label=m.label, confidence=c, reason=r) for c, _, m, r in scored if c > 0]
    return diagnoses[:limit] if limit else diagnoses


def diagnose(
    problem: Problem,
    student_text: str,
    student_value: float | None = None,
    *,
    embedder: Any = None,
    limit: int | None = None,
) -> list[Diagnosis]:
    """Ranked malgorithms of `problem` that could explain the student's answer.

    `student_value` defaults to the last number in `student_text`. `embedder` is anything with `.encode(texts)`
    returning L2-normalised rows (default: the packaged MiniLM); pass `embedder=False` for a lexical fallback that
    loads no model. Diagnoses with zero confidence are left out.
    """
    malgorithms = list(problem.malgorithms)
    if not malgorithms or (not (student_text or "").strip() and student_value is None):
        return []
    sims = similarities(student_text or "", malgorithms, embedder)
    givens = numbers_in(problem.statement)
    return rank(malgorithms, student_text or "", student_value, sims, limit=limit, givens=givens)
