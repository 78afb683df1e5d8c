"""Hand labels of real student turns: the held-out reference of `python -m evals replay`.

    python -m evals.hand_labels check [LABELS] [--data DIR]     # validate against the data, print counts
    python -m evals.hand_labels check evals/labels/replay_hand_fit.jsonl --part fit   # the fit half's labels
    python -m evals.hand_labels check RELABEL --relabel [KEYS]  # a re-label file: exactly the relabel keys
    python -m evals.hand_labels agree A B                       # raw agreement and Cohen's kappa

`evals/labels/replay_hand.jsonl` holds one label per student turn, keyed by `dialogue_id` and `turn` (the 1-based
`student_turn` of `knowledge.dialogues`), with a reason code from `evals/labels/GUIDE.md` and never any text
of the data. The turns are whole `validate` dialogues of MathDial dev and the SDB folder, taken in order of the
SHA-256 of their id until each source has its quota (`reference_sample`). `replay_hand_fit.jsonl` is the same for
the `fit` half of MathDial dev (FIT_QUOTAS): the labels to design the judging on, never the validate ones.
`relabel_keys.json` names the 50 turns (first by SHA-256 of "dialogue_id:turn") for the self-consistency re-label.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic import ValidationError as PydanticError

from errors import RecoverableError, ValidationError, exit_code
from knowledge.dialogues import read_source
from knowledge.io import read_jsonl
from vocabulary import HandLabelValue

LABELS_DIR = Path(__file__).resolve().parent / "labels"
DEFAULT_PATH = LABELS_DIR / "replay_hand.jsonl"
FIT_PATH = LABELS_DIR / "replay_hand_fit.jsonl"  # the `fit` half's labels: to design on (MathDial only)
RELABEL_PATH = LABELS_DIR / "relabel_keys.json"
QUOTAS = {"mathdial": 150, "sdb": 145}  # minimum student turns per source
FIT_QUOTAS = {"mathdial": 160}  # the fit sample: minimum student turns per source (sources not named: none)
RELABEL_N = 50
RELABEL_FROM = 235  # the re-label was drawn from the first 235 lines (the file before the SDB quota rose to 145)

REASONS: dict[str, tuple[str, ...]] = {
    "right": (
        "correct_final",
        "correct_intermediate",
        "correct_method",
        "true_statement",
        "correct_calc",
        "true_behaviour_claim",
        "right_line",
        "correct_fix",
        "code_passes",
        "true_concept",
    ),
    "partly": ("right_intermediate_wrong_final", "mixed_claims", "mixed_method", "partial_fix"),
    "wrong": (
        "wrong_final",
        "wrong_value",
        "wrong_calc",
        "wrong_method",
        "false_statement",
        "false_behaviour_claim",
        "wrong_line",
        "wrong_fix",
        "code_fails",
        "false_concept",
    ),
    "none": (
        "question",
        "stuck",
        "greeting",
        "thanks",
        "apology",
        "restated_given",
        "bare_answer",
        "acknowledgement",
        "intention",
        "off_topic",
    ),
    "unclear": ("unclear",),
}


class HandLabel(BaseModel):
    """One labelled student turn; extra fields are refused so no text can ride along."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    dialogue_id: str = Field(min_length=1, max_length=120, pattern=r"^[A-Za-z0-9_.:-]+$")
    turn: int = Field(ge=1, le=200)
    label: HandLabelValue
    reason: str

    @model_validator(mode="after")
    def _reason_fits_label(self) -> HandLabel:
        if self.reason not in REASONS[self.label]:
            raise ValueError(
                f"reason {self.reason!r} is not one of the {self.label!r} reasons ({', '.join(REASONS[self.label])})"
            )
        return self

    @property
    def key(self) -> tuple[str, int]:
        return self.dialogue_id, self.turn


def load(path: str | Path = DEFAULT_PATH) -> list[HandLabel]:
    """Read a label file; a malformed or duplicated line raises ValidationError naming `path:line`."""
    out: list[HandLabel] = []
    seen: dict[tuple[str, int], str] = {}
    for where, row in read_jsonl(path, kind="hand-label file", item="label"):
        try:
            item = HandLabel.model_validate(row)
        except PydanticError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first["loc"]) or "record"
            raise ValidationError(f"{where}: {field}: {first['msg']}") from exc
        if item.key in seen:
            raise ValidationError(
                f"{where}: {item.dialogue_id} turn {item.turn} is already labelled on line {seen[item.key]}"
            )
        seen[item.key] = where.rsplit(":", 1)[1]
        out.append(item)
    return out


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def reference_sample(dialogues: Iterable, min_turns: int, part: str = "validate") -> list:
    """Whole dialogues of `part` (validate by default) in order of sha256(id) until they hold at least `min_turns`
    student turns."""
    chosen, n = [], 0
    for d in sorted((d for d in dialogues if d.part == part), key=lambda d: _sha(d.id)):
        if n >= min_turns:
            break
        chosen.append(d)
        n += len(d.student_turns)
    return chosen


def relabel_selection(labels: Iterable[HandLabel], n: int = RELABEL_N) -> list[tuple[str, int]]:
    """The re-label subset: the first `n` keys by sha256("dialogue_id:turn")."""
    return sorted((x.key for x in labels), key=lambda k: _sha(f"{k[0]}:{k[1]}"))[:n]


def read_relabel_keys(path: str | Path = RELABEL_PATH) -> list[tuple[str, int]]:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return [(str(k["dialogue_id"]), int(k["turn"])) for k in data["keys"]]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValidationError(f"{path}: not a relabel key file ({exc})") from exc


class Agreement(BaseModel):
    n: int
    agree: int
    raw: float
    kappa: float
    only_in_a: int
    only_in_b: int
    confusion: dict[str, dict[str, int]]  # label in A -> label in B -> count


def agreement(a: list[HandLabel], b: list[HandLabel]) -> Agreement:
    """Raw agreement and Cohen's kappa over the keys both files label (`unclear` is a category of its own)."""
    la, lb = {x.key: x.label for x in a}, {x.key: x.label for x in b}
    common = sorted(set(la) & set(lb))
    if not common:
        raise ValidationError("The two label files share no (dialogue_id, turn) key")
    pairs = [(la[k], lb[k]) for k in common]
    n = len(pairs)
    agree = sum(x == y for x, y in pairs)
    ca, cb = Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    pe = sum(ca[c] * cb[c] for c in set(ca) | set(cb)) / (n * n)
    po = agree / n
    kappa = 1.0 if math.isclose(pe, 1.0) else (po - pe) / (1 - pe)
    confusion: dict[str, dict[str, int]] = {}
    for x, y in pairs:
        confusion.setdefault(x, {}).setdefault(y, 0)
        confusion[x][y] += 1
    return Agreement(
        n=n,
        agree=agree,
        raw=po,
        kappa=kappa,
        only_in_a=len(set(la) - set(lb)),
        only_in_b=len(set(lb) - set(la)),
        confusion=confusion,
    )


def check_against_data(
    labels: list[HandLabel],
    data_dir: str | Path,
    keys: Iterable[tuple[str, int]] | None = None,
    part: Literal["validate", "fit"] = "validate",
) -> dict[str, Counter]:
    """Every key names a real student turn; the labels cover exactly the deterministic reference sample of `part`
    (QUOTAS for validate, FIT_QUOTAS for fit), or the given `keys` (a re-label subset, `read_relabel_keys`).
    Returns label counts per source."""
    data_dir = Path(data_dir)
    sources = {
        "mathdial": read_source(f"mathdial:{data_dir / 'mathdial' / 'dev.jsonl'}"),
        "sdb": read_source(f"sdb:{data_dir / 'socratic-debugging'}"),
    }
    turns = {(d.id, t.student_turn): src for src, ds in sources.items() for d in ds for t in d.student_turns}
    for x in labels:
        if x.key not in turns:
            raise ValidationError(f"{x.dialogue_id} turn {x.turn} is not a student turn of the data in {data_dir}")
    if keys is None:
        quotas = QUOTAS if part == "validate" else FIT_QUOTAS
        want, what = (
            {
                (d.id, t.student_turn)
                for src, ds in sources.items()
                if src in quotas
                for d in reference_sample(ds, quotas[src], part)
                for t in d.student_turns
            },
            "the reference sample" if part == "validate" else "the fit reference sample",
        )
    else:
        want, what = set(keys), "the re-label keys"
    have = {x.key for x in labels}
    if have != want:
        missing, extra = sorted(want - have), sorted(have - want)
        raise ValidationError(
            f"The labels do not cover {what}: {len(missing)} missing "
            f"(first {missing[:3]}), {len(extra)} outside it (first {extra[:3]})"
        )
    counts: dict[str, Counter] = {src: Counter() for src in sources}
    for x in labels:
        counts[turns[x.key]][x.label] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.hand_labels", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    chk = sub.add_parser("check", help="validate a label file against the data and print counts")
    chk.add_argument("labels", nargs="?", default=str(DEFAULT_PATH))
    chk.add_argument("--data", default="../shared/data")
    chk.add_argument(
        "--part", choices=["validate", "fit"], default="validate", help="the sample the file covers (fit: FIT_PATH's)"
    )
    chk.add_argument(
        "--relabel",
        nargs="?",
        const=str(RELABEL_PATH),
        metavar="KEYS",
        help="the file is a re-label: it must cover exactly these keys (default relabel_keys.json)",
    )
    agr = sub.add_parser("agree", help="agreement (raw, Cohen's kappa) between two label files")
    agr.add_argument("a")
    agr.add_argument("b")
    args = parser.parse_args(argv)
    try:
        if args.cmd == "check":
            keys = read_relabel_keys(args.relabel) if args.relabel else None
            counts = check_against_data(load(args.labels), args.data, keys, args.part)
            for src, c in counts.items():
                print(f"{src:<9} {sum(c.values()):>4} turns  " + "  ".join(f"{k} {c[k]}" for k in REASONS))
        else:
            res = agreement(load(args.a), load(args.b))
            print(
                f"{res.n} turns in both: agreement {res.raw:.3f} ({res.agree}/{res.n}), Cohen's kappa {res.kappa:.3f}"
                f"; only in A {res.only_in_a}, only in B {res.only_in_b}"
            )
            cats = [c for c in REASONS if c in res.confusion or any(c in r for r in res.confusion.values())]
            print("A \\ B    " + "".join(f"{c:>9}" for c in cats))
            for x in cats:
                print(f"{x:<9}" + "".join(f"{res.confusion.get(x, {}).get(y, 0):>9}" for y in cats))
    except RecoverableError as exc:
        return exit_code(exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
