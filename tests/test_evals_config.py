"""Run configs: YAML + CLI flags, unknown fields rejected, problem-set filters."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from errors import ConfigError
from evals.config import ProblemSet, RunConfig, add_run_arguments, config_from_args, load_config
from evals.problems import select
from tests.test_evals_helpers import code_problem, math_problem

CONFIGS = Path(__file__).parents[1] / "evals" / "configs"


def _args(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("config", nargs="?")
    add_run_arguments(p)
    return p.parse_args(list(argv))


@pytest.mark.parametrize("name", ["starter.yaml", "mathdial_structure.yaml", "mathdial_qwen.yaml"])
def test_shipped_configs_load(name):
    cfg = load_config(CONFIGS / name)
    assert cfg.policies and cfg.problems and cfg.max_turns >= 1


def test_unknown_fields_are_rejected(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("name: x\npolicy: tree\n")
    with pytest.raises(ConfigError, match="policy"):
        load_config(path)
    path.write_text("tutor: {backend: none, temperature: 2}\n")
    with pytest.raises(ConfigError):
        load_config(path)


def test_flags_override_yaml():
    cfg = config_from_args(
        _args(
            str(CONFIGS / "starter.yaml"),
            "--policies",
            "tree,telling",
            "--max-turns",
            "6",
            "--backend",
            "openai",
            "--base-url",
            "http://127.0.0.1:8080/v1",
            "--student-backend",
            "none",
            "--concurrency",
            "4",
            "--limit",
            "3",
            "--domain",
            "math",
            "--modes",
            "quiet,adversarial",
            "--seeds",
            "1,2",
            "--students",
            "2",
        )
    )
    assert cfg.policies == ["tree", "telling"] and cfg.max_turns == 6 and cfg.k == [4, 6]
    assert cfg.tutor.backend == "openai" and cfg.tutor.base_url.startswith("http://127.0.0.1")
    assert cfg.student.backend == "none" and cfg.concurrency == 4
    assert cfg.problems[0].limit == 3 and cfg.problems[0].domain == "math"
    assert [p.mode for p in cfg.personas] == ["quiet", "adversarial"]
    assert cfg.student_seeds() == [1000, 1001, 2000, 2001]


def test_flags_alone_and_problem_source():
    cfg = config_from_args(_args("--problems", "mathdial:/x/dev.jsonl", "--sample", "30", "--sample-seed", "7"))
    assert cfg.problems[0].kind == "mathdial" and cfg.problems[0].path == Path("/x/dev.jsonl")
    assert cfg.problems[0].sample == 30 and cfg.problems[0].sample_seed == 7
    with pytest.raises(ConfigError):
        config_from_args(_args("--policies", "lecture"))


def test_round_trip():
    cfg = load_config(CONFIGS / "starter.yaml")
    assert RunConfig.model_validate_json(cfg.model_dump_json()) == cfg


def test_select_filters():
    problems = [math_problem(), code_problem()] + [
        math_problem().model_copy(update={"id": f"t-apples-{i}"}) for i in range(8)
    ]
    assert [p.id for p in select(problems, ProblemSet(domain="code"))] == ["t-double"]
    assert len(select(problems, ProblemSet(limit=3))) == 3
    a = select(problems, ProblemSet(sample=4, sample_seed=1))
    assert a == select(problems, ProblemSet(sample=4, sample_seed=1)) and len(a) == 4
    assert [p.id for p in a] != [p.id for p in select(problems, ProblemSet(sample=4, sample_seed=2))]
    assert [p.id for p in select(problems, ProblemSet(ids=["t-double"]))] == ["t-double"]
    with pytest.raises(ConfigError):
        select(problems, ProblemSet(ids=["nope"]))


def test_bare_yaml_null_in_policies_is_the_null_policy(tmp_path):
    path = tmp_path / "run.yaml"
    path.write_text("name: t\nproblems:\n  - source: starter\npolicies: [tree, null]\n")
    assert load_config(path).policies == ["tree", "null"]
