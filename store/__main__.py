"""`python -m store create-teacher | create-class | export --format csv|jsonl` (database from settings)."""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from errors import RecoverableError
from settings import add_settings_arguments, settings_from_args
from store.export import export_sessions
from store.store import connect
from store.types import SessionFilter
from vocabulary import CLASS_POLICY_NAMES, DEFAULT_POLICY


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m store", description=__doc__)
    add_settings_arguments(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    t = sub.add_parser("create-teacher", help="create a teacher account")
    t.add_argument("username")
    t.add_argument("--password", help="default: prompt for it")
    t.add_argument("--name", default="")
    s = sub.add_parser("create-student", help="create a student account (optionally in a class)")
    s.add_argument("username")
    s.add_argument("--password")
    s.add_argument("--name", default="")
    s.add_argument("--join-code", default="")
    c = sub.add_parser("create-class", help="create a class owned by a teacher; prints its join code")
    c.add_argument("name")
    c.add_argument("--teacher", required=True, help="the teacher's username")
    c.add_argument("--policy", default=DEFAULT_POLICY, choices=list(CLASS_POLICY_NAMES))
    c.add_argument("--class-model", default="", help="model for this class (default: the app's)")
    c.add_argument("--allow-final-bottom-out", action="store_true")
    e = sub.add_parser("export", help="export sessions with turns and annotations")
    e.add_argument("--format", choices=["csv", "jsonl"], default="csv")
    e.add_argument("--output", "-o", default="-", help="file path, or - for stdout")
    e.add_argument("--class-id", type=int)
    e.add_argument("--problem-id")
    args = parser.parse_args(argv)
    settings = settings_from_args(args)
    try:
        store = connect(settings.db_url)
        if args.command in ("create-teacher", "create-student"):
            password = args.password or getpass.getpass(f"Password for {args.username}: ")
            role = "teacher" if args.command == "create-teacher" else "student"
            user = store.create_user(args.username, password, role, args.name)
            if role == "student" and args.join_code:
                store.join_class(user.id, args.join_code)
            print(f"created {role} {user.username} (id {user.id})")
        elif args.command == "create-class":
            teacher = store.user_by_name(args.teacher)
            if teacher is None or teacher.role != "teacher":
                print(f"error: no teacher named {args.teacher!r}", file=sys.stderr)
                return 2
            klass = store.create_class(
                teacher.id,
                args.name,
                model=args.class_model,
                policy=args.policy,
                allow_final_bottom_out=args.allow_final_bottom_out,
            )
            print(f"created class {klass.name!r} (id {klass.id}); join code: {klass.join_code}")
        elif args.command == "export":
            sessions = store.list_sessions(
                SessionFilter(class_id=args.class_id, problem_id=args.problem_id), limit=100000
            )
            text = export_sessions(store, sessions, args.format)
            if args.output == "-":
                sys.stdout.write(text)
            else:
                Path(args.output).write_text(text, encoding="utf-8")
                print(f"wrote {len(sessions)} sessions to {args.output}", file=sys.stderr)
    except RecoverableError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
