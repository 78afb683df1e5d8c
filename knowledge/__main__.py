"""`python -m knowledge import mathdial PATH | import sdb DIR | import file FILE | list | show ID | search TEXT |
validate FILE | diagnose ID "student text" | tree ID [--out FILE] [--llm] | set-tree FILE | seed | export FILE`.

The store lives under the app's data dir (`--data-dir`, env TUTOR_DATA_DIR). Imports show a progress bar and are
all-or-nothing per file; `--dry-run` parses and reports without writing.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from errors import RecoverableError
from inference import backend_from_settings
from knowledge.importers import ImportReport, import_mathdial, import_sdb
from knowledge.io import load_any_problems, load_trees, save_problems, save_trees, validate_file
from knowledge.rephrase import rephrase_tree
from knowledge.store import KnowledgeStore, seed_starter
from knowledge.trees import tree_for
from knowledge.types import Problem
from settings import add_settings_arguments, apply_offline_env, settings_from_args


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m knowledge", description="Knowledge base: problems, malgorithms, trees."
    )
    add_settings_arguments(parser)
    sub = parser.add_subparsers(dest="command", required=True)
    imp = sub.add_parser("import", help="import third-party data (read by path, never copied)")
    imp.add_argument(
        "kind", choices=["mathdial", "sdb", "file"], help="mathdial JSONL, SDB directory, or a problems file"
    )
    imp.add_argument("path")
    imp.add_argument("--dry-run", action="store_true", help="parse and report; write nothing")
    imp.add_argument("--no-verify", action="store_true", help="sdb: do not run the unit tests")
    lst = sub.add_parser("list", help="list stored problems")
    lst.add_argument("--domain", choices=["math", "code"])
    lst.add_argument("--skill")
    lst.add_argument("--source")
    show = sub.add_parser("show", help="print one problem as JSON")
    show.add_argument("id")
    tree = sub.add_parser("tree", help="print a problem's question tree")
    tree.add_argument("id")
    tree.add_argument(
        "--llm", action="store_true", help="re-phrase the questions with the configured backend (offline)"
    )
    tree.add_argument("--out", help="write the tree to this JSON/YAML file (to edit, then `set-tree`)")
    set_tree = sub.add_parser("set-tree", help="attach edited trees from a JSON/YAML file to their stored problems")
    set_tree.add_argument("file")
    search = sub.add_parser("search", help="problems nearest in meaning to TEXT")
    search.add_argument("text")
    search.add_argument("-k", type=int, default=5)
    search.add_argument("--domain", choices=["math", "code"])
    val = sub.add_parser("validate", help="validate a problems (or trees) JSON/YAML file")
    val.add_argument("file")
    diag = sub.add_parser("diagnose", help="rank the malgorithms behind a student's answer")
    diag.add_argument("id")
    diag.add_argument("text")
    diag.add_argument("--value", type=float, default=None)
    sub.add_parser("seed", help="seed the starter bank into an empty store")
    exp = sub.add_parser("export", help="write stored problems to a JSON/YAML file")
    exp.add_argument("file")
    exp.add_argument("--domain", choices=["math", "code"])
    return parser


def _progress(total: int, desc: str) -> Any:
    return tqdm(total=total, desc=desc, unit="rec", file=sys.stderr, disable=None)


def _count_records(kind: str, path: str) -> int:
    p = Path(path)
    if kind == "sdb":
        return len(list(p.glob("*.txt"))) if p.is_dir() else 0
    try:
        return sum(1 for line in p.read_text(encoding="utf-8").splitlines() if line.strip())
    except OSError:
        return 0


def _import(args: argparse.Namespace, store_factory: Any) -> int:
    if args.kind == "file":
        problems = load_any_problems(args.path)
        report = ImportReport(
            source="file", path=args.path, records=len(problems), imported=len(problems), problems=problems
        )
    else:
        bar = _progress(_count_records(args.kind, args.path), f"parse {args.kind}")
        with bar:
            if args.kind == "mathdial":
                report = import_mathdial(args.path, progress=bar.update)
            else:
                report = import_sdb(args.path, progress=bar.update, verify=not args.no_verify)
    print(report.summary())
    if not report.problems:
        print("nothing imported", file=sys.stderr)
        return 1
    if args.dry_run:
        print("dry run: nothing written")
        return 0
    store = store_factory()
    bar = _progress(len(report.problems), "write store")
    with bar:
        for i in range(0, len(report.problems), 20):
            chunk = report.problems[i : i + 20]
            store.upsert(chunk)
            bar.update(len(chunk))
    print(f"stored {len(report.problems)} problems in {store.url or store.path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    args = _parser().parse_args(argv)
    settings = settings_from_args(args)

    def store_factory() -> Any:
        return KnowledgeStore(settings.chroma_dir, url=settings.chroma_url)

    try:
        return _run(args, store_factory)
    except RecoverableError as exc:
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace, store_factory: Any) -> int:
    if args.command == "validate":
        kind, count = validate_file(args.file)
        print(f"{args.file}: {count} valid {kind}")
        return 0
    if args.command == "import":
        return _import(args, store_factory)
    store = store_factory()
    if args.command == "seed":
        print(f"seeded {seed_starter(store)} starter problems")
        return 0
    if args.command == "list":
        problems = store.list(domain=args.domain, skill=args.skill, source=args.source)
        for p in problems:
            print(f"{p.id:40} {p.domain:5} {p.difficulty:6} {len(p.malgorithms):3} malg  {p.title}")
        print(f"{len(problems)} problems")
        return 0
    if args.command in ("show", "tree", "diagnose"):
        problem = _stored(store, args.id, "(try `python -m knowledge list`)")
        if problem is None:
            return 1
        if args.command == "show":
            print(problem.model_dump_json(indent=2))
        elif args.command == "tree":
            tree = tree_for(problem)
            if args.llm:
                tree = _rephrase(tree, problem, args)
            if args.out:
                save_trees([tree], args.out)
                print(f"wrote the tree of {problem.id} to {args.out}")
            else:
                print(tree.model_dump_json(indent=2))
        else:
            for d in store.diagnose(problem, args.text, args.value):
                print(json.dumps(d.model_dump()))
        return 0
    if args.command == "set-tree":
        updated = []
        for tree in load_trees(args.file):
            problem = _stored(store, tree.problem_id, f"in {args.file}; nothing written")
            if problem is None:
                return 1
            if tree.source == "derived":
                tree = tree.model_copy(update={"source": "teacher"})
            updated.append(problem.model_copy(update={"tree": tree}))
        store.upsert([type(p).model_validate(p.model_dump()) for p in updated])  # re-validated before writing
        print(f"updated the trees of {len(updated)} problems")
        return 0
    if args.command == "search":
        for p in store.search(args.text, k=args.k, domain=args.domain):
            print(f"{p.id:40} {p.title}")
        return 0
    if args.command == "export":
        problems = store.list(domain=args.domain)
        save_problems(problems, args.file)
        print(f"wrote {len(problems)} problems to {args.file}")
        return 0
    raise AssertionError(args.command)


def _stored(store: KnowledgeStore, problem_id: str, note: str) -> Problem | None:
    """The stored problem, or None after saying on stderr that there is none."""
    try:
        return store.get(problem_id)
    except KeyError:
        print(f"error: no problem with id {problem_id!r} {note}", file=sys.stderr)
        return None


def _rephrase(tree: Any, problem: Any, args: argparse.Namespace) -> Any:
    backend = backend_from_settings(settings_from_args(args))
    if not backend.available:
        print("no model backend available; printing the template questions", file=sys.stderr)
        return tree
    return rephrase_tree(tree, problem, backend)


if __name__ == "__main__":
    sys.exit(main())
