"""`python -m evals.bench inference|knowledge|evals|phrasing|app|serve [args]`: dispatch to each package's benchmark.

The one dispatch by name in `evals`: a benchmark's module is imported only when chosen, so `evals.bench knowledge`
does not load the app (gradio) or a model runtime that another benchmark needs.
"""

from __future__ import annotations

import importlib
import sys

TARGETS = {
    "inference": "inference.bench",
    "knowledge": "knowledge.bench",
    "evals": "evals.bench_evals",
    "phrasing": "evals.bench_phrasing",
    "app": "evals.bench_app",
    "serve": "evals.bench_serve",
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help") or argv[0] not in TARGETS:
        print(f"usage: python -m evals.bench {{{'|'.join(TARGETS)}}} [args]  (each takes --help)", file=sys.stderr)
        if argv and argv[0] not in ("-h", "--help"):
            print(f"error: unknown benchmark '{argv[0]}'. Valid: {', '.join(TARGETS)}.", file=sys.stderr)
            return 2
        return 0 if argv else 2
    module = importlib.import_module(TARGETS[argv[0]])
    return int(module.main(argv[1:]) or 0)


if __name__ == "__main__":
    sys.exit(main())
