"""An optional LLM judge on MRBench's pedagogical dimensions, with bounded structured output.

Small local models are near chance as judges (see ENVIRONMENT.md); validate a judge with
`python -m evals.judge_validate ../shared/data/mrbench/dev.json` before trusting its numbers.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from errors import ConfigError, InferenceError
from evals import prompts
from evals.metrics import Metric
from evals.runner import make_backend
from inference.base import Backend, Message, Options

log = logging.getLogger(__name__)

Level = Literal["yes", "partly", "no"]
Reveal = Literal["no", "yes_correct", "yes_incorrect"]
Tone = Literal["encouraging", "neutral", "offensive"]

DIMENSIONS: dict[str, tuple[str, ...]] = {
    "mistake_identification": ("yes", "partly", "no"),
    "mistake_location": ("yes", "partly", "no"),
    "revealing": ("no", "yes_correct", "yes_incorrect"),
    "guidance": ("yes", "partly", "no"),
    "actionability": ("yes", "partly", "no"),
    "coherence": ("yes", "partly", "no"),
    "tone": ("encouraging", "neutral", "offensive"),
}
# MRBench annotation keys -> our dimensions, and their labels -> ours.
MRBENCH_KEYS = {
    "Mistake_Identification": "mistake_identification",
    "Mistake_Location": "mistake_location",
    "Revealing_of_the_Answer": "revealing",
    "Providing_Guidance": "guidance",
    "Actionability": "actionability",
    "Coherence": "coherence",
    "Tutor_Tone": "tone",
}
MRBENCH_LABELS = {
    "Yes": "yes",
    "To some extent": "partly",
    "No": "no",
    "Yes (and the answer is correct)": "yes_correct",
    "Yes (but the answer is incorrect)": "yes_incorrect",
    "Encouraging": "encouraging",
    "Neutral": "neutral",
    "Offensive": "offensive",
}


class JudgeVerdict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    mistake_identification: Level
    mistake_location: Level
    revealing: Reveal
    guidance: Level
    actionability: Level
    coherence: Level
    tone: Tone


SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {dim: {"type": "string", "enum": list(labels)} for dim, labels in DIMENSIONS.items()},
    "required": list(DIMENSIONS),
    "additionalProperties": False,
}


def judge_reply(
    backend: Backend, conversation: str, response: str, solution: str = "", *, seed: int = 0
) -> JudgeVerdict | None:
    """One verdict, or None when the model's output does not decode into the schema (logged, never raised)."""
    if not backend.available:
        raise ConfigError("The judge needs a model backend; backend 'none' has no model.")
    messages = [
        Message(role="system", content=prompts.JUDGE_SYSTEM),
        Message(
            role="user",
            content=prompts.JUDGE_USER.format(
                conversation=conversation[-3000:], solution=solution[-1500:] or "(not given)", response=response[:1500]
            ),
        ),
    ]
    options = Options(temperature=0.0, max_tokens=160, seed=seed, json_schema=SCHEMA, actor="judge")
    completion = backend.chat(messages, options)
    try:
        return JudgeVerdict.model_validate(completion.json())
    except (InferenceError, ValueError) as exc:
        log.info("judge output rejected: %s; raw=%r", exc, completion.text[:300])
        return None


# Numeric value of a label for aggregation: share of "good" (revealing: share that reveal).
SCORE = {
    "yes": 1.0,
    "partly": 0.5,
    "no": 0.0,
    "yes_correct": 1.0,
    "yes_incorrect": 1.0,
    "encouraging": 1.0,
    "neutral": 0.5,
    "offensive": 0.0,
}


def judge_metrics() -> list[Metric]:
    def nothing(_r: Any) -> None:
        return None

    return [
        Metric(
            f"judge.{d}",
            nothing,
            d != "revealing",
            f"LLM judge: {d.replace('_', ' ')} (unvalidated unless judge_validate says so)",
        )
        for d in DIMENSIONS
    ]


def judge_records(records: list, cfg: Any, cache: Path) -> dict[str, dict[str, float]]:
    """Judge up to `cfg.turns_per_dialogue` tutor replies per record; verdicts are cached in `cache` (JSONL)."""
    done: dict[str, dict[str, Any]] = {}
    if cache.exists():
        for line in cache.read_text(encoding="utf-8").splitlines():
            try:
                item = json.loads(line)
                done[item["id"]] = item["verdict"]
            except (ValueError, KeyError):
                continue
    backend = make_backend(cfg)
    out: dict[str, dict[str, float]] = {}
    with cache.open("a", encoding="utf-8") as f:
        for r in records:
            history: list[str] = [f"Problem: {r.problem.statement}"]
            verdicts = []
            for u in r.transcript:
                if u.role == "tutor" and u.turn > 0 and len(verdicts) < cfg.turns_per_dialogue:
                    vid = f"{r.key}#{u.turn}"
                    if vid not in done:
                        v = judge_reply(backend, "\n".join(history), u.text, _solution(r.problem))
                        done[vid] = v.model_dump() if v else None
                        f.write(json.dumps({"id": vid, "verdict": done[vid]}) + "\n")
                    if done[vid]:
                        verdicts.append(done[vid])
                history.append(f"{'Tutor' if u.role == 'tutor' else 'Student'}: {u.text}")
            if verdicts:
                out[r.key] = {f"judge.{d}": sum(SCORE[v[d]] for v in verdicts) / len(verdicts) for d in DIMENSIONS}
    return out


def _solution(problem: Any) -> str:
    if problem.domain == "math":
        return (
            "\n".join(f"{s.description}: {s.expression} = {s.value:g}" for s in problem.steps)
            + f"\nAnswer: {problem.answer:g}"
        )
    return "\n".join(f"{b.description}; fix: {b.fixes[0].description}" for b in problem.bugs)
