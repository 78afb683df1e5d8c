"""Typed domain values for problems, malgorithms and question trees.

Everything the tutor and the simulated students reason over is one of these. They are pydantic models so that
JSON/YAML round trips are exact and validation errors name the field.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from knowledge.numbers import REL_TOL

Domain = Literal["math", "code"]
Difficulty = Literal["easy", "medium", "hard"]
Depth = Literal["focus", "probing", "hint", "bottom_out"]
DEPTHS: tuple[Depth, ...] = ("focus", "probing", "hint", "bottom_out")
NodeKind = Literal["conceptual", "computational", "behaviour", "locate", "fix"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=False)


class _HasId(Protocol):
    id: str


_T = TypeVar("_T", bound=_HasId)


def _by_id(items: Iterable[_T], item_id: str) -> _T:
    """The first item whose `id` is `item_id`; KeyError naming the id when there is none."""
    for item in items:
        if item.id == item_id:
            return item
    raise KeyError(item_id)


class Step(_Model):
    """One solution step of a math problem: `expression` evaluates to `value`."""

    description: str = Field(min_length=1)
    expression: str = ""
    value: float
    unit: str = ""


class Fix(_Model):
    """An accepted fix of a bug: what to change, and (where known) the whole corrected program."""

    description: str = Field(min_length=1)
    code: str = ""  # the full corrected program; must pass the unit tests when present
    lines: list[str] = Field(default_factory=list)  # the corrected line(s), used by the leak guard


class Bug(_Model):
    lines: list[int] = Field(min_length=1)  # 1-based line numbers in `Problem.buggy_code`
    description: str = Field(min_length=1)
    fixes: list[Fix] = Field(min_length=1)


class Malgorithm(_Model):
    """A coherent wrong path (MalAlgoQA): which step or bug it corrupts and what it produces."""

    id: str = Field(min_length=1)
    problem_id: str = Field(min_length=1)
    label: str = Field(min_length=1)  # the misconception in a few words, e.g. "adds percentages"
    description: str = ""
    wrong_solution: str = ""  # the wrong worked solution, as a student would write it
    step: int | None = None  # index into Problem.steps of the first corrupted step (math)
    bug: int | None = None  # index into Problem.bugs (code)
    step_values: dict[int, float] = Field(default_factory=dict)  # step index -> wrong value it produces
    wrong_answer: float | None = None  # the wrong final answer (math)
    wrong_code: str = ""  # a plausible wrong fix (code); must still fail the unit tests


class Check(_Model):
    """How to tell that the student reached a node."""

    kind: Literal["value", "pattern", "tests", "none"]
    value: float | None = None
    tolerance: float = REL_TOL  # relative tolerance for values: the one default, which a node's check may override
    pattern: str = ""  # a regular expression over the student's text


class Questions(_Model):
    """Questions for one node, ordered by depth: focus -> probing -> hint -> bottom-out."""

    focus: list[str] = Field(default_factory=list)
    probing: list[str] = Field(default_factory=list)
    hint: list[str] = Field(default_factory=list)
    bottom_out: list[str] = Field(default_factory=list)

    def at(self, depth: Depth) -> list[str]:
        return list(getattr(self, depth))


class Node(_Model):
    id: str = Field(min_length=1)
    concept: str = Field(min_length=1)
    kind: NodeKind
    step: int | None = None  # the math step this node targets
    bug: int | None = None  # the bug this node targets
    check: Check
    questions: Questions
    probes: dict[str, str] = Field(default_factory=dict)  # malgorithm id -> the probing question for it
    skills: list[str] = Field(default_factory=list)


class QuestionTree(_Model):
    """TreeInstruct-style plan: target nodes in teaching order (conceptual before computational, early before late)."""

    problem_id: str = Field(min_length=1)
    nodes: list[Node] = Field(min_length=1)
    source: Literal["derived", "llm", "teacher"] = "derived"

    @model_validator(mode="after")
    def _unique_ids(self) -> QuestionTree:
        ids = [n.id for n in self.nodes]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"duplicate node ids: {', '.join(dupes)}")
        return self

    def node(self, node_id: str) -> Node:
        """The node `node_id`; KeyError when the tree has none."""
        return _by_id(self.nodes, node_id)


class Problem(_Model):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:-]+$")
    domain: Domain
    title: str = Field(min_length=1)
    statement: str = Field(min_length=1)
    skills: list[str] = Field(default_factory=list)
    grade: int | None = None
    difficulty: Difficulty = "medium"
    source: str = "starter"  # starter | mathdial | sdb | teacher | ...
    # math
    steps: list[Step] = Field(default_factory=list)
    answer: float | None = None
    answer_unit: str = ""
    # code
    buggy_code: str = ""
    entry_point: str = ""
    unit_tests: list[str] = Field(default_factory=list)  # each a Python statement, usually an assert
    bugs: list[Bug] = Field(default_factory=list)
    # both
    malgorithms: list[Malgorithm] = Field(default_factory=list)
    tree: QuestionTree | None = None
    student_profile: str = ""  # free text, seeds personas (MathDial student_profile, SDB stu_desc)

    @model_validator(mode="after")
    def _domain_fields(self) -> Problem:
        if self.domain == "math":
            if not self.steps:
                raise ValueError("a math problem needs at least one step")
            if self.answer is None:
                raise ValueError("a math problem needs a final answer")
        else:
            missing = [f for f in ("buggy_code", "entry_point") if not getattr(self, f)]
            if missing:
                raise ValueError(f"a code problem needs {', '.join(missing)}")
            if not self.unit_tests:
                raise ValueError("a code problem needs unit tests")
            if not self.bugs:
                raise ValueError("a code problem needs at least one bug")
        for m in self.malgorithms:
            if m.problem_id != self.id:
                raise ValueError(f"malgorithm {m.id} belongs to {m.problem_id}, not {self.id}")
            if m.step is not None and not 0 <= m.step < len(self.steps):
                raise ValueError(f"malgorithm {m.id}: step {m.step} out of range")
            if m.bug is not None and not 0 <= m.bug < len(self.bugs):
                raise ValueError(f"malgorithm {m.id}: bug {m.bug} out of range")
        if self.tree is not None and self.tree.problem_id != self.id:
            raise ValueError(f"tree belongs to {self.tree.problem_id}, not {self.id}")
        return self

    def malgorithm(self, malgorithm_id: str) -> Malgorithm:
        """The malgorithm `malgorithm_id`; KeyError when the problem has none."""
        return _by_id(self.malgorithms, malgorithm_id)


class Diagnosis(_Model):
    """One ranked candidate for the misconception behind a student's answer."""

    malgorithm_id: str
    label: str
    confidence: float = Field(ge=0.0, le=1.0)
    reason: Literal["value", "similarity"]


class NodeHit(_Model):
    """A tree node found by `KnowledgeStore.search_nodes`: whose node it is, the text it was found by, how near."""

    problem_id: str
    node_id: str
    kind: NodeKind
    domain: Domain
    skills: list[str] = Field(default_factory=list)
    document: str  # the node's concept and first focus questions, as indexed
    similarity: float  # cosine similarity to the query, 1.0 = the same direction
