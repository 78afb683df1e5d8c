"""Hidden-state seeding and transitions per move and resistance."""

from __future__ import annotations

import random

import pytest

from knowledge.trees import tree_for
from simulator import state as st
from simulator.personas import builtin
from simulator.types import Persona
from tests.problems import jacket_problem, sum_problem

JACKET = "jacket"
PROBLEMS = {"jacket": jacket_problem, "code-sum-up-to": sum_problem}


def seeded(problem_id: str, malgorithm_suffix: str, persona: Persona | None = None):
    problem = PROBLEMS[problem_id]()
    tree = tree_for(problem)
    m = next(m for m in problem.malgorithms if m.id.endswith(malgorithm_suffix))
    state = st.initial_state(problem, tree, m, persona or builtin("typical"), random.Random(0))
    return problem, tree, m, state


def statuses(state) -> dict[str, str]:
    return {n.node_id: n.status for n in state.nodes}


def test_math_seeding_from_malgorithm() -> None:
    # stops-at-discount corrupts only the last step (index 3)
    _, _, m, state = seeded(JACKET, "stops-at-discount")
    s = statuses(state)
    assert s["s0-value"] == s["s1-value"] == s["s2-value"] == "knows"
    assert s["s3-concept"] == s["s3-value"] == "misconceived"
    assert state.node("s3-value").malgorithm_id == m.id
    # adds-percents corrupts step 0 and gives step 1 a wrong value; steps 2 and 3 were skipped (3 is the final
    # answer, which the wrong path sets)
    _, _, _, state = seeded(JACKET, "adds-percents")
    s = statuses(state)
    assert s["s0-concept"] == "misconceived" and not state.node("s0-concept").derived
    assert s["s1-value"] == "misconceived" and state.node("s1-value").derived
    assert s["s2-value"] == "unknown"


def test_code_seeding() -> None:
    # moves-start-only edits the bug line (3): the student has located the bug but holds a wrong fix
    _, _, _, state = seeded("code-sum-up-to", "moves-start-only")
    s = statuses(state)
    assert s == {"b0-behaviour": "knows", "b0-locate": "knows", "b0-fix": "misconceived"}
    # patches-the-result edits the return line: the bug is not located
    _, _, _, state = seeded("code-sum-up-to", "patches-the-result")
    assert statuses(state)["b0-locate"] == "misconceived"


def test_no_malgorithm_means_unknown() -> None:
    problem = jacket_problem()
    state = st.initial_state(problem, tree_for(problem), None, builtin("typical"), random.Random(0))
    assert all(n.status == "unknown" for n in state.nodes)


def apply(state, node, move, resistance, seed=0, math=True):
    persona = Persona(resistance=resistance)
    return st.apply(state, node, move, persona, random.Random(seed), 1, math=math)


def test_focus_and_probing_resolve_with_zero_resistance() -> None:
    for move in ("focus", "probing"):
        _, _, _, state = seeded(JACKET, "stops-at-discount")
        events = apply(state, "s3-concept", move, 0.0)
        kinds = [e.kind for e in events]
        assert kinds[:2] == ["asked", "taught"] and "resolved" in kinds
        assert state.status("s3-concept") == state.status("s3-value") == "knows"  # both nodes of the step
        assert state.node("s3-concept").resolved_by == "question"
        assert state.all_known


def test_full_resistance_never_resolves_by_questions_but_telling_does() -> None:
    _, _, _, state = seeded(JACKET, "stops-at-discount")
    for seed in range(30):
        events = apply(state, "s3-value", "probing", 1.0, seed=seed)
        assert events[-1].kind == "resisted"
    assert state.status("s3-value") == "misconceived" and state.node("s3-value").questions == 30
    events = apply(state, "s3-value", "telling", 1.0)
    assert [e.kind for e in events][0] == "told"
    assert state.status("s3-value") == "knows" and state.node("s3-value").resolved_by == "told"


@pytest.mark.parametrize(
    ("node", "move", "kind"),
    [("s3-value", "generic", "generic"), ("s0-value", "focus", "asked")],
    ids=["generic move", "question on a known node"],
)
def test_move_that_changes_nothing(node: str, move: str, kind: str) -> None:
    _, _, _, state = seeded(JACKET, "stops-at-discount")
    before = state.model_copy(deep=True)
    events = apply(state, node, move, 0.0)
    assert [e.kind for e in events] == [kind]
    assert state == before


@pytest.mark.parametrize("resistance", [0.2, 0.5, 0.8])
def test_resistance_sets_the_resolution_rate(resistance: float) -> None:
    resolved = 0
    trials = 300
    for seed in range(trials):
        _, _, _, state = seeded(JACKET, "stops-at-discount")
        apply(state, "s3-value", "focus", resistance, seed=seed)
        resolved += state.status("s3-value") == "knows"
    rate = resolved / trials
    assert abs(rate - (1 - resistance)) < 0.1, rate


def test_more_resistance_needs_more_questions() -> None:
    def questions_needed(resistance: float, seed: int) -> int:
        _, _, _, state = seeded(JACKET, "stops-at-discount")
        rng = random.Random(seed)
        persona = Persona(resistance=resistance)
        for k in range(1, 200):
            st.apply(state, "s3-value", "probing", persona, rng, k, math=True)
            if state.all_known:
                return k
        return 200

    low = sum(questions_needed(0.2, s) for s in range(100)) / 100
    high = sum(questions_needed(0.8, s) for s in range(100)) / 100
    assert low < 1.6 < 3.5 < high  # expected 1.25 and 5


def test_derived_node_question_resolves_the_root() -> None:
    _, _, _, state = seeded(JACKET, "adds-percents")
    events = apply(state, "s1-value", "probing", 0.0)
    resolved = [e.node for e in events if e.kind == "resolved"]
    assert "s0-concept" in resolved and "s1-value" in resolved
    assert state.misconceived == []


def test_revealed_nodes_are_told() -> None:
    _, _, _, state = seeded(JACKET, "stops-at-discount")
    persona = Persona(resistance=1.0)
    events = st.apply(
        state, None, "focus", persona, random.Random(0), 1, math=True, revealed=["s3-concept", "s3-value"]
    )
    assert events[0].kind == "told" and state.all_known
    assert all(state.node(n).resolved_by == "told" for n in ("s3-concept", "s3-value"))


def test_code_resolution_cascades_backwards_only() -> None:
    _, _, _, state = seeded("code-sum-up-to", "patches-the-result")
    apply(state, "b0-locate", "telling", 0.0, math=False)
    assert statuses(state) == {"b0-behaviour": "knows", "b0-locate": "knows", "b0-fix": "misconceived"}
    apply(state, "b0-fix", "focus", 0.0, math=False)
    assert state.all_known


def test_confused_students_start_with_more_unknowns() -> None:
    typical = confused = 0
    for seed in range(40):
        problem = jacket_problem()
        tree = tree_for(problem)
        m = problem.malgorithms[-1]
        typical += len(st.initial_state(problem, tree, m, builtin("typical"), random.Random(seed)).unknown)
        confused += len(st.initial_state(problem, tree, m, builtin("confused"), random.Random(seed)).unknown)
    assert confused > typical


def test_changed_lines() -> None:
    before = "a = 1\nb = 2\nc = 3\n"
    assert st.changed_lines(before, "a = 1\nb = 5\nc = 3\n") == [2]
    assert st.changed_lines(before, before) == []
