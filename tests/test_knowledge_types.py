"""Every knowledge type round-trips through JSON and YAML; file validation errors name file, record and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

import knowledge.types as types
from errors import ValidationError
from knowledge.io import load_problems, load_trees, save_problems, save_trees, validate_file
from knowledge.trees import derive_tree
from knowledge.types import Check, Diagnosis, NodeHit, Problem, Questions
from tests.problems import problem


def math_problem() -> Problem:
    p = problem("math-test-apples")
    p.tree = derive_tree(p)
    return p


def code_problem() -> Problem:
    p = problem("code-test-sum")
    p.tree = derive_tree(p)
    return p


def all_values():
    mp, cp = math_problem(), code_problem()
    return [
        mp.steps[0],
        cp.bugs[0].fixes[0],
        cp.bugs[0],
        mp.malgorithms[0],
        Check(kind="value", value=12.0),
        Questions(focus=["a?"], probing=["b?"], hint=["c"], bottom_out=["d"]),
        mp.tree.nodes[0],
        mp.tree,
        cp.tree,
        mp,
        cp,
        Diagnosis(malgorithm_id="x", label="y", confidence=0.5, reason="value"),
        NodeHit(
            problem_id="p",
            node_id="s0-value",
            kind="computational",
            domain="math",
            skills=["ratios"],
            document="the value of x",
            similarity=0.75,
        ),
    ]


@pytest.mark.parametrize("value", all_values(), ids=lambda v: type(v).__name__)
def test_json_and_yaml_round_trip(value):
    cls = type(value)
    assert cls.model_validate_json(value.model_dump_json()) == value
    via_yaml = yaml.safe_load(yaml.safe_dump(value.model_dump(mode="json")))
    assert cls.model_validate(via_yaml) == value


def test_every_type_is_covered():
    defined = {
        v
        for v in vars(types).values()
        if isinstance(v, type) and issubclass(v, BaseModel) and v.__module__ == types.__name__ and v.__name__[0] != "_"
    }
    assert len(defined) >= 11
    assert {type(v) for v in all_values()} >= defined


@pytest.mark.parametrize("suffix", [".json", ".yaml", ".jsonl"])
def test_save_and_load_files_round_trip(tmp_path, suffix):
    problems = [math_problem(), code_problem()]
    path = save_problems(problems, tmp_path / f"bank{suffix}")
    assert load_problems(path) == problems
    assert validate_file(path) == ("problems", 2)
    trees = [p.tree for p in problems]
    tpath = save_trees(trees, tmp_path / f"trees{suffix}")
    assert load_trees(tpath) == trees
    if suffix != ".jsonl":
        assert validate_file(tpath) == ("trees", 2)


def test_yaml_error_names_file_record_field_and_line(tmp_path):
    records = [math_problem().model_dump(mode="json"), math_problem().model_dump(mode="json")]
    records[1]["id"] = "math-second"
    for m in records[1]["malgorithms"]:
        m["problem_id"] = "math-second"
    records[1]["tree"] = None
    records[1]["steps"][1]["value"] = "ten"
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump({"problems": records}, sort_keys=False))
    with pytest.raises(ValidationError) as err:
        load_problems(path)
    msg = str(err.value)
    assert str(path) in msg
    assert "record 1 (id math-second)" in msg
    assert "field steps.1.value" in msg
    lines = path.read_text().splitlines()
    line_no = int(msg.split("(line ")[1].split(")")[0])
    assert "value: ten" in lines[line_no - 1]


def test_json_error_for_cross_field_rule(tmp_path):
    bad = math_problem().model_dump(mode="json")
    bad["malgorithms"][0]["step"] = 7
    path = tmp_path / "bad.json"
    path.write_text(json.dumps([bad]))
    with pytest.raises(ValidationError, match=r"bad.json: record 0 \(id math-test-apples\).*step 7 out of range"):
        load_problems(path)


def test_missing_field_and_duplicate_ids_and_syntax(tmp_path):
    rec = code_problem().model_dump(mode="json")
    del rec["entry_point"]
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"problems": [rec]}))
    with pytest.raises(ValidationError, match="needs entry_point"):
        load_problems(path)
    dup = tmp_path / "d.json"
    dup.write_text(json.dumps([math_problem().model_dump(mode="json")] * 2))
    with pytest.raises(ValidationError, match=r"record 1 \(id math-test-apples\): field id: duplicate of record 0"):
        load_problems(dup)
    broken = tmp_path / "e.yaml"
    broken.write_text("problems:\n  - id: [unclosed\n")
    with pytest.raises(ValidationError, match=r"e.yaml:\d+: invalid YAML"):
        load_problems(broken)
    extra = tmp_path / "f.json"
    rec = math_problem().model_dump(mode="json")
    rec["steps"][0]["colour"] = "red"
    extra.write_text(json.dumps(rec))
    with pytest.raises(ValidationError, match=r"field steps.0.colour: Extra inputs are not permitted"):
        load_problems(extra)
    with pytest.raises(ValidationError, match="unsupported file type"):
        load_problems(tmp_path / "x.txt")


def test_importing_knowledge_stays_light():
    import subprocess
    import sys

    code = (
        "import sys, knowledge, knowledge.store, knowledge.importers, knowledge.io, knowledge.embeddings, "
        "knowledge.trees;"
        "print(sorted(m for m in ('torch', 'chromadb', 'sentence_transformers', 'transformers') if m in sys.modules))"
    )
    root = Path(__file__).parents[1]
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120, check=True
    )
    assert out.stdout.strip() == "[]"


def test_lookups_by_id():
    p = math_problem()
    assert p.tree.node("s0-value").kind == "computational"
    assert p.malgorithm(p.malgorithms[-1].id) is p.malgorithms[-1]
    with pytest.raises(KeyError, match="s9-value"):
        p.tree.node("s9-value")
    with pytest.raises(KeyError, match="no-such"):
        p.malgorithm("no-such")
