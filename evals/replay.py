"""Replay: real student turns fed, in order, to a fresh tutor session; its verdicts against reference labels.

    python -m evals replay mathdial:../shared/data/mathdial/dev.jsonl [--limit N] [--json OUT]
    python -m evals replay sdb:../shared/data/socratic-debugging [--part fit|validate|all] [--labels PATH ...]

For each real dialogue (knowledge.dialogues) a `TutorSession` (policy `tree`, no model) on the imported problem
(knowledge.importers, matched by problem id) receives the student turns in order; an SDB turn's code block is sent
fenced in the message, as a code submission (the rule label reads the buggy program with only prints added, or with
words and no claim that it works, as no submission: GUIDE.md rule 14; tutor.codefacts.looking). Per student turn:
the tutor's verdict (`TurnTrace.judgement`: right | partly | wrong | none | unsure), the node the message was judged
on, the reply, the rule-derived reference label (evals.replay_reference) and the hand label (every
evals/labels/replay_hand*.jsonl but the re-label file: the validate sample and the fit-part files; keyed by dialogue
id and student turn; read only to report). A turn after the session ended (solved) has no verdict and is left out of
the metrics.

Metrics, split as CoMTA does, each with its n: accuracy when the student is right (verdict == right), accuracy when
the student is wrong (reference wrong or partly; verdict == reference), false affirmation (verdict right/partly on a
wrong turn, or right on a partly one), false rejection (verdict wrong on a right or no-claim turn), verdict macro-F1
over the four reference classes (unsure is a miss), the share of unsure; per part (fit / validate / all), against
the rule labels and against the hand labels; and the question flags of the tutor's replies.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from errors import InputError, ValidationError
from evals.hand_labels import DEFAULT_PATH as HAND_LABELS
from evals.hand_labels import LABELS_DIR
from evals.hand_labels import load as load_hand_labels
from evals.questions import aggregate, expression_patterns, norm, reply_flags, sentences
from evals.replay_reference import mathdial_label, runnable, sdb_label
from knowledge.dialogues import RealDialogue, RealTurn, read_source
from knowledge.importers import import_mathdial, import_sdb, require_clean
from knowledge.types import Problem
from tutor import TutorSession, TutorSettings
from tutor.codefacts import looking
from tutor.sandbox import run_tests
from vocabulary import REFERENCES, HandLabelValue, Reference

CLASSES = REFERENCES
PartChoice = Literal["fit", "validate", "all"]


class ReplayTurn(BaseModel):
    dialogue_id: str
    source: Literal["mathdial", "sdb"]
    part: Literal["fit", "validate"]
    turn: int  # the student turn (1-based), the key of the hand labels
    student: str
    code: str = ""
    verdict: str | None  # TurnTrace.judgement; None when the session had ended or refused the message
    node: str | None = None  # the node the message was judged on
    asked: str | None = None  # the node the reply asks about
    plan: str = ""
    reply: str = ""
    reference: Reference | None = None
    reference_rule: str = ""
    hand: HandLabelValue | None = None
    note: str = ""
    values: list[float] = []  # the values the tutor read as claimed in the student's message
    flags: dict[str, Any] | None = None  # evals.questions.reply_flags of the reply


# --- loading --------------------------------------------------------------------------------------------------
def load_problems(source: str) -> dict[str, Problem]:
    """The imported problems of a SOURCE (`mathdial:PATH` / `sdb:DIR`) by id; a file that cannot be imported at all
    raises ValidationError naming it."""
    kind, _, where = source.partition(":")
    report = import_mathdial(where) if kind == "mathdial" else import_sdb(where)
    return {p.id: p for p in require_clean(report).problems}


def select_dialogues(source: str, part: PartChoice = "all", limit: int | None = None) -> list[RealDialogue]:
    """The real dialogues of a SOURCE in its `part` (fit / validate / all), at most `limit` of them."""
    dialogues = read_source(source)
    if part != "all":
        dialogues = [d for d in dialogues if d.part == part]
    return dialogues if limit is None else dialogues[:limit]


def read_hand_labels(*paths: str | Path) -> dict[tuple[str, int], HandLabelValue]:
    """The hand labels of one or more files by (dialogue id, student turn), through evals.hand_labels (which names
    a bad line); a key labelled in two files raises ValidationError."""
    out: dict[tuple[str, int], HandLabelValue] = {}
    for path in paths:
        for item in load_hand_labels(path):
            if item.key in out:
                raise ValidationError(f"{path}: {item.dialogue_id} turn {item.turn} is labelled in an earlier file too")
            out[item.key] = item.label
    return out


def default_label_paths(folder: Path = LABELS_DIR) -> list[Path]:
    """The hand-label files read when no --labels is given: every `replay_hand*.jsonl` in `folder` but the blind
    re-label (`replay_hand_relabel.jsonl`, a self-consistency check, not a reference)."""
    return sorted(p for p in folder.glob("replay_hand*.jsonl") if p.name != "replay_hand_relabel.jsonl")


# --- one dialogue ---------------------------------------------------------------------------------------------
def message_of(turn: RealTurn) -> str:
    """What the student sent: the text, and the code block fenced (a code submission)."""
    if not turn.code:
        return turn.text
    return f"{turn.text}\n```python\n{turn.code.rstrip()}\n```".strip()


def _reference(dialogue: RealDialogue, problem: Problem, turn: RealTurn) -> tuple[Reference | None, str]:
    if dialogue.source == "mathdial":
        return mathdial_label(dialogue, turn)
    passes = None
    if turn.code and runnable(turn.code, problem) and not looking(turn.code, turn.text, problem):
        passes = run_tests(turn.code, problem).passed
    return sdb_label(problem, turn, passes)


def replay_dialogue(
    dialogue: RealDialogue, problem: Problem, hand: dict[tuple[str, int], HandLabelValue] | None = None
) -> list[ReplayTurn]:
    session = TutorSession.start(problem, TutorSettings(policy="tree", max_turns=10_000), backend=None)
    earlier = {norm(s) for s in sentences(session.opening)}
    patterns = expression_patterns(problem)
    out = []
    for t in dialogue.student_turns:
        reference, rule = _reference(dialogue, problem, t)
        row = ReplayTurn(
            dialogue_id=dialogue.id,
            source=dialogue.source,
            part=dialogue.part,
            turn=t.student_turn or 0,
            student=t.text,
            code=t.code,
            verdict=None,
            reference=reference,
            reference_rule=rule,
            hand=(hand or {}).get((dialogue.id, t.student_turn or 0)),
        )
        if session.done:
            row.note = "session had ended"
        else:
            try:
                reply = "".join(session.reply(message_of(t)))
            except InputError as exc:
                row.note = f"refused: {exc.log_message}"
            else:
                trace = session.last
                assert trace is not None
                row.verdict, row.node, row.asked = trace.judgement, trace.state_before.current_node, trace.node_id
                row.plan, row.reply, row.values = trace.plan_kind, reply, list(trace.values)
                row.flags = reply_flags(reply, earlier, problem, row.values, trace.plan_kind, patterns)
        out.append(row)
    return out


# --- metrics --------------------------------------------------------------------------------------------------
def _rate(hits: int, n: int) -> dict[str, Any]:
    return {"value": round(hits / n, 4) if n else None, "n": n}


def score(pairs: list[tuple[str | None, str | None]]) -> dict[str, Any]:
    """CoMTA-style figures of (verdict, reference) pairs; pairs without a verdict or a reference class are left out."""
    done = [(v, r) for v, r in pairs if v is not None and r in CLASSES]
    right = [v for v, r in done if r == "right"]
    wrong = [(v, r) for v, r in done if r in ("wrong", "partly")]
    true = [v for v, r in done if r in ("right", "none")]
    affirmed = sum(
        1 for v, r in wrong if (r == "wrong" and v in ("right", "partly")) or (r == "partly" and v == "right")
    )
    f1 = {}
    for c in CLASSES:
        tp = sum(1 for v, r in done if v == c and r == c)
        predicted, actual = sum(1 for v, _ in done if v == c), sum(1 for _, r in done if r == c)
        if not actual and not predicted:
            continue
        p, rec = (tp / predicted if predicted else 0.0), (tp / actual if actual else 0.0)
        f1[c] = round(2 * p * rec / (p + rec), 4) if p + rec else 0.0
    return {
        "n": len(done),
        "accuracy_when_right": _rate(sum(1 for v in right if v == "right"), len(right)),
        "accuracy_when_wrong": _rate(sum(1 for v, r in wrong if v == r), len(wrong)),
        "false_affirmation": _rate(affirmed, len(wrong)),
        "false_rejection": _rate(sum(1 for v in true if v == "wrong"), len(true)),
        "macro_f1": {"value": round(sum(f1.values()) / len(f1), 4) if f1 else None, "n": len(done), "per_class": f1},
        "unsure_share": _rate(sum(1 for v, _ in done if v == "unsure"), len(done)),
        "reference_classes": dict(Counter(r for _, r in done)),
        "confusion": {r: dict(Counter(v for v, rr in done if rr == r)) for r in CLASSES},
    }


def question_flags(turns: list[ReplayTurn]) -> dict[str, Any]:
    """The question flags of the replies (evals.questions): questions with a step's expression or a blank,
    repeated tutor sentences, generic replies right after a student value; per part too."""
    out = aggregate([t.flags for t in turns if t.flags is not None])
    for part in ("fit", "validate"):
        out[part] = aggregate([t.flags for t in turns if t.flags is not None and t.part == part])
    return out


def metrics(turns: list[ReplayTurn]) -> dict[str, Any]:
    judged = [t for t in turns if t.verdict is not None]
    out: dict[str, Any] = {
        "dialogues": len({t.dialogue_id for t in turns}),
        "student_turns": len(turns),
        "judged_turns": len(judged),
        "after_end": sum(1 for t in turns if t.note == "session had ended"),
        "verdicts": dict(Counter(t.verdict for t in judged)),
        "unsure_share_all": _rate(sum(1 for t in judged if t.verdict == "unsure"), len(judged)),
        "hand_unclear": sum(1 for t in turns if t.hand == "unclear"),
    }
    parts = {
        "fit": [t for t in turns if t.part == "fit"],
        "validate": [t for t in turns if t.part == "validate"],
        "all": turns,
    }
    for key, field in (("rule", "reference"), ("hand", "hand")):
        out[key] = {name: score([(t.verdict, getattr(t, field)) for t in rows]) for name, rows in parts.items() if rows}
    out["flags"] = question_flags(turns)
    return out


# --- the run --------------------------------------------------------------------------------------------------
def run(
    source: str,
    *,
    limit: int | None = None,
    part: PartChoice = "all",
    labels: str | Path | list[str | Path] | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """`labels`: the hand-label file(s); by default every replay_hand*.jsonl but the re-label (default_label_paths)."""
    dialogues = select_dialogues(source, part, limit)
    problems = load_problems(source)
    if labels is None:
        label_paths = default_label_paths(HAND_LABELS.parent)
    else:
        label_paths = [Path(p) for p in ([labels] if isinstance(labels, (str, Path)) else labels)]
    hand = read_hand_labels(*label_paths)
    turns: list[ReplayTurn] = []
    skipped = []
    for k, d in enumerate(dialogues, start=1):
        problem = problems.get(d.problem_id)
        if problem is None:
            skipped.append(d.id)
            continue
        turns += replay_dialogue(d, problem, hand)
        if progress and k % 25 == 0:
            print(f"  {k}/{len(dialogues)} dialogues", flush=True)
    result = {"turns": [t.model_dump(mode="json") for t in turns], "metrics": metrics(turns)}
    result["metrics"].update(
        source=source, part=part, skipped_dialogues=skipped, hand_labels=[str(p) for p in label_paths] if hand else None
    )
    return result


def write_atomic(path: str | Path, data: Any) -> Path:
    """JSON written to a temp file in the same folder, then renamed: the file is whole or not there."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, ensure_ascii=False)
            f.write("\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def summary(m: dict[str, Any]) -> str:
    lines = [
        f"{m['dialogues']} dialogues, {m['student_turns']} student turns, {m['judged_turns']} judged "
        f"({m['after_end']} after the session ended); verdicts {m['verdicts']}"
    ]
    names = (
        "accuracy_when_right",
        "accuracy_when_wrong",
        "false_affirmation",
        "false_rejection",
        "macro_f1",
        "unsure_share",
    )
    for key in ("rule", "hand"):
        for part, s in m[key].items():
            if not s["n"]:
                continue
            cells = [f"{n} {s[n]['value'] if s[n]['value'] is not None else '-'} (n={s[n]['n']})" for n in names]
            lines.append(f"  {key:<4} {part:<8} " + "  ".join(cells))
    flags = m.get("flags") or {}
    for part, f in (("all", flags), ("fit", flags.get("fit")), ("validate", flags.get("validate"))):
        if not f or not f.get("replies"):
            continue
        cells = [
            f"{n} {f[n]['value'] if f[n]['value'] is not None else '-'} (n={f[n]['n']})"
            for n in (
                "expression_or_blank",
                "final_expression",
                "long_question",
                "repeated_sentence",
                "generic_after_value",
            )
        ]
        lines.append(f"  flags {part:<8} " + "  ".join(cells))
    return "\n".join(lines)
