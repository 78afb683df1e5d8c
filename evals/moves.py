"""Measure the simulator's rule-based move classifier against MathDial's labelled teacher moves.

    python -m evals.moves ../shared/data/mathdial/dev.jsonl [--json OUT.json] [--errors N]

Every teacher turn in `conversation` starts with its move label, e.g. "Teacher: (focus)How many ...". The label is
removed, the text is classified with `simulator.classify_move`, and per-class precision/recall/F1, macro-F1,
accuracy and the confusion table are printed. Note: the rules were developed on this same dev file, so the figures
are optimistic for unseen data.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from simulator.moves import classify_move
from simulator.types import MOVES

TEACHER_TURN = re.compile(r"^\s*Teacher\s*:\s*\((focus|probing|telling|generic)\)\s*(.*)$", re.S | re.I)


def teacher_turns(path: Path) -> list[tuple[str, str]]:
    """(gold move, text without the prefix) for every labelled teacher turn in a MathDial JSONL file."""
    out: list[tuple[str, str]] = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            record = json.loads(line)
            for turn in str(record.get("conversation", "")).split("|EOM|"):
                m = TEACHER_TURN.match(turn)
                if m:
                    out.append((m.group(1).lower(), m.group(2).strip()))
    return out


def evaluate(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    gold = [g for g, _ in pairs]
    pred = [classify_move(t) for _, t in pairs]
    confusion = {g: {p: 0 for p in MOVES} for g in MOVES}
    for g, p in zip(gold, pred, strict=True):
        confusion[g][p] += 1
    per_class: dict[str, dict[str, float]] = {}
    for m in MOVES:
        tp = confusion[m][m]
        fp = sum(confusion[g][m] for g in MOVES if g != m)
        fn = sum(confusion[m][p] for p in MOVES if p != m)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[m] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(pairs) if pairs else 0.0
    return {
        "n": len(pairs),
        "accuracy": accuracy,
        "macro_f1": sum(c["f1"] for c in per_class.values()) / len(MOVES),
        "per_class": per_class,
        "confusion": confusion,
        "predicted": dict(Counter(pred)),
        "errors": [(g, p, t) for (g, t), p in zip(pairs, pred, strict=True) if g != p],
    }


def format_report(result: dict[str, Any], path: Path) -> str:
    lines = [
        f"Move classifier vs MathDial teacher labels: {path} ({result['n']} teacher turns)",
        "(the rules were developed on this file: figures are optimistic for unseen data)",
        "",
        f"{'move':<10}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}",
    ]
    for m in MOVES:
        c = result["per_class"][m]
        lines.append(f"{m:<10}{c['precision']:>10.3f}{c['recall']:>9.3f}{c['f1']:>8.3f}{c['support']:>9d}")
    lines += [
        "",
        f"macro-F1 {result['macro_f1']:.3f}   accuracy {result['accuracy']:.3f}",
        "",
        "confusion (rows: gold, columns: predicted)",
        f"{'':<10}" + "".join(f"{m:>9}" for m in MOVES),
    ]
    for g in MOVES:
        lines.append(f"{g:<10}" + "".join(f"{result['confusion'][g][p]:>9d}" for p in MOVES))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.moves", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="MathDial JSONL file (e.g. ../shared/data/mathdial/dev.jsonl)")
    parser.add_argument("--json", type=Path, default=None, help="also write the metrics as JSON here")
    parser.add_argument("--errors", type=int, default=0, help="print this many misclassified turns")
    args = parser.parse_args(argv)
    if not args.path.is_file():
        print(f"error: no such file: {args.path}", file=sys.stderr)
        return 2
    pairs = teacher_turns(args.path)
    if not pairs:
        print(f"error: no labelled teacher turns in {args.path}", file=sys.stderr)
        return 2
    result = evaluate(pairs)
    print(format_report(result, args.path))
    for g, p, t in result["errors"][: args.errors]:
        print(f"  gold={g:<8} pred={p:<8} {t[:140]!r}")
    if args.json:
        data = {k: v for k, v in result.items() if k != "errors"}
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
