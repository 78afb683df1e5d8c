"""Typed values of the student simulator: personas, the hidden knowledge state, events and per-turn records.

All are pydantic models with exact JSON round trips, so an evaluation record can carry the student's state and
history and a later process can read them back.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from vocabulary import Move, PersonaMode

NodeStatus = Literal["knows", "misconceived", "unknown"]
EventKind = Literal[
    "opening",  # the student's first message (its attempt)
    "asked",  # a focus/probing question reached a node
    "taught",  # a focus/probing question on a misconceived/unknown node: a teaching attempt
    "resisted",  # ... that did not resolve it this time
    "told",  # a telling move on a node (or the final answer / fix stated by the tutor)
    "resolved",  # a node became `knows` (detail: "question", "told" or "follows:<node>")
    "generic",  # a generic move: nothing changes
    "answered",  # the student stated a value (value, node)
    "final_answer",  # the student stated a final answer (value)
    "submitted",  # the student submitted code (detail: "accepted" or "wrong")
    "extraction_attempt",  # adversarial: tried to get the answer (detail: the tactic)
    "solved",  # the student's latest content is the right final answer / an accepted fix
]
ExtractionTactic = Literal["just_tell", "roleplay", "teacher_permission", "prompt_injection", "other_form"]
EXTRACTION_TACTICS: tuple[ExtractionTactic, ...] = (
    "just_tell",
    "roleplay",
    "teacher_permission",
    "prompt_injection",
    "other_form",
)
ContentKind = Literal["opening", "step", "final", "code", "explain", "unsure", "restate", "ack", "extraction"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Persona(_Model):
    """Who the simulated student is and how it behaves.

    `resistance` is the probability that one good (focus or probing) question on a misconceived node fails to
    resolve it, so the expected number of good questions per misconception is 1 / (1 - resistance).
    `verbosity` in [0, 1] sets how much the student writes. `extraction_rate` (adversarial students) is the
    probability per reply of an attempt to get the answer; None takes the mode's default.
    """

    name: str = Field(default="Sam", min_length=1, max_length=80)
    grade: int | None = Field(default=None, ge=1, le=16)
    profile: str = ""
    resistance: float = Field(default=0.5, ge=0.0, le=1.0)
    verbosity: float = Field(default=0.5, ge=0.0, le=1.0)
    mode: PersonaMode = "typical"
    extraction_rate: float | None = Field(default=None, ge=0.0, le=1.0)

    @property
    def label(self) -> str:
        return self.name if self.name == self.mode else f"{self.name}/{self.mode}"

    @property
    def effective_extraction_rate(self) -> float:
        if self.extraction_rate is not None:
            return self.extraction_rate
        return 0.5 if self.mode == "adversarial" else 0.0

    @property
    def effective_resistance(self) -> float:
        """Confused students hold on to a misconception longer."""
        if self.mode == "confused":
            return min(0.95, max(self.resistance, self.resistance + 0.2))
        return self.resistance


class NodeState(_Model):
    """What the student knows about one node of the problem's question tree."""

    node_id: str
    status: NodeStatus
    malgorithm_id: str | None = None  # set while misconceived
    derived: bool = False  # misconceived only as a consequence of an earlier misconceived node
    step: int | None = None
    bug: int | None = None
    questions: int = 0  # good (focus/probing) questions received while not `knows`
    resolved_by: Literal["question", "told", "follows"] | None = None


class HiddenState(_Model):
    """The student's hidden knowledge: one NodeState per tree node, in tree order."""

    problem_id: str
    malgorithm_id: str | None = None
    nodes: list[NodeState] = Field(default_factory=list)
    taught: int = 0  # tutor messages so far that named something of the problem (the fitted transitions' gate)

    def node(self, node_id: str) -> NodeState:
        for n in self.nodes:
            if n.node_id == node_id:
                return n
        raise KeyError(node_id)

    def status(self, node_id: str) -> NodeStatus:
        return self.node(node_id).status

    @property
    def misconceived(self) -> list[str]:
        return [n.node_id for n in self.nodes if n.status == "misconceived"]

    @property
    def unknown(self) -> list[str]:
        return [n.node_id for n in self.nodes if n.status == "unknown"]

    @property
    def all_known(self) -> bool:
        return all(n.status == "knows" for n in self.nodes)


class Event(_Model):
    """One thing that happened to the student, in order. Turn 0 is the opening; turn t answers the tutor's t-th
    message."""

    turn: int = Field(ge=0)
    kind: EventKind
    node: str | None = None
    move: Move | None = None
    detail: str = ""
    value: float | None = None


class NodeMatch(_Model):
    """Which tree node a tutor message is about, how sure, and why."""

    node_id: str
    score: float
    method: Literal["exact", "embedding", "lexical", "numeric"]
    runner_up: str | None = None


class Content(_Model):
    """What the student will say, decided from the hidden state before any phrasing."""

    kind: ContentKind
    node: str | None = None
    values: list[float] = Field(default_factory=list)  # numbers the reply must carry
    forbidden: list[float] = Field(default_factory=list)  # numbers the reply must not carry (e.g. the right answer)
    allowed: list[float] = Field(default_factory=list)  # other numbers it may mention (statement, own work)
    code: str = ""  # code submitted with the reply (sent verbatim in a ```python block)
    accepted: bool = False  # code: the submission is an accepted fix
    tactic: ExtractionTactic | None = None
    template: str = ""  # the template phrasing (used when there is no LLM or the LLM's text is rejected)


class FidelityVerdict(_Model):
    """The fidelity check's verdict on an LLM phrasing of decided content."""

    ok: bool
    reasons: list[str] = Field(default_factory=list)


class StudentTurn(_Model):
    """One reply of the student with everything that decided it."""

    turn: int
    tutor_message: str
    move: Move | None = None
    node: NodeMatch | None = None
    content: Content
    text: str
    used_llm: bool = False
    llm_text: str = ""
    verdict: FidelityVerdict | None = None  # None when no LLM phrasing was tried
    latency_ms: float = 0.0
