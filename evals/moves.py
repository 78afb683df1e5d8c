"""Measure the simulator's move classifiers against MathDial's labelled teacher moves; refit the fitted one.

    python -m evals.moves ../shared/data/mathdial/dev.jsonl [--json OUT.json] [--errors N]   # the rules
    python -m evals.moves ../shared/data/mathdial/dev.jsonl --cv [--lexical] [--json OUT.json]
    python -m evals.moves ../shared/data/mathdial/dev.jsonl --fit [--out simulator/moves_model.json]

Every teacher turn in `conversation` starts with its move label, e.g. "Teacher: (focus)How many ...". The label is
removed and the text classified. Without flags: the rule classifier (`simulator.moves.classify_move`; the rules were
developed on this same dev file, so the figures are optimistic for unseen data). `--cv`: the fitted classifier
(`simulator.move_model`, embedding and lexical variants) under nested 5-fold cross-validation grouped by problem
(qid), beside the rules, with the focus+probing-merged macro-F1. `--fit`: refit the shipped parameter file on the
whole file (see `evals.move_fit`). Per-class precision/recall/F1, macro-F1, accuracy and the confusion table.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from errors import RecoverableError
from evals import move_fit
from simulator.move_model import PATH as MODEL_PATH
from simulator.moves import classify_move
from vocabulary import MOVES

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
    """The rule classifier's figures on (gold, text) pairs."""
    result = metrics([g for g, _ in pairs], [str(classify_move(t)) for _, t in pairs])
    result["errors"] = [(g, p, t) for (g, t), p in zip(pairs, result.pop("pred"), strict=True) if g != p]
    return result


def merged(moves: list[str]) -> list[str]:
    """Focus and probing as one class (annotators agree at kappa 0.669 only so)."""
    return ["focus" if m == "probing" else m for m in moves]


def merged_macro_f1(gold: list[str], pred: list[str]) -> float:
    g, p = merged(gold), merged(pred)
    classes = ("focus", "telling", "generic")
    f1s = []
    for m in classes:
        tp = sum(a == m and b == m for a, b in zip(g, p, strict=True))
        fp = sum(a != m and b == m for a, b in zip(g, p, strict=True))
        fn = sum(a == m and b != m for a, b in zip(g, p, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return sum(f1s) / len(classes)


def metrics(gold: list[str], pred: list[str]) -> dict[str, Any]:
    """Per-class precision/recall/F1, macro-F1 (4 classes and focus+probing merged), accuracy, confusion."""
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
    accuracy = sum(g == p for g, p in zip(gold, pred, strict=True)) / len(gold) if gold else 0.0
    return {
        "n": len(gold),
        "accuracy": accuracy,
        "macro_f1": sum(c["f1"] for c in per_class.values()) / len(MOVES),
        "macro_f1_merged": merged_macro_f1(gold, pred) if pred else 0.0,
        "per_class": per_class,
        "confusion": confusion,
        "predicted": dict(Counter(pred)),
        "pred": pred,
    }


RULES_NOTE = "(the rules were developed on this file: figures are optimistic for unseen data)"


def format_report(result: dict[str, Any], path: Path, title: str = "Move classifier", note: str = RULES_NOTE) -> str:
    lines = [
        f"{title} vs MathDial teacher labels: {path} ({result['n']} teacher turns)",
        note,
        "",
        f"{'move':<10}{'precision':>10}{'recall':>9}{'f1':>8}{'support':>9}",
    ]
    for m in MOVES:
        c = result["per_class"][m]
        lines.append(f"{m:<10}{c['precision']:>10.3f}{c['recall']:>9.3f}{c['f1']:>8.3f}{c['support']:>9d}")
    lines += [
        "",
        f"macro-F1 {result['macro_f1']:.3f}   focus+probing merged {result['macro_f1_merged']:.3f}   "
        f"accuracy {result['accuracy']:.3f}",
        "",
        "confusion (rows: gold, columns: predicted)",
        f"{'':<10}" + "".join(f"{m:>9}" for m in MOVES),
    ]
    for g in MOVES:
        lines.append(f"{g:<10}" + "".join(f"{result['confusion'][g][p]:>9d}" for p in MOVES))
    return "\n".join(lines)


def _write_json(path: Path | None, data: dict[str, Any]) -> None:
    if path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def _fitted(args: argparse.Namespace) -> int:
    try:
        rows = move_fit.samples(args.path)
    except RecoverableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if not rows:
        print(f"error: no labelled teacher turns in {args.path}", file=sys.stderr)
        return 2
    embeddings = None if args.lexical else move_fit.embed(rows)
    if args.fit:
        content = move_fit.fit_model(args.path, rows, embeddings)
        move_fit.write_model(content, args.out)
        cs = ", ".join(f"{k} C={m['C']}" for k, m in content["models"].items())
        print(f"wrote {args.out} ({len(rows)} teacher turns; {cs})")
        return 0
    gold = [s.move for s in rows]
    report: dict[str, Any] = {}
    note = "(nested 5-fold cross-validation grouped by qid: C chosen inside each outer training part)"
    for name, res in move_fit.cross_validate(rows, embeddings).items():
        result = metrics(gold, res["pred"])
        result.pop("pred")
        if "C" in res:
            result["C_per_fold"] = res["C"]
        report[name] = result
        title = "Rule classifier" if name == "rules" else f"Fitted classifier ({name})"
        print(format_report(result, args.path, title, RULES_NOTE if name == "rules" else note), end="\n\n")
    _write_json(args.json, report)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.moves", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="MathDial JSONL file (e.g. ../shared/data/mathdial/dev.jsonl)")
    parser.add_argument("--json", type=Path, default=None, help="also write the metrics as JSON here")
    parser.add_argument("--errors", type=int, default=0, help="print this many misclassified turns (rules)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--cv", action="store_true", help="grouped cross-validation of the fitted classifier")
    mode.add_argument("--fit", action="store_true", help="refit the shipped move model on the whole file")
    parser.add_argument("--out", type=Path, default=MODEL_PATH, help="where --fit writes (default: %(default)s)")
    parser.add_argument("--lexical", action="store_true", help="--cv: skip the embedding model (no MiniLM)")
    args = parser.parse_args(argv)
    if not args.path.is_file():
        print(f"error: no such file: {args.path}", file=sys.stderr)
        return 2
    if args.fit and args.lexical:
        parser.error("--fit writes both models: it needs the embeddings (drop --lexical)")
    if args.cv or args.fit:
        return _fitted(args)
    pairs = teacher_turns(args.path)
    if not pairs:
        print(f"error: no labelled teacher turns in {args.path}", file=sys.stderr)
        return 2
    result = evaluate(pairs)
    print(format_report(result, args.path))
    for g, p, t in result["errors"][: args.errors]:
        print(f"  gold={g:<8} pred={p:<8} {t[:140]!r}")
    _write_json(args.json, {k: v for k, v in result.items() if k != "errors"})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
