"""The choices of the app's dropdowns and radios, derived from the typed fixed sets (`vocabulary`,
`knowledge.types`) and the model registry (`inference.models`), and the problem/session/class lists a user sees.
No Gradio here."""

from __future__ import annotations

from typing import Any, get_args

from inference.models import MODELS
from knowledge.types import Difficulty, Domain
from store import ClassRoom, TutoringSession, visible_controls
from ui import student
from ui.context import AppContext
from vocabulary import CLASS_POLICY_NAMES, SESSION_OUTCOMES

POLICIES: list[str] = list(CLASS_POLICY_NAMES)  # a class's tutor policy
OUTCOMES: list[str] = list(SESSION_OUTCOMES)  # how a session ended
DOMAINS: list[str] = list(get_args(Domain))
DIFFICULTIES: list[str] = list(get_args(Difficulty))
ALL = "all"  # a filter that keeps everything


def model_choices() -> list[str]:
    """A class's model: "" (the app's default) or one of the registered models, smallest last."""
    return ["", *sorted(MODELS, key=lambda name: -MODELS[name].size)]


def problem_choices(
    ctx: AppContext, token: str, domain: str = ALL, skill: str = ALL, difficulty: str = ALL, query: str = ""
) -> list[tuple[str, str]]:
    """(label, id) of the problems the filters and the search text keep, best match first."""
    probs, _how = student.search(
        ctx,
        token,
        query or "",
        None if domain == ALL else domain,
        None if skill == ALL else skill,
        None if difficulty == ALL else difficulty,
    )
    return [(visible_controls(f"{p.title} ({p.domain}, {p.difficulty})"), p.id) for p in probs]


def session_choices(sessions: list[TutoringSession]) -> list[tuple[str, int]]:
    return [(f"#{s.id} {s.problem_id} · {s.outcome} · {s.started_at[:16].replace('T', ' ')}", s.id) for s in sessions]


def class_filter_choices(classes: list[ClassRoom]) -> list[tuple[str, str]]:
    return [("all classes", ALL)] + [(f"{c.name} (code {c.join_code})", str(c.id)) for c in classes]


def class_choices(classes: list[ClassRoom]) -> list[tuple[str, str]]:
    return [(c.name, str(c.id)) for c in classes]


def transcript_choices(sessions: list[TutoringSession]) -> list[tuple[str, str]]:
    return [(f"#{s.id} {s.student_name} · {s.problem_id} · {s.outcome}", str(s.id)) for s in sessions]


def turn_choices(turns: list[Any]) -> list[tuple[str, str]]:
    return [(f"#{x.idx} {x.role}: {x.text[:50]}", str(x.idx)) for x in turns]
