"""Diagnosis accuracy on MathDial: how often a record's own malgorithm ranks first.

`python -m knowledge.measure [PATH] [--distractors 5] [--lexical] [--json OUT]`

For every imported record, the student's message is the first Student turn of its dialogue (their own account of
the wrong solution; the wrong solution itself is never shown to `diagnose`). Settings:
- `own`: the problem's own malgorithms only (one per record of that qid);
- `distractors`: the problem's own malgorithms plus N malgorithms taken from other problems (with their wrong
  values), like a starter-bank problem carrying several candidate misconceptions;
- `text_only`: as `distractors`, with every number removed from the student's message (similarity alone).
MathDial gives every record of one qid the same wrong solution, so records of one problem differ only in the
teacher's label: `strict` counts the record's own id at rank 1, `equivalent` also counts a malgorithm with the same
wrong solution text. Reported overall and for problems with more than one malgorithm.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path
from typing import Any

from knowledge.diagnosis import diagnose
from knowledge.importers import import_mathdial
from knowledge.io import print_json
from settings import apply_offline_env

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


def first_student_turn(conversation: str) -> str:
    """The first turn not spoken by the Teacher (student turns are prefixed 'Student:' or the student's name)."""
    for turn in conversation.split("|EOM|"):
        speaker, _, text = turn.strip().partition(":")
        if text and speaker.strip() != "Teacher" and len(speaker) < 40:
            return text.strip()
    return ""


def measure(path: Path, *, distractors: int = 5, embedder: Any = None, seed: int = 0) -> dict[str, Any]:
    report = import_mathdial(path)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_qid: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_qid.setdefault(str(row.get("qid")), []).append(row)
    problems = {p.id: p for p in report.problems}
    all_malgorithms = [m for p in report.problems for m in p.malgorithms]
    rng = random.Random(seed)
    counts: dict[str, dict[str, list[int]]] = {}

    def add(setting: str, group: str, strict: bool, equivalent: bool) -> None:
        bucket = counts.setdefault(setting, {}).setdefault(group, [0, 0, 0])
        bucket[0] += strict
        bucket[1] += equivalent
        bucket[2] += 1

    for pid, p in problems.items():
        qid = pid.removeprefix("mathdial-")
        records = by_qid.get(qid, [])
        others = [m for m in all_malgorithms if m.problem_id != pid]
        for i, m in enumerate(p.malgorithms):
            text = first_student_turn(str(records[i].get("conversation", ""))) if i < len(records) else ""
            if not text:
                continue
            extra = [d.model_copy(update={"problem_id": pid}) for d in rng.sample(others, distractors)]
            hard = p.model_copy(update={"malgorithms": list(p.malgorithms) + extra})
            no_numbers = re.sub(r"\d[\d,]*(?:\.\d+)?", "", text)
            for setting, problem, student in (
                ("own", p, text),
                ("distractors", hard, text),
                ("text_only", hard, no_numbers),
            ):
                ranked = diagnose(problem, student, embedder=embedder)
                top = problem.malgorithm(ranked[0].malgorithm_id) if ranked else None
                strict = top is not None and top.id == m.id
                equivalent = top is not None and (strict or top.wrong_solution == m.wrong_solution)
                add(setting, "all", strict, equivalent)
                if len(p.malgorithms) > 1:
                    add(setting, "multi", strict, equivalent)

    out: dict[str, Any] = {"records_imported": report.imported, "problems": len(problems), "distractors": distractors}
    for setting, groups in counts.items():
        out[setting] = {
            group: {"n": n, "top1_strict": round(s / n, 3), "top1_equivalent": round(e / n, 3)}
            for group, (s, e, n) in groups.items()
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m knowledge.measure", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", nargs="?", type=Path, default=DATA / "mathdial" / "dev.jsonl")
    parser.add_argument("--distractors", type=int, default=5)
    parser.add_argument("--lexical", action="store_true", help="word-overlap similarity instead of MiniLM")
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    apply_offline_env()
    print_json(measure(args.path, distractors=args.distractors, embedder=False if args.lexical else None), args.json)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
