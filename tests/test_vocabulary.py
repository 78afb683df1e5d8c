"""The fixed sets have one home (`vocabulary`): every layer accepts exactly its names, and no module spells a set
again. The sets here are derived from the vocabulary, never restated."""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

import vocabulary
from evals.config import PersonaSpec, RunConfig
from inference import DEFAULT_MODEL, MODELS, TEST_MODEL
from settings import Settings
from simulator import MOVES as SIMULATOR_MOVES
from simulator import PERSONA_MODES as SIMULATOR_MODES
from store import ClassRoom, SessionFilter, connect
from store.__main__ import main as store_main
from tutor import POLICIES as TUTOR_POLICIES
from tutor import TutorSettings
from ui import choices
from ui.labs import LAB_MODES
from vocabulary import (
    CLASS_POLICY_NAMES,
    DEFAULT_POLICY,
    GUIDING_MOVES,
    HAND_LABEL_VALUES,
    JUDGEMENTS,
    MOVES,
    PERSONA_MODES,
    POLICY_NAMES,
    REFERENCES,
    SESSION_OUTCOMES,
    or_list,
)

ROOT = Path(__file__).resolve().parent.parent
NOT_A_NAME = "lecture"


def _accepts(validate, names) -> tuple[str, ...]:
    """The names (of `names` plus one that is in no set) that `validate` lets through."""
    accepted = []
    for name in (*names, NOT_A_NAME):
        try:
            validate(name)
        except (ValidationError, SystemExit, ValueError):
            continue
        accepted.append(name)
    return tuple(accepted)


def test_subsets_are_parts_of_their_whole():
    assert set(CLASS_POLICY_NAMES) < set(POLICY_NAMES) and DEFAULT_POLICY in CLASS_POLICY_NAMES
    assert set(GUIDING_MOVES) < set(MOVES)
    assert set(REFERENCES) < set(JUDGEMENTS) and set(REFERENCES) < set(HAND_LABEL_VALUES)
    assert or_list(CLASS_POLICY_NAMES) == "tree, vanilla or telling" and or_list(("one",)) == "one"


def test_the_tutor_and_the_evaluations_accept_every_policy():
    assert tuple(TUTOR_POLICIES) == POLICY_NAMES  # the registry of policy classes, in the vocabulary's order
    assert all(cls.name == name for name, cls in TUTOR_POLICIES.items())
    assert _accepts(lambda p: TutorSettings(policy=p), POLICY_NAMES) == POLICY_NAMES
    assert _accepts(lambda p: RunConfig(policies=[p]), POLICY_NAMES) == POLICY_NAMES


def test_the_store_its_cli_and_the_app_accept_the_class_policies(tmp_path):
    assert _accepts(lambda p: ClassRoom(id=1, name="c", join_code="X", teacher_id=1, policy=p, created_at=""),
                    POLICY_NAMES) == CLASS_POLICY_NAMES  # fmt: skip
    store = connect(f"sqlite:///{tmp_path / 'v.db'}")
    teacher = store.create_user("ms_v", "teacherpw1", role="teacher")
    klass = store.create_class(teacher.id, "Period 1")
    assert klass.policy == DEFAULT_POLICY == Settings().policy
    for name in POLICY_NAMES:
        if name in CLASS_POLICY_NAMES:
            assert store.update_class(klass.id, policy=name).policy == name
        else:
            with pytest.raises(Exception, match="tree, vanilla or telling"):
                store.update_class(klass.id, policy=name)
    base = ["--database-url", f"sqlite:///{tmp_path / 'v.db'}", "create-class", "P", "--teacher", "ms_v", "--policy"]
    assert _accepts(lambda p: store_main([*base, p]), POLICY_NAMES) == CLASS_POLICY_NAMES
    assert list(CLASS_POLICY_NAMES) == choices.POLICIES


def test_session_outcomes_and_persona_modes_come_from_the_vocabulary():
    assert list(SESSION_OUTCOMES) == choices.OUTCOMES
    outcomes = _accepts(lambda o: SessionFilter(outcome=o), SESSION_OUTCOMES)
    assert outcomes == SESSION_OUTCOMES
    assert _accepts(lambda m: PersonaSpec(mode=m), PERSONA_MODES) == PERSONA_MODES
    assert SIMULATOR_MODES == PERSONA_MODES and SIMULATOR_MOVES == MOVES
    assert sorted(LAB_MODES) == sorted(PERSONA_MODES)  # a rehearsal's own order, every mode once


def test_default_and_test_models_are_registered():
    assert DEFAULT_MODEL == vocabulary.DEFAULT_MODEL == Settings().model and DEFAULT_MODEL in MODELS
    assert TEST_MODEL in MODELS


# -- no module spells a set again ---------------------------------------------------------------------------------
SETS = {
    "policies": POLICY_NAMES,
    "moves": MOVES,
    "judgements": (*JUDGEMENTS, *HAND_LABEL_VALUES),
    "session outcomes": SESSION_OUTCOMES,
    "persona modes": PERSONA_MODES,
}
# "module: set": why that module keeps its own spelling of (part of) a set
OWN_SPELLING = {
    "ui.labs: persona modes": "LAB_MODES: the order a rehearsal cycles through the modes (checked above)",
    "tutor.codecheck: judgements": "CodeVerdict: what a run of the student's code can say (right, wrong, unsure)",
    "evals.moves: moves": "the three classes with focus and probing merged (MathDial's annotators agree only so)",
    "evals.fidelity: judgements": "Cls: a real or simulated student turn's correctness in teacher forcing (no partly)",
    "tutor.phrase: judgements": "the feedback kinds that carry a verdict (a repeated opener may then be dropped)",
}


def _spelled_sets(tree: ast.AST) -> list[tuple[str, ...]]:
    """Every tuple, list or set of three or more string constants (a spelled set; `Literal[...]` holds a tuple)."""
    found = []
    for node in ast.walk(tree):
        items = node.elts if isinstance(node, ast.Tuple | ast.List | ast.Set) else []
        if len(items) >= 3 and all(isinstance(i, ast.Constant) and isinstance(i.value, str) for i in items):
            found.append(tuple(i.value for i in items))  # type: ignore[attr-defined]
    return found


def test_the_scan_finds_a_spelled_set():
    assert _spelled_sets(ast.parse('P = Literal["tree", "vanilla", "null"]\nx in ("a", "b", "c")')) == [
        ("tree", "vanilla", "null"),
        ("a", "b", "c"),
    ]


def test_no_module_spells_a_fixed_set_outside_the_vocabulary():
    spelled = set()
    for path in sorted(ROOT.glob("*.py")) + sorted(ROOT.glob("[a-z]*/**/*.py")):
        if path.name == "vocabulary.py" or path.parts[len(ROOT.parts)] in ("tests", "docs"):
            continue
        module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
        for names in _spelled_sets(ast.parse(path.read_text(encoding="utf-8"))):
            spelled |= {f"{module}: {what}" for what, whole in SETS.items() if set(names) <= set(whole)}
    assert sorted(spelled - set(OWN_SPELLING)) == []
    assert sorted(set(OWN_SPELLING) - spelled) == [], "an OWN_SPELLING entry that no longer spells its set"


def test_literal_unions_flatten():
    assert get_args(vocabulary.PolicyName) == (*CLASS_POLICY_NAMES, "null")
