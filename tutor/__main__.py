"""Chat with the tutor in a terminal, or replay a scripted dialogue, printing the decision trace.

python -m tutor example-math                         # interactive, no LLM (templates)
python -m tutor math-trail-mix --say "I got 5" --say "I'm stuck" --trace
python -m tutor code-sum-up-to --backend llama_cpp --model smollm2-135m --threads 1
"""

from __future__ import annotations

import argparse
import sys

from errors import InputError, RecoverableError
from inference import TEST_MODEL, get_backend
from knowledge.bank import starter_ids, starter_problem
from knowledge.types import Problem
from settings import apply_offline_env, settings_from_env
from tutor.examples import example_code, example_math
from tutor.planner import POLICIES
from tutor.session import TutorSession
from tutor.types import TutorSettings
from vocabulary import DEFAULT_POLICY

EXAMPLES = {"example-math": example_math, "example-code": example_code}


def load_problem(problem_id: str) -> Problem:
    """An example or a starter problem by id; an unknown id is an InputError that names some valid ones."""
    if problem_id in EXAMPLES:
        return EXAMPLES[problem_id]()
    try:
        return starter_problem(problem_id)
    except KeyError:
        ids = starter_ids()
        raise InputError(
            f"Unknown problem {problem_id!r}. Use {', '.join(EXAMPLES)} or one of the {len(ids)} "
            f"starter problems, e.g. {', '.join(ids[:3])}.",
            f"unknown problem id {problem_id!r}",
        ) from None


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    parser = argparse.ArgumentParser(prog="python -m tutor", description="Chat with the Socratic tutor.")
    parser.add_argument("problem", help="a starter problem id (e.g. math-trail-mix) or example-math / example-code")
    parser.add_argument("--policy", default=DEFAULT_POLICY, choices=list(POLICIES))
    parser.add_argument("--backend", default="none", help="inference backend name (default: none = templates)")
    parser.add_argument("--model", default=TEST_MODEL)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-turns", type=int, default=12)
    parser.add_argument("--say", action="append", default=[], help="a scripted student message (repeatable)")
    parser.add_argument("--trace", action="store_true", help="print each turn's decision trace")
    args = parser.parse_args(argv)

    try:
        problem = load_problem(args.problem)
        in_process = args.backend in ("llama_cpp", "transformers")
        kwargs = (
            {"model": args.model, "threads": args.threads, "cache_dir": settings_from_env().model_cache_dir}
            if in_process
            else {}
        )
        backend = get_backend(args.backend, **kwargs)
        session = TutorSession.start(problem, TutorSettings(policy=args.policy, max_turns=args.max_turns), backend)
    except RecoverableError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2
    print(f"[{problem.id}] {problem.statement}\n")
    if problem.domain == "code":
        print(problem.buggy_code)
    print(f"tutor> {session.opening}")
    messages = iter(args.say) if args.say else (line.rstrip("\n") for line in sys.stdin)
    for message in messages:
        if session.done:
            break
        if args.say:
            print(f"student> {message}")
        try:
            print("tutor> ", end="", flush=True)
            for delta in session.reply(message):
                print(delta, end="", flush=True)
            print()
        except RecoverableError as exc:
            print(f"({exc.user_message})")
            continue
        trace = session.last
        if args.trace and trace is not None:
            guard = "LEAK " + "; ".join(trace.guard.reasons) if trace.guard.leaks else "ok"
            print(
                f"   [turn {trace.turn}] intent={trace.intent} outcome={trace.outcome} plan={trace.plan_kind} "
                f"node={trace.node_id} move={trace.move} depth={trace.depth} guard={guard} ({trace.guard.action})\n"
                f"   reason: {trace.reason}"
            )
    print(f"\ndone={session.done} solved={session.solved} turns={len(session.trace)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
