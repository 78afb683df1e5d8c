"""Real tutoring dialogues from research data (MathDial, Socratic Debugging Benchmark), read by path.

One reader for every instrument that compares the project with real students: replay (real student turns fed to
the tutor), teacher forcing (real teacher turns fed to the simulator), hand labels and move classifiers. Nothing
here is copied into the repository: ids and turn indices are the keys anything derived from the data is stored by.

Ids (stable for a given file):
- MathDial: `mathdial-<qid>-<k>`, k = 0-based order of the record among the file's records with that qid; its
  problem is `mathdial-<qid>` (knowledge.importers), its malgorithm usually `mathdial-<qid>-m<k>`.
- SDB: the file's stem (`4_22_removing_even_numbers_socratic_dialogue`); its problem is `sdb-<problem>_<bug>`.
Turn keys: `index` is the 0-based position in the dialogue; `student_turn` / `teacher_turn` count 1-based within
the speaker. Hand labels are keyed by (dialogue id, student_turn).

The fit/validate split: by problem (MathDial qid; SDB problem number, so bug variants stay together), half by a
hash, so the same split holds for every instrument. Fit on `fit`, report on `validate`.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from errors import ValidationError
from knowledge.io import read_jsonl
from knowledge.sdb_format import file_name_parts, strip_line_numbers

Part = Literal["fit", "validate"]
Role = Literal["teacher", "student"]

_MOVE = re.compile(r"^\s*\((focus|probing|telling|generic)\)\s*", re.IGNORECASE)


def split_part(key: str) -> Part:
    """The project's one fit/validate split: half of the keys by the first byte of their SHA-256."""
    return "fit" if hashlib.sha256(key.encode("utf-8")).digest()[0] % 2 == 0 else "validate"


class RealTurn(BaseModel):
    index: int  # 0-based position in the dialogue
    role: Role
    text: str  # the utterance, move prefix and code blocks removed
    move: str | None = None  # MathDial's teacher move label: focus | probing | telling | generic
    code: str = ""  # SDB: the code block(s) the student sent with this turn (line numbers removed)
    alternatives: list[str] = Field(default_factory=list)  # SDB: <alt> reference utterances of a teacher turn
    student_turn: int | None = None  # 1-based among student turns
    teacher_turn: int | None = None  # 1-based among teacher turns


class RealDialogue(BaseModel):
    id: str
    source: Literal["mathdial", "sdb"]
    problem_id: str
    part: Part
    turns: list[RealTurn]
    # MathDial fields of the record (empty for SDB)
    qid: str = ""
    question: str = ""
    ground_truth: str = ""
    incorrect_solution: str = ""
    profile: str = ""
    confusion: str = ""
    # SDB: the file it came from
    path: str = ""

    @property
    def student_turns(self) -> list[RealTurn]:
        return [t for t in self.turns if t.role == "student"]

    @property
    def teacher_turns(self) -> list[RealTurn]:
        return [t for t in self.turns if t.role == "teacher"]


def _numbered(turns: list[RealTurn]) -> list[RealTurn]:
    s = t = 0
    for turn in turns:
        if turn.role == "student":
            s += 1
            turn.student_turn = s
        else:
            t += 1
            turn.teacher_turn = t
    return turns


def parse_mathdial_conversation(conversation: str) -> list[RealTurn]:
    turns: list[RealTurn] = []
    for raw in conversation.split("|EOM|"):
        text = raw.strip()
        if not text:
            continue
        speaker, sep, body = text.partition(":")
        # the student is sometimes named by their first name ("Mariana: ...")
        if not sep or not re.fullmatch(r"[A-Z][A-Za-z'-]{1,24}", speaker.strip()):
            raise ValueError(f"turn {len(turns) + 1} has no 'Teacher:' or 'Student:' speaker: {text[:40]!r}")
        role: Role = "teacher" if speaker.strip() == "Teacher" else "student"
        body = body.strip()
        move = None
        if role == "teacher" and (m := _MOVE.match(body)):
            move, body = m.group(1).lower(), body[m.end() :].strip()
        turns.append(RealTurn(index=len(turns), role=role, text=body, move=move))
    return _numbered(turns)


def read_mathdial(path: str | Path) -> list[RealDialogue]:
    """Every record of a MathDial JSONL file; a malformed record raises ValidationError naming its line."""
    seen: dict[str, int] = {}
    out: list[RealDialogue] = []
    for where, row in read_jsonl(path, kind="MathDial file"):
        qid = str(row.get("qid", "")).strip()
        if not qid or not re.fullmatch(r"[A-Za-z0-9_.:-]+", qid):
            raise ValidationError(f"{where}: missing or invalid qid {row.get('qid')!r}")
        conversation = row.get("conversation")
        if not isinstance(conversation, str) or not conversation.strip():
            raise ValidationError(f"{where} (qid {qid}): no conversation text")
        try:
            turns = parse_mathdial_conversation(conversation)
        except ValueError as exc:
            raise ValidationError(f"{where} (qid {qid}): {exc}") from exc
        k = seen.get(qid, 0)
        seen[qid] = k + 1
        out.append(
            RealDialogue(
                id=f"mathdial-{qid}-{k}",
                source="mathdial",
                problem_id=f"mathdial-{qid}",
                part=split_part(qid),
                turns=turns,
                qid=qid,
                question=str(row.get("question") or ""),
                ground_truth=str(row.get("ground_truth") or ""),
                incorrect_solution=str(row.get("student_incorrect_solution") or ""),
                profile=str(row.get("student_profile") or ""),
                confusion=str(row.get("teacher_described_confusion") or ""),
            )
        )
    return out


def _sdb_code(block: str) -> str:
    return strip_line_numbers(block.strip("\n")) if block.strip() else ""


def parse_sdb_dialogue(dialogue: str) -> list[RealTurn]:
    """User/Assistant turns; `<alt>` lines are the Assistant turn's alternatives; other lines continue the current
    utterance. A `<code>` block is always the student's: after a User line it belongs to that turn; after an
    Assistant line (the teacher asked to try a change, the student sends it with "I've fixed it!") it belongs to the
    next User turn (to the Assistant turn only when no User turn follows)."""
    turns: list[RealTurn] = []
    pending: list[str] = []  # code blocks waiting for the next student turn
    parts = re.split(r"(<code>.*?</code>)", dialogue, flags=re.S)
    for part in parts:
        if part.startswith("<code>"):
            code = _sdb_code(part.removeprefix("<code>").removesuffix("</code>"))
            if turns and turns[-1].role == "student":
                _add_code(turns[-1], code)
            elif code:
                pending.append(code)
            continue
        for raw in part.split("\n"):
            line = raw.strip()
            if not line:
                continue
            if line.startswith(("User:", "Assistant:")):
                role: Role = "student" if line.startswith("User:") else "teacher"
                text = line.split(":", 1)[1].strip()
                turns.append(RealTurn(index=len(turns), role=role, text=text))
                if role == "student" and pending:
                    for code in pending:
                        _add_code(turns[-1], code)
                    pending = []
            elif line.startswith("<alt>"):
                if turns and turns[-1].role == "teacher":
                    turns[-1].alternatives.append(line.removeprefix("<alt>").strip())
            elif turns:
                turns[-1].text = f"{turns[-1].text} {line}".strip()
    if pending and turns:  # the dialogue ends on a teacher line and its code: nothing else to attach it to
        for code in pending:
            _add_code(turns[-1], code)
    return _numbered(turns)


def _add_code(turn: RealTurn, code: str) -> None:
    turn.code = (turn.code + "\n" + code).strip("\n") if turn.code else code


def read_sdb(directory: str | Path) -> list[RealDialogue]:
    """Every dialogue file of a Socratic Debugging Benchmark folder (sorted by name); a file whose name or
    `<dialogue>` section cannot be read raises ValidationError naming it."""
    directory = Path(directory)
    if not directory.is_dir():
        raise ValidationError(f"{directory} is not a folder of Socratic Debugging Benchmark files")
    out: list[RealDialogue] = []
    for path in sorted(p for p in directory.iterdir() if p.suffix.lower() == ".txt" and p.is_file()):
        match = file_name_parts(path.name)  # misspelt kinds ("thead") read as the importer reads them
        if not match:
            raise ValidationError(f"{path}: file name does not match PROBLEM_BUG_name_kind.txt")
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValidationError(f"{path}: cannot read: {exc}") from exc
        found = re.search(r"<dialogue>\n?(.*?)</dialogue>", text, re.S)
        if not found:
            raise ValidationError(f"{path}: no <dialogue> section")
        turns = parse_sdb_dialogue(found.group(1))
        if not turns:
            raise ValidationError(f"{path}: the <dialogue> section has no User/Assistant turns")
        out.append(
            RealDialogue(
                id=path.stem,
                source="sdb",
                problem_id=f"sdb-{match['problem']}_{match['bug']}",
                part=split_part(f"sdb-{match['problem']}"),
                turns=turns,
                path=str(path),
            )
        )
    return out


def read_source(source: str) -> list[RealDialogue]:
    """`mathdial:PATH` or `sdb:DIR`, the SOURCE argument of the replay and fidelity evaluations."""
    kind, sep, where = source.partition(":")
    if not sep or kind not in ("mathdial", "sdb") or not where:
        raise ValidationError(f"Unknown dialogue source {source!r}: use mathdial:PATH or sdb:DIR")
    return read_mathdial(where) if kind == "mathdial" else read_sdb(where)
