"""Typed rows of the store. Each maps one table row; JSON columns are decoded into Python values."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from vocabulary import DEFAULT_POLICY, ClassPolicyName, SessionOutcome

Role = Literal["student", "teacher"]
TurnRole = Literal["student", "tutor"]
RunStatus = Literal["running", "done", "failed"]


class _Row(BaseModel):
    model_config = ConfigDict(extra="forbid")


class User(_Row):
    id: int
    username: str
    display_name: str = ""
    role: Role
    created_at: str


class ClassRoom(_Row):
    id: int
    name: str
    join_code: str
    teacher_id: int
    model: str = ""
    policy: ClassPolicyName = DEFAULT_POLICY
    allow_final_bottom_out: bool = False
    created_at: str


class ProblemRecord(_Row):
    """A problem authored or imported by a teacher; `problem` is the knowledge.types.Problem as JSON."""

    id: str
    domain: Literal["math", "code"]
    title: str
    source: str
    problem: dict[str, Any]
    author_id: int | None = None
    created_at: str
    updated_at: str


class TutoringSession(_Row):
    id: int
    student_id: int
    class_id: int | None = None
    problem_id: str
    problem: dict[str, Any]  # the Problem as it was when the session started (ad-hoc problems live only here)
    policy: str
    model: str = ""
    started_at: str
    ended_at: str | None = None
    outcome: SessionOutcome = "active"
    # joined for listings
    student_name: str = ""
    n_turns: int = 0
    flagged: bool = False


class Turn(_Row):
    id: int
    session_id: int
    idx: int
    role: TurnRole
    text: str
    trace: dict[str, Any] | None = None
    guard: dict[str, Any] | None = None
    latency_ms: float | None = None
    move: str | None = None
    created_at: str


class Annotation(_Row):
    id: int
    turn_id: int
    teacher_id: int
    comment: str = ""
    flag: bool = False
    created_at: str


class EvalRun(_Row):
    id: int
    name: str
    config: dict[str, Any] = Field(default_factory=dict)
    status: RunStatus = "running"
    report_dir: str = ""
    summary: dict[str, Any] = Field(default_factory=dict)
    created_by: int | None = None
    started_at: str
    finished_at: str | None = None


class SessionFilter(_Row):
    class_id: int | None = None
    student_id: int | None = None
    problem_id: str | None = None
    outcome: SessionOutcome | None = None
    flagged: bool | None = None
    since: str | None = None  # ISO date or timestamp, inclusive
    until: str | None = None  # ISO date or timestamp, inclusive of that whole day
