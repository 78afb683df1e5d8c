"""Typed settings and the per-turn decision trace of the tutor."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge.types import Depth, Diagnosis
from tutor.guard import GuardVerdict
from tutor.sandbox import SandboxLimits
from tutor.state import BKTParams, StateSnapshot
from vocabulary import DEFAULT_POLICY, Judgement, Move, PolicyName


class TutorSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    policy: PolicyName = DEFAULT_POLICY
    max_turns: int = Field(default=12, ge=1)
    fails_before_bottom_out: int = Field(default=2, ge=1)
    allow_final_bottom_out: bool = False  # a teacher may allow the final answer/fix as a last bottom-out
    rephrase: bool = True  # let the LLM voice templates when a backend is available
    # the model's job for decided moves: revoice (one sentence in the student's words before the decided question,
    # streamed) or rewrite (the whole template rewritten, checked whole before it is shown)
    voice: Literal["revoice", "rewrite"] = "revoice"
    # measured: call the model only for move kinds whose measured acceptance on that model is >= 60%
    # (tutor/voice_measured.json); all: for every move kind (measurements, tests)
    llm_moves: Literal["measured", "all"] = "measured"
    model_wait_s: float | None = Field(default=3.0, ge=0.0)  # wait at most this long behind other students' model work
    classify_with_llm: bool = True  # let the LLM break ties in intent classification
    diagnose_with_embeddings: bool = False  # similarity diagnosis with MiniLM (else lexical, no model load)
    temperature: float = Field(default=0.2, ge=0.0, le=2.0)
    seed: int | None = 0
    max_tokens: int = Field(default=120, ge=16, le=1024)
    p_init: float = Field(default=0.3, ge=0.0, le=1.0)
    p_learn: float = Field(default=0.15, ge=0.0, le=1.0)
    p_slip: float = Field(default=0.1, ge=0.0, lt=0.5)
    p_guess: float = Field(default=0.2, ge=0.0, lt=0.5)
    max_message_chars: int = Field(default=6000, ge=100)  # longer messages are cut to this
    reject_message_chars: int = Field(default=100_000, ge=1000)  # longer than this: InputError
    sandbox: SandboxLimits = Field(default_factory=SandboxLimits)

    @property
    def bkt(self) -> BKTParams:
        return BKTParams(p_init=self.p_init, p_learn=self.p_learn, p_slip=self.p_slip, p_guess=self.p_guess)


class TurnTrace(BaseModel):
    """Everything decided in one turn: what teachers read as "why this question"."""

    turn: int
    policy: str
    student_message: str
    input_truncated: bool = False
    intent: str
    intent_source: Literal["rules", "llm"] = "rules"
    values: list[float] = Field(default_factory=list)
    has_code: bool = False
    outcome: str = "none"  # right | partly | wrong | stuck | none | solved
    judgement: Judgement = "none"
    node_id: str | None
    move: Move
    depth: Depth | None = None
    plan_kind: str
    reason: str
    diagnosis: list[Diagnosis] = Field(default_factory=list)
    state_before: StateSnapshot
    state_after: StateSnapshot
    guard: GuardVerdict  # verdict on the first candidate text (LLM text when used), with the action taken
    guard_final: GuardVerdict  # verdict on the text actually shown
    text: str  # what was shown
    template_text: str
    llm_text: str | None = None
    llm_rejected: str | None = None  # why the LLM text was not used (quality check, before the guard)
    used_llm: bool = False
    move_kind: str = ""  # the key of the measured acceptance (tutor.voice.move_kind): focus, probe, redirect, ...
    voice: str = ""  # the model's job this turn (revoice | rewrite | vanilla | tell), "" when it had none
    voice_note: str = ""  # why the model was or was not called (measured acceptance, model busy, no model)
    llm_tokens: int = 0  # model tokens generated this turn (until generation stopped)
    latency_ms: dict[str, float] = Field(default_factory=dict)
    tests: dict[str, Any] | None = None  # sandbox summary when code ran
    test_run: dict[str, Any] | None = None  # the whole sandbox run (tutor.sandbox.TestRun): a resume replays it
    done: bool = False
    solved: bool = False
