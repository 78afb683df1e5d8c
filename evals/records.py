"""What one simulated dialogue leaves behind: a `DialogueRecord`, saved as one JSONL line as soon as it finishes.

A record is self-contained (it carries the problem it was run on), so the score stage needs nothing but the file.
It holds the producers' own types: the tutor's `TurnTrace` per reply, the simulator's `Persona`, `HiddenState` per
student message and `Event`s. One pair writes and reads it: `DialogueRecord.model_dump_json` /
`DialogueRecord.model_validate_json` (used by `RecordFile`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from knowledge.types import Problem
from simulator.posttest import PostTest
from simulator.types import Event, HiddenState, Persona
from tutor.types import TurnTrace

Ended = Literal["solved", "max_turns", "tutor_done", "error"]


class Utterance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Literal["tutor", "student"]
    turn: int  # 0: openings; turn t = the tutor's t-th reply and the student's answer to it
    text: str


class CodeRun(BaseModel):
    """One code submission of the student, run in the sandbox."""

    model_config = ConfigDict(extra="forbid")
    turn: int
    passed: bool
    summary: str  # the sandbox's TestRun as JSON, cut to 500 characters


class DialogueOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ended: Ended
    solved: bool = False  # the student reached the right answer / passing code
    solved_turn: int | None = None  # first turn at which they had it (0: already in the opening)
    simulator_solved_turn: int | None = None  # what the simulator itself reported
    verified_turn: int | None = None  # code: first turn whose submission passed the sandbox tests
    turns: int = 0  # tutor replies given
    tutor_done: bool = False
    error: str = ""
    code_runs: list[CodeRun] = Field(default_factory=list)


class DialogueRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    problem: Problem
    policy: str
    persona: Persona
    persona_label: str
    seed: int
    max_turns: int
    malgorithm_id: str | None = None
    transcript: list[Utterance] = Field(default_factory=list)
    tutor_traces: list[TurnTrace] = Field(default_factory=list)  # one per tutor reply
    student_hidden_states: list[HiddenState] = Field(default_factory=list)  # after the opening and after each answer
    student_events: list[Event] = Field(default_factory=list)
    outcome: DialogueOutcome
    posttest: PostTest | None = None  # the sibling problem attempted after the dialogue (math; learning gain)
    timings: dict[str, float] = Field(default_factory=dict)  # total_s, tutor_s, student_s, tests_s
    backends: dict[str, str] = Field(default_factory=dict)

    @property
    def problem_id(self) -> str:
        return self.problem.id

    def messages(self, role: str) -> list[Utterance]:
        return [u for u in self.transcript if u.role == role]

    @property
    def final_hidden_state(self) -> HiddenState | None:
        return self.student_hidden_states[-1] if self.student_hidden_states else None


def dialogue_key(problem_id: str, policy: str, persona_label: str, seed: int) -> str:
    return f"{problem_id}|{policy}|{persona_label}|{seed}"


class RecordFile:
    """An append-only JSONL file of records; thread-safe appends; a torn last line (a crash) is ignored on read."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()

    def read(self) -> list[DialogueRecord]:
        return list(self._iter())

    def _iter(self) -> Iterator[DialogueRecord]:
        if not self.path.exists():
            return
        seen: set[str] = set()
        with self.path.open(encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                try:
                    record = DialogueRecord.model_validate_json(line)
                except ValueError:
                    continue  # torn write from an interrupted run; the dialogue is rerun
                if record.key not in seen:
                    seen.add(record.key)
                    yield record

    def keys(self) -> set[str]:
        return {r.key for r in self._iter()}

    def append(self, record: DialogueRecord) -> None:
        line = record.model_dump_json() + "\n"
        with self._lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Start on a fresh line if a previous run died mid-write.
            if self.path.exists() and self.path.stat().st_size:
                with self.path.open("rb") as f:
                    f.seek(-1, 2)
                    if f.read(1) != b"\n":
                        line = "\n" + line
            with self.path.open("a", encoding="utf-8") as f:
                f.write(line)
                f.flush()

    def extend(self, records: Iterable[DialogueRecord]) -> None:
        for r in records:
            self.append(r)


def write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=False, default=str) + "\n", encoding="utf-8")
