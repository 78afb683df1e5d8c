"""Where the tests find the research data: ../shared/data beside the checkout (never copied into the repo).

A test that needs a data set is marked with its `needs_...` marker, so a checkout without the data skips it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
MATHDIAL = DATA / "mathdial" / "dev.jsonl"
SDB = DATA / "socratic-debugging"
MRBENCH = DATA / "mrbench" / "dev.json"

needs_mathdial = pytest.mark.skipif(not MATHDIAL.is_file(), reason=f"shared data not found: {MATHDIAL}")
needs_sdb = pytest.mark.skipif(not SDB.is_dir(), reason=f"shared data not found: {SDB}")
