"""`python -m evals run CONFIG.yaml [flags]` | `score RUN_DIR` | `report RUN_DIR` | `compare RUN_A RUN_B` |
`replay SOURCE [--limit N] [--json OUT] [--labels PATH ...] [--part fit|validate|all]` |
`fidelity SOURCE [--limit N] [--json OUT] [--part fit|validate|all] [--seeds N] [--hand-set] [--fit]` (teacher
forcing, see evals.fidelity).

`run` is generate (resumable: finished dialogues in RUN_DIR/records.jsonl are skipped) then score then report;
`--generate-only` stops after the dialogues. `score` and `report` work from the saved records alone.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from errors import InputError, RecoverableError, exit_code
from evals import fidelity
from evals.api import run_config
from evals.calibrate import fit_and_write
from evals.config import add_run_arguments, config_from_args
from evals.replay import run as replay_run
from evals.replay import summary, write_atomic
from evals.report import build_report, compare
from evals.score import score_run
from evals.validity import panel_lines
from settings import apply_offline_env, settings_from_env


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    parser = argparse.ArgumentParser(prog="python -m evals", description="Batch evaluation of tutor policies.")
    sub = parser.add_subparsers(dest="cmd", required=True)
    run = sub.add_parser("run", help="generate dialogues, score them, write the report")
    run.add_argument("config", nargs="?", help="run config YAML (optional: flags alone work too)")
    run.add_argument("--generate-only", action="store_true")
    run.add_argument("--no-progress", action="store_true")
    add_run_arguments(run)
    for name in ("score", "report"):
        p = sub.add_parser(name, help=f"{name} a run folder from its saved records")
        p.add_argument("run_dir")
    cmp_ = sub.add_parser("compare", help="metric table of two scored runs with deltas and CI overlap")
    cmp_.add_argument("run_a")
    cmp_.add_argument("run_b")
    rep = sub.add_parser("replay", help="real student turns through the tutor; verdicts against reference labels")
    rep.add_argument("source", help="mathdial:PATH or sdb:DIR")
    rep.add_argument("--limit", type=int, default=None, help="at most N dialogues")
    rep.add_argument("--json", dest="json_out", default=None, help="write {turns, metrics} to this file")
    rep.add_argument(
        "--labels",
        action="append",
        default=None,
        help="hand labels JSONL, repeatable (default: every evals/labels/replay_hand*.jsonl but the re-label)",
    )
    rep.add_argument("--part", choices=["fit", "validate", "all"], default="all")
    fid = sub.add_parser("fidelity", help="real teacher turns to simulated students; real vs simulated success@k")
    fid.add_argument("source", help="mathdial:PATH or sdb:DIR")
    fid.add_argument("--limit", type=int, default=None, help="at most N dialogues")
    fid.add_argument("--json", dest="json_out", default=None, help="write {metrics, rows} to this file")
    fid.add_argument("--part", choices=["fit", "validate", "all"], default="validate")
    fid.add_argument("--seed", type=int, default=0)
    fid.add_argument("--seeds", type=int, default=1, help="report the mean and range over N seeds (from --seed)")
    fid.add_argument("--lexical", action="store_true", help="map tutor messages to nodes by word overlap")
    fid.add_argument("--hand-set", action="store_true", help="simulate with the hand-set rules, not the fitted file")
    fid.add_argument(
        "--fit",
        action="store_true",
        help="refit simulator/transitions.json on the fit half (mathdial only), then report",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.cmd == "run":
            config = config_from_args(args)
            run_dir = run_config(
                config, progress=not args.no_progress, generate_only=args.generate_only, settings=settings_from_env()
            )
            print(f"run folder: {run_dir}")
            if not args.generate_only:
                _print_summary(run_dir)
        elif args.cmd == "score":
            score_run(args.run_dir)
            _print_summary(args.run_dir)
        elif args.cmd == "report":
            print(build_report(args.run_dir))
        elif args.cmd == "replay":
            if args.limit is not None and args.limit < 1:
                raise InputError("--limit must be at least 1")
            result = replay_run(args.source, limit=args.limit, part=args.part, labels=args.labels)
            if args.json_out:
                print(f"wrote {write_atomic(args.json_out, result)}")
            print(summary(result["metrics"]))
        elif args.cmd == "fidelity":
            _fidelity(args)
        else:
            print(compare(args.run_a, args.run_b))
    except RecoverableError as exc:
        logging.getLogger("evals").debug(exc.log_message)
        return exit_code(exc)
    return 0


def _fidelity(args) -> None:
    if args.limit is not None and args.limit < 1:
        raise InputError("--limit must be at least 1")
    if args.fit:
        print(f"wrote {fit_and_write(args.source, limit=args.limit, use_embeddings=not args.lexical)}")
    result = fidelity.run(
        args.source,
        part=args.part,
        limit=args.limit,
        seed=args.seed,
        seeds=args.seeds,
        use_embeddings=not args.lexical,
        fitted=not args.hand_set,
    )
    if args.json_out:
        print(f"wrote {write_atomic(args.json_out, result)}")
    print(fidelity.summary(result))


def _print_summary(run_dir) -> None:
    data = json.loads((Path(run_dir) / "metrics.json").read_text(encoding="utf-8"))
    keep = (
        "success@",
        "telling@",
        "leak",
        "turns_to_success",
        "diagnosis_accuracy",
        "mastery_brier",
        "pre",
        "post",
        "gain",
    )
    print(f"{data['n_dialogues']} dialogues")
    for r in data["metrics"]:
        if r["metric"].startswith(keep) and r["mean"] is not None:
            print(f"  {r['group']:<8} {r['metric']:<20} {r['mean']:.3f} [{r['lo']:.3f}, {r['hi']:.3f}] n={r['n']}")
    if "validity" in data:
        print("validity panel:")
        for line in panel_lines(data["validity"]):
            print(f"  {line}")


if __name__ == "__main__":
    sys.exit(main())
