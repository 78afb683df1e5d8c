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
    slip, guess, learn = params.p_slip, params.p_guess, params.p_learn
    if correct:
        num, den = p * (1 - slip), p * (1 - slip) + (1 - p) * guess
    else:
        num, den = p * slip, p * slip + (1 - p) * (1 - guess)
    posterior = num / den if den > 0 else p
    return posterior + (1 - posterior) * learn


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
        node_skills = {node.id: list(node.skills or skills) for node in tree.nodes}
        all_skills = list(dict.fromkeys([*skills, *(skill for node in tree.nodes for skill in node.skills)]))
        return cls(
            node_ids=[node.id for node in tree.nodes],
            node_skills=node_skills,
            skills=all_skills,
            params=params or BKTParams(),
        )

    # --- writing -------------------------------------------------------------------------------------------
    def append(self, step: _Step) -> None:
        self.log.append(step)  # type: ignore[arg-type]

    def observe(self, turn: int, node_id: str, correct: bool) -> None:
        """One BKT observation for each skill of the node."""
        for skill in self.node_skills.get(node_id, []) or self.skills:
            before = self.mastery(skill)
            self.append(
                SkillUpdate(
                    turn=turn,
                    skill=skill,
                    correct=correct,
                    p_before=before,
                    p_after=bkt_update(before, correct, self.params),
                )
            )

    # --- views ---------------------------------------------------------------------------------------------
    def _at(self, node_id: str) -> list[LogStep]:
        return [step for step in self.log if getattr(step, "node_id", None) == node_id]

    def is_resolved(self, node_id: str) -> bool:
        return any(isinstance(step, NodeResolved) for step in self._at(node_id))

    def questions_at(self, node_id: str, depth: Depth | None = None) -> int:
        return sum(
            1
            for step in self._at(node_id)
            if isinstance(step, QuestionAsked) and (depth is None or step.depth == depth)
        )

    def failed_count(self, node_id: str) -> int:
        return sum(1 for step in self._at(node_id) if isinstance(step, AttemptWrong | Stuck))

    def last_depth(self, node_id: str) -> Depth | None:
        asked = [step for step in self._at(node_id) if isinstance(step, QuestionAsked)]
        return asked[-1].depth if asked else None

    def current_node(self) -> str | None:
        return next((node_id for node_id in self.node_ids if not self.is_resolved(node_id)), None)

    def mastery(self, skill: str) -> float:
        updates = [step for step in self.log if isinstance(step, SkillUpdate) and step.skill == skill]
        p = self.params.p_init
        for update in updates:  # replay: the log is the source of truth
            p = bkt_update(p, update.correct, self.params)
        return p

    def produced_values(self) -> list[float]:
        return [value for step in self.log if isinstance(step, ValuesProduced) for value in step.values]

    def produced_code_lines(self) -> list[str]:
        return [line for step in self.log if isinstance(step, ValuesProduced) for line in step.code_lines]

    def disclosed_values(self) -> list[float]:
        return [value for step in self.log if isinstance(step, BottomOut) for value in step.values]

    def has_produced(self, value: float) -> bool:
        return any(stands_for(produced, value) for produced in self.produced_values())

    @property
    def solved(self) -> bool:
        return any(isinstance(step, Solved) for step in self.log)

    def node_view(self, node_id: str) -> NodeView:
        steps = self._at(node_id)
        resolved = [step for step in steps if isinstance(step, NodeResolved)]
        evidence = [
            step.evidence for step in steps if isinstance(step, NodeResolved | AttemptWrong | Stuck) and step.evidence
        ]
        return NodeView(
            status="resolved" if resolved else "unresolved",
            evidence=evidence,
            resolved_by=resolved[0].by if resolved else None,
            questions=self.questions_at(node_id),
            failed=self.failed_count(node_id),
            depth=self.last_depth(node_id),
            bottomed_out=any(isinstance(step, BottomOut) for step in steps),
        )

    def snapshot(self, turn: int = 0) -> StateSnapshot:
        return StateSnapshot(
            turn=turn,
            current_node=self.current_node(),
            nodes={node_id: self.node_view(node_id) for node_id in self.node_ids},
            mastery={skill: round(self.mastery(skill), 4) for skill in self.skills},
            produced_values=sorted(set(self.produced_values())),
            disclosed_values=sorted(set(self.disclosed_values())),
            solved=self.solved,
        )
