"""`python -m store create-teacher | create-class | create-student | export`."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

from store import connect
from store.__main__ import main

REPO = Path(__file__).resolve().parents[1]


def test_cli_accounts_classes_and_export(tmp_path, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    base = ["--database-url", url]
    assert main([*base, "create-teacher", "ms_t", "--password", "teacherpw1"]) == 0
    assert main([*base, "create-class", "Period 2", "--teacher", "ms_t", "--policy", "telling"]) == 0
    code = capsys.readouterr().out.strip().split("join code: ")[-1]
    assert main([*base, "create-student", "kid", "--password", "kidpass12", "--join-code", code]) == 0
    assert main([*base, "create-class", "X", "--teacher", "kid"]) == 2  # not a teacher
    assert main([*base, "create-teacher", "ms_t", "--password", "teacherpw1"]) == 1  # taken: clear error, no traceback
    assert "taken" in capsys.readouterr().err

    store = connect(url)
    kid = store.user_by_name("kid")
    klass = store.classes_of_student(kid.id)[0]
    assert klass.policy == "telling" and store.authenticate("ms_t", "teacherpw1").role == "teacher"
    sess = store.start_session(kid.id, {"id": "p1", "domain": "math"}, policy="telling", class_id=klass.id)
    store.add_turn(sess.id, "tutor", "What is 3 x 4?")
    store.add_turn(sess.id, "student", "12")
    store.close()

    capsys.readouterr()
    assert main([*base, "export", "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["text"] for r in rows] == ["What is 3 x 4?", "12"]
    out = tmp_path / "all.jsonl"
    assert main([*base, "export", "--format", "jsonl", "-o", str(out)]) == 0
    record = json.loads(out.read_text().splitlines()[0])
    assert record["problem_id"] == "p1" and [t["text"] for t in record["turns"]] == ["What is 3 x 4?", "12"]


def test_cli_runs_as_module(tmp_path):
    url = f"sqlite:///{tmp_path / 'm.db'}"
    r = subprocess.run(
        [sys.executable, "-m", "store", "--database-url", url, "create-teacher", "t1", "--password", "t1-pass-word"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert "created teacher t1" in r.stdout
