"""Chat with the tutor in a terminal, or replay a scripted dialogue, printing the decision trace.

    python -m tutor example-math                         # interactive, no LLM (templates)
    python -m tutor math-trail-mix --say "I got 5" --say "I'm stuck" --trace
    python -m tutor code-sum-up-to --backend llama_cpp --model smollm2-135m --threads 1
"""

from __future__ import annotations

import argparse
import sys

from errors import RecoverableError
from settings import apply_offline_env, settings_from_env


def load_problem(problem_id: str):
    from tutor.examples import example_code, example_math

    if problem_id in ("example-math", "example-code"):
        return example_math() if problem_id == "example-math" else example_code()
    from knowledge.bank import starter_problem

    return starter_problem(problem_id)


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    parser = argparse.ArgumentParser(prog="python -m tutor", description="Chat with the Socratic tutor.")
    parser.add_argument("problem", help="a starter problem id (e.g. math-trail-mix) or example-math / example-code")
    parser.add_argument("--policy", default="tree", choices=["tree", "vanilla", "telling"])
    parser.add_argument("--backend", default="none", help="inference backend name (default: none = templates)")
    parser.add_argument("--model", default="smollm2-135m")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--max-turns", type=int, default=12)
    parser.add_argument("--say", action="append", default=[], help="a scripted student message (repeatable)")
    parser.add_argument("--trace", action="store_true", help="print each turn's decision trace")
    args = parser.parse_args(argv)

    from inference import get_backend
    from tutor import TutorSession, TutorSettings

    try:
        problem = load_problem(args.problem)
        in_process = args.backend in ("llama_cpp", "transformers")
        kwargs = {"model": args.model, "threads": args.threads, "cache_dir": settings_from_env().model_cache_dir} if in_process else {}
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
        t = session.last
        if args.trace and t is not None:
            print(f"   [turn {t.turn}] intent={t.intent} outcome={t.outcome} plan={t.plan_kind} node={t.node_id} "
                  f"move={t.move} depth={t.depth} guard={'LEAK ' + '; '.join(t.guard.reasons) if t.guard.leaks else 'ok'}"
                  f" ({t.guard.action})\n   reason: {t.reason}")
    print(f"\ndone={session.done} solved={session.solved} turns={len(session.trace)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
