"""`python -m knowledge` commands."""

from __future__ import annotations

import json

import pytest
import yaml

from knowledge.__main__ import main
from knowledge.bank import bank_files
from knowledge.io import save_problems
from tests.test_knowledge_diagnosis import problem as jacket
from tests.test_knowledge_importers import MATHDIAL, needs_mathdial
from tests.test_knowledge_types import code_problem, math_problem


def test_validate_reports_ok_and_errors(tmp_path, capsys):
    good = save_problems([math_problem(), code_problem()], tmp_path / "good.yaml")
    assert main(["validate", str(good)]) == 0
    assert "2 valid problems" in capsys.readouterr().out
    bad = tmp_path / "bad.json"
    rec = math_problem().model_dump(mode="json")
    rec["answer"] = None
    bad.write_text(json.dumps([rec]))
    assert main(["validate", str(bad)]) == 2
    err = capsys.readouterr().err
    assert "bad.json: record 0 (id math-test-apples)" in err and "final answer" in err


@needs_mathdial
def test_import_dry_run_writes_nothing(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "import", "mathdial", str(MATHDIAL), "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "402 records, 400 imported cleanly" in out and "dry run" in out
    assert not (tmp_path / "chroma").exists()


def test_import_file_then_list_show_search_diagnose(tmp_path, capsys):
    pytest.importorskip("sentence_transformers")
    src = save_problems([math_problem(), jacket()], tmp_path / "mine.json")
    data = ["--data-dir", str(tmp_path / "data")]
    assert main([*data, "import", "file", str(src)]) == 0
    assert "stored 2 problems" in capsys.readouterr().out
    assert main([*data, "list", "--domain", "math"]) == 0
    out = capsys.readouterr().out
    assert "math-test-apples" in out and "math-test-jacket" in out and "2 problems" in out
    assert main([*data, "show", "math-test-jacket"]) == 0
    assert json.loads(capsys.readouterr().out) == jacket().model_dump(mode="json")
    assert main([*data, "search", "apples in bags", "-k", "1"]) == 0
    assert capsys.readouterr().out.startswith("math-test-apples")
    assert main([*data, "diagnose", "math-test-jacket", "I think Sam pays $45"]) == 0
    first = json.loads(capsys.readouterr().out.splitlines()[0])
    assert first["malgorithm_id"] == "dollars" and first["reason"] == "value"
    assert main([*data, "show", "missing-id"]) == 1
    assert main([*data, "tree", "math-test-apples"]) == 0
    assert json.loads(capsys.readouterr().out)["nodes"][0]["id"] == "s0-concept"
    # a teacher edits the tree in a file and puts it back
    out = tmp_path / "tree.yaml"
    assert main([*data, "tree", "math-test-apples", "--out", str(out)]) == 0
    edited = yaml.safe_load(out.read_text())
    edited["trees"][0]["nodes"][0]["questions"]["focus"][0] = "Teacher says: one part at a time."
    out.write_text(yaml.safe_dump(edited))
    assert main([*data, "set-tree", str(out)]) == 0
    capsys.readouterr()
    assert main([*data, "show", "math-test-apples"]) == 0
    tree = json.loads(capsys.readouterr().out)["tree"]
    assert tree["source"] == "teacher" and tree["nodes"][0]["questions"]["focus"][0].startswith("Teacher says")
    bad = tmp_path / "bad_tree.yaml"
    edited["trees"][0]["problem_id"] = "math-unknown"
    bad.write_text(yaml.safe_dump(edited))
    assert main([*data, "set-tree", str(bad)]) == 1


def test_validate_accepts_starter_bank_files(capsys):
    files = bank_files()
    assert files
    for path in files:
        assert main(["validate", str(path)]) == 0
    assert "valid starter-bank problems" in capsys.readouterr().out
