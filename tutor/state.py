"""Step 2 of a turn: the tutor's knowledge state of the student.

The state is an append-only log of typed steps; every view (node status, questions asked, failures, BKT mastery,
the values the student has produced) is derived from the log, so a trace can always be replayed and explained.

BKT (Corbett & Anderson 1995), per skill, with p_init, p_learn (transit), p_slip, p_guess:
    posterior after a correct observation: P(L|c) = P(L)(1-s) / (P(L)(1-s) + (1-P(L)) g)
    posterior after a wrong observation:   P(L|w) = P(L) s / (P(L) s + (1-P(L)) (1-g))
    then the transition:                   P(L') = P(L|obs) + (1 - P(L|obs)) t
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge.numbers import stands_for
from knowledge.types import Depth, QuestionTree


class _Step(BaseModel):
    model_config = ConfigDict(extra="forbid")
    turn: int = Field(ge=0)


class QuestionAsked(_Step):
    kind: Literal["question_asked"] = "question_asked"
    node_id: str
    depth: Depth
    move: str


class NodeResolved(_Step):
    kind: Literal["node_resolved"] = "node_resolved"
    node_id: str
    evidence: str
    by: Literal["student", "implied", "bottom_out", "told"] = "student"


class AttemptWrong(_Step):
    kind: Literal["attempt_wrong"] = "attempt_wrong"
    node_id: str
    evidence: str
    value: float | None = None
    malgorithm_id: str | None = None


class Stuck(_Step):
    kind: Literal["stuck"] = "stuck"
    node_id: str
    evidence: str = ""


class BottomOut(_Step):
    kind: Literal["bottom_out"] = "bottom_out"
    node_id: str
    values: list[float] = Field(default_factory=list)  # values this explanation discloses


class ValuesProduced(_Step):
    kind: Literal["values_produced"] = "values_produced"
    values: list[float] = Field(default_factory=list)
    code_lines: list[str] = Field(default_factory=list)


class SkillUpdate(_Step):
    kind: Literal["skill_update"] = "skill_update"
    skill: str
    correct: bool
    p_before: float
    p_after: float


class Solved(_Step):
    kind: Literal["solved"] = "solved"
    evidence: str


LogStep = Annotated[
    QuestionAsked | NodeResolved | AttemptWrong | Stuck | BottomOut | ValuesProduced | SkillUpdate | Solved,
    Field(discriminator="kind"),
]


class BKTParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    p_init: float = Field(default=0.3, ge=0.0, le=1.0)
    p_learn: float = Field(default=0.15, ge=0.0, le=1.0)
    p_slip: float = Field(default=0.1, ge=0.0, lt=0.5)
    p_guess: float = Field(default=0.2, ge=0.0, lt=0.5)


def bkt_update(p: float, correct: bool, params: BKTParams) -> float:
    s, g, t = params.p_slip, params.p_guess, params.p_learn
    if correct:
        num, den = p * (1 - s), p * (1 - s) + (1 - p) * g
    else:
        num, den = p * s, p * s + (1 - p) * (1 - g)
    post = num / den if den > 0 else p
    return post + (1 - post) * t


class NodeView(BaseModel):
    status: Literal["unresolved", "resolved"]
    evidence: list[str] = Field(default_factory=list)
    resolved_by: str | None = None
    questions: int = 0
    failed: int = 0
    depth: Depth | None = None  # depth of the last question asked here
    bottomed_out: bool = False


class StateSnapshot(BaseModel):
    turn: int
    current_node: str | None
    nodes: dict[str, NodeView]
    mastery: dict[str, float]
    produced_values: list[float]
    disclosed_values: list[float]
    solved: bool


class KnowledgeState(BaseModel):
    """Append-only log + derived views. Construct with `KnowledgeState.for_tree(tree, skills, params)`."""

    model_config = ConfigDict(extra="forbid")
    node_ids: list[str]
    node_skills: dict[str, list[str]] = Field(default_factory=dict)
    skills: list[str] = Field(default_factory=list)
    params: BKTParams = Field(default_factory=BKTParams)
    log: list[LogStep] = Field(default_factory=list)

    @classmethod
    def for_tree(cls, tree: QuestionTree, skills: list[str], params: BKTParams | None = None) -> KnowledgeState:
        node_skills = {n.id: list(n.skills or skills) for n in tree.nodes}
        all_skills = list(dict.fromkeys([*skills, *(s for n in tree.nodes for s in n.skills)]))
        return cls(node_ids=[n.id for n in tree.nodes], node_skills=node_skills, skills=all_skills,
                   params=params or BKTParams())

    # --- writing -------------------------------------------------------------------------------------------
    def append(self, step: _Step) -> None:
        self.log.append(step)  # type: ignore[arg-type]

    def observe(self, turn: int, node_id: str, correct: bool) -> None:
        """One BKT observation for each skill of the node."""
        for skill in self.node_skills.get(node_id, []) or self.skills:
            before = self.mastery(skill)
            self.append(SkillUpdate(turn=turn, skill=skill, correct=correct, p_before=before,
                                    p_after=bkt_update(before, correct, self.params)))

    # --- views ---------------------------------------------------------------------------------------------
    def _at(self, node_id: str) -> list[LogStep]:
        return [s for s in self.log if getattr(s, "node_id", None) == node_id]

    def is_resolved(self, node_id: str) -> bool:
        return any(isinstance(s, NodeResolved) for s in self._at(node_id))

    def questions_at(self, node_id: str, depth: Depth | None = None) -> int:
        return sum(1 for s in self._at(node_id) if isinstance(s, QuestionAsked) and (depth is None or s.depth == depth))

    def failed_count(self, node_id: str) -> int:
        return sum(1 for s in self._at(node_id) if isinstance(s, AttemptWrong | Stuck))

    def last_depth(self, node_id: str) -> Depth | None:
        asked = [s for s in self._at(node_id) if isinstance(s, QuestionAsked)]
        return asked[-1].depth if asked else None

    def current_node(self) -> str | None:
        return next((n for n in self.node_ids if not self.is_resolved(n)), None)

    def mastery(self, skill: str) -> float:
        updates = [s for s in self.log if isinstance(s, SkillUpdate) and s.skill == skill]
        p = self.params.p_init
        for u in updates:  # replay: the log is the source of truth
            p = bkt_update(p, u.correct, self.params)
        return p

    def produced_values(self) -> list[float]:
        return [v for s in self.log if isinstance(s, ValuesProduced) for v in s.values]

    def produced_code_lines(self) -> list[str]:
        return [ln for s in self.log if isinstance(s, ValuesProduced) for ln in s.code_lines]

    def disclosed_values(self) -> list[float]:
        return [v for s in self.log if isinstance(s, BottomOut) for v in s.values]

    def has_produced(self, value: float) -> bool:
        return any(stands_for(v, value) for v in self.produced_values())

    @property
    def solved(self) -> bool:
        return any(isinstance(s, Solved) for s in self.log)

    def node_view(self, node_id: str) -> NodeView:
        steps = self._at(node_id)
        resolved = [s for s in steps if isinstance(s, NodeResolved)]
        evidence = [s.evidence for s in steps if isinstance(s, NodeResolved | AttemptWrong | Stuck) and s.evidence]
        return NodeView(
            status="resolved" if resolved else "unresolved",
            evidence=evidence,
            resolved_by=resolved[0].by if resolved else None,
            questions=self.questions_at(node_id),
            failed=self.failed_count(node_id),
            depth=self.last_depth(node_id),
            bottomed_out=any(isinstance(s, BottomOut) for s in steps),
        )

    def snapshot(self, turn: int = 0) -> StateSnapshot:
        return StateSnapshot(
            turn=turn,
            current_node=self.current_node(),
            nodes={n: self.node_view(n) for n in self.node_ids},
            mastery={s: round(self.mastery(s), 4) for s in self.skills},
            produced_values=sorted(set(self.produced_values())),
            disclosed_values=sorted(set(self.disclosed_values())),
            solved=self.solved,
        )
