"""`python -m inference models list | install NAME | path NAME` (see inference/cli.py)."""

from inference.cli import main

raise SystemExit(main())
