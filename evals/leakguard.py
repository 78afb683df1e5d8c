"""Measure the tutor's leak guard against human labels (MRBench `Revealing_of_the_Answer`).

    python -m evals.leakguard ../shared/data/mrbench/dev.json [--mode guard|final|mrbench] [--part fit|validate]
                              [--compare] [--json] [--errors N]

Modes: `guard` is the tutor's own guard (tutor/guard.py: final answer and step values, strict by design); `final`
its final-answer check alone; `mrbench` the instrument the evaluations report, in MRBench's sense
(evals/reveal.py: the final answer in its own sense, or a wrong final answer). `--compare` prints the mode and the
naive rule ("the reply contains the final number") per half of the project's fit/validate split (by conversation
id, knowledge.dialogues.split_part) and on all.

Each labelled tutor response is one message. The problem is rebuilt from `Ground_Truth_Solution`: the final
answer from its last line, step values from `... = c` lines. Step values count as not yet produced by the
student, except values that appear in the student's turns of `conversation_history`. Conversations whose
solution is "Not Available" (MRBench's Bridge part) are checked against the tutor's last arithmetic question
(evals.asked: "What is the sum of 27 and 16?" -> 43); those without one are skipped (counted). A label
starting with "Yes" (the answer correct or not) means the response reveals the answer.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from errors import ValidationError
from evals.asked import Asked, asked
from evals.reveal import AnswerKey, answer_key, naive_reveals, reveals_answer
from knowledge.dialogues import split_part
from knowledge.types import Problem, Step
from tutor.guard import reveals
from tutor.numbers import extract

CORRECT, INCORRECT = "Yes (and the answer is correct)", "Yes (but the answer is incorrect)"


class Item(BaseModel):
    conversation_id: str
    data: str = ""  # MRBench's source of the conversation: MathDial (with a solution) or Bridge (without)
    part: str = "fit"  # the project's split of the conversation id (knowledge.dialogues.split_part)
    tutor: str
    response: str
    label: str
    gold: bool
    predicted: bool = False
    reasons: list[str] = Field(default_factory=list)
    naive: bool = False  # the baseline: the reply contains the final number


class LeakReport(BaseModel):
    path: str
    mode: str
    part: str = "all"
    conversations: int
    skipped: list[tuple[str, str]] = Field(default_factory=list)
    n: int = 0
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0
    recall_by_label: dict[str, float] = Field(default_factory=dict)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def accuracy(self) -> float:
        return (self.tp + self.tn) / self.n if self.n else 0.0


def _first_number(text: str) -> float | None:
    values = extract(text).values
    return values[0].value if values else None


def parse_solution(solution: str) -> tuple[list[Step], float | None]:
    lines = [ln.strip() for ln in solution.replace("\u00a0", " ").splitlines() if ln.strip()]
    if not lines:
        return [], None
    answer_line = re.sub(r"^#+\s*", "", lines[-1])
    answer = _first_number(answer_line)
    steps: list[Step] = []
    for ln in lines[:-1] if len(lines) > 1 else lines:
        if "=" not in ln:
            continue
        value = _first_number(ln.rsplit("=", 1)[1])
        if value is not None:
            steps.append(Step(description=ln[:120], expression=ln.rsplit("=", 1)[0][-80:], value=value))
    return steps, answer


def split_turns(history: str) -> list[tuple[str, str]]:
    parts = re.split(r"(?:^|\n|\s)(Tutor|Student|Teacher)\s*:", history.replace("\u00a0", " "))
    turns = []
    for i in range(1, len(parts) - 1, 2):
        turns.append(("student" if parts[i] == "Student" else "tutor", parts[i + 1].strip()))
    return turns


def statement_of(history: str) -> str:
    m = re.search(
        r"question (?:below|is)\W*(?:The question is:)?(.*?)(?:\n|\s)Student\s*:", history, re.DOTALL | re.IGNORECASE
    )
    return (m.group(1).strip() if m else "") or "(problem statement not available)"


def build_problem(record: dict[str, Any], index: int) -> tuple[Problem, list[float]]:
    steps, answer = parse_solution(record.get("Ground_Truth_Solution", ""))
    if answer is None:
        raise ValidationError(f"record {index}: no final answer in Ground_Truth_Solution")
    if not steps:
        steps = [Step(description="final answer", value=answer)]
    history = record.get("conversation_history", "")
    produced = [
        r
        for role, text in split_turns(history)
        if role == "student"
        for n in extract(text).numbers
        for r in n.readings()
    ]
    problem = Problem(
        id=f"mrbench-{index}",
        domain="math",
        title=f"MRBench {index}",
        statement=statement_of(history),
        steps=steps,
        answer=answer,
        source="mrbench",
    )
    return problem, produced


Mode = Literal["guard", "final", "mrbench"]
MODES: dict[str, str] = {
    "guard": "the tutor's guard: final answer + step values",
    "final": "the tutor's guard: final answer only",
    "mrbench": "MRBench's sense: the final answer in its own sense, or a wrong final answer",
}
PartName = Literal["fit", "validate", "all"]


def predict(
    response: str, problem: Problem, produced: list[float], key: AnswerKey, mode: Mode
) -> tuple[bool, list[str]]:
    if mode == "mrbench":
        r = reveals_answer(response, key)
        return r.leaks, r.reasons
    v = reveals(response, problem, produced=produced, check_steps=mode == "guard")
    return v.leaks, v.reasons


def evaluate(path: Path, *, final_only: bool = False, mode: Mode | None = None) -> tuple[LeakReport, list[Item]]:
    """Every labelled response of an MRBench file, predicted in `mode` (default: the tutor's guard) and by the
    naive rule; the report covers all conversations (see `score` for one half)."""
    mode = mode or ("final" if final_only else "guard")
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValidationError(f"{path}: expected a JSON list of MRBench conversations")
    skipped: list[tuple[str, str]] = []
    items: list[Item] = []
    for i, record in enumerate(data):
        if not isinstance(record, dict):
            raise ValidationError(f"{path}: conversation {i} is not a JSON object")
        cid = str(record.get("conversation_id", i))
        question: Asked | None = None
        solution = record.get("Ground_Truth_Solution", "")
        if solution.strip() in ("", "Not Available"):
            question = asked(split_turns(record.get("conversation_history", "")))
            if question is None:
                skipped.append((cid, "no ground-truth solution and no arithmetic question"))
                continue
            record = {**record, "Ground_Truth_Solution": (solution := question.solution())}
        try:
            problem, produced = build_problem(record, i)
        except ValidationError as exc:
            skipped.append((cid, exc.user_message))
            continue
        statement = question.question if question else problem.statement
        key = answer_key(solution, problem.answer or 0.0, statement)
        for tutor, entry in (record.get("anno_llm_responses") or {}).items():
            label = (entry.get("annotation") or {}).get("Revealing_of_the_Answer")
            response = entry.get("response") or ""
            if not label or not response.strip():
                continue
            predicted, reasons = predict(response, problem, produced, key, mode)
            items.append(
                Item(
                    conversation_id=cid,
                    data=str(record.get("Data", "")),
                    part=split_part(cid),
                    tutor=tutor,
                    response=response,
                    label=label,
                    gold=label.startswith("Yes"),
                    predicted=predicted,
                    reasons=reasons,
                    naive=naive_reveals(response, key.value),
                )
            )
    return score(items, path=str(path), mode=mode, conversations=len(data), skipped=skipped), items


def score(
    items: list[Item],
    *,
    path: str,
    mode: str,
    conversations: int,
    skipped: list[tuple[str, str]] | None = None,
    part: PartName = "all",
    naive: bool = False,
) -> LeakReport:
    """Confusion counts of `items` (one half or all), for the mode's prediction or the naive rule."""
    chosen = [it for it in items if part == "all" or it.part == part]
    report = LeakReport(
        path=path,
        mode="naive: the reply contains the final number" if naive else MODES[mode],
        part=part,
        conversations=conversations,
        skipped=skipped or [],
        n=len(chosen),
    )
    hits: Counter[str] = Counter()
    for it in chosen:
        p = it.naive if naive else it.predicted
        key = ("tp" if p else "fn") if it.gold else ("fp" if p else "tn")
        setattr(report, key, getattr(report, key) + 1)
        hits[it.label] += int(it.gold and p)
    by_label: Counter[str] = Counter(it.label for it in chosen if it.gold)
    report.recall_by_label = {k: round(hits[k] / v, 3) for k, v in by_label.items()}
    return report


def format_report(r: LeakReport) -> str:
    return "\n".join(
        [
            f"leak guard vs MRBench Revealing_of_the_Answer ({r.mode})",
            f"file: {r.path}  part: {r.part}",
            f"conversations: {r.conversations} (skipped {len(r.skipped)}: no ground-truth solution), responses: {r.n}",
            f"precision {r.precision:.3f}  recall {r.recall:.3f}  F1 {r.f1:.3f}  accuracy {r.accuracy:.3f}",
            "",
            "                    predicted leak   predicted no leak",
            f"human: reveals      {r.tp:>10}   {r.fn:>15}",
            f"human: no           {r.fp:>10}   {r.tn:>15}",
            "",
            "recall by label: " + ", ".join(f"{k}: {v:.3f}" for k, v in sorted(r.recall_by_label.items())),
        ]
    )


def format_comparison(items: list[Item], *, path: str, mode: str, conversations: int) -> str:
    """The mode and the naive rule side by side, per half of the project's fit/validate split and on all."""
    rows = ["part       rule     responses  reveals    P      R      F1    recall(correct) recall(incorrect)"]
    for part in ("fit", "validate", "all"):
        for naive in (False, True):
            r = score(items, path=path, mode=mode, conversations=conversations, part=part, naive=naive)  # type: ignore[arg-type]
            rows.append(
                f"{part:<10} {'naive' if naive else mode:<8} {r.n:>9} {r.tp + r.fn:>8}  {r.precision:.3f}  "
                f"{r.recall:.3f}  {r.f1:.3f}  {r.recall_by_label.get(CORRECT, 0.0):>15.3f} "
                f"{r.recall_by_label.get(INCORRECT, 0.0):>17.3f}"
            )
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.leakguard", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="MRBench JSON file (e.g. ../shared/data/mrbench/dev.json)")
    parser.add_argument(
        "--mode",
        choices=sorted(MODES),
        default=None,
        help="guard (default): the tutor's guard; final: its final-answer check; mrbench: MRBench's sense",
    )
    parser.add_argument("--final-only", action="store_true", help="same as --mode final")
    parser.add_argument(
        "--part",
        choices=["all", "fit", "validate"],
        default="all",
        help="report one half of the fit/validate split (by conversation id)",
    )
    parser.add_argument("--compare", action="store_true", help="the mode and the naive rule, per half and on all")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--errors", type=int, default=0, metavar="N", help="show N false positives and N false negatives"
    )
    args = parser.parse_args(argv)
    if not args.path.exists():
        print(f"error: {args.path} not found", file=sys.stderr)
        return 2
    mode = args.mode or ("final" if args.final_only else "guard")
    try:
        full, items = evaluate(args.path, mode=mode)
    except (json.JSONDecodeError, ValidationError) as exc:
        print(f"error: cannot read {args.path}: {exc}", file=sys.stderr)
        return 2
    report = score(
        items, path=full.path, mode=mode, conversations=full.conversations, skipped=full.skipped, part=args.part
    )
    if args.json:
        out = report.model_dump()
        out.update(precision=report.precision, recall=report.recall, f1=report.f1, accuracy=report.accuracy)
        print(json.dumps(out, indent=2))
    else:
        print(format_report(report))
    if args.compare:
        print("\n" + format_comparison(items, path=full.path, mode=mode, conversations=full.conversations))
    if args.errors:
        chosen = [it for it in items if args.part == "all" or it.part == args.part]
        for kind, pick in (
            ("false positive", lambda it: it.predicted and not it.gold),
            ("false negative", lambda it: it.gold and not it.predicted),
        ):
            for it in [it for it in chosen if pick(it)][: args.errors]:
                print(
                    f"\n[{kind}] {it.conversation_id[:12]} {it.tutor} ({it.label}) {it.reasons}\n  {it.response[:300]}"
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
