"""Learning gain (sibling problems, the post-test from the hidden state), the null baseline and the validity panel."""

from __future__ import annotations

from evals import metrics as M
from evals.config import PersonaSpec
from evals.runner import run_dialogue
from evals.validity import panel_lines, validity_panel
from knowledge.numbers import parse_numbers
from knowledge.siblings import givens, make_sibling
from knowledge.types import Malgorithm, Problem, Step
from simulator.posttest import carried_over, post_test
from simulator.types import HiddenState, NodeState
from tests.test_evals_helpers import math_problem, record


def shirt() -> Problem:
    return Problem(
        id="t-shirt",
        domain="math",
        title="Shirt",
        statement="A shirt costs $80. It is 25% off. What does it cost now?",
        steps=[
            Step(description="the discount", expression="80 * 25 / 100", value=20),
            Step(description="the new price", expression="80 - 20", value=60),
        ],
        answer=60,
        malgorithms=[
            Malgorithm(
                id="t-shirt-m0",
                problem_id="t-shirt",
                label="subtracts the percent as dollars",
                step=0,
                wrong_solution="The price is 80 - 25 = 55 dollars.",
                wrong_answer=55,
            )
        ],
    )


def test_sibling_has_new_numbers_and_recomputed_steps():
    sib = make_sibling(shirt())
    assert sib is not None and sib.factor == 2
    assert givens(sib.problem.statement) == [160, 50]
    assert [s.value for s in sib.problem.steps] == [80, 80]  # 160 * 50 / 100, then 160 - 80: 100 stays a constant
    assert sib.problem.answer == 80 and sib.problem.id != "t-shirt"
    assert sib.wrong_answers == {"t-shirt-m0": 110}  # the same mistake on the new numbers: 160 - 50


def test_no_sibling_when_expressions_do_not_give_their_values():
    broken = shirt().model_copy(update={"steps": [Step(description="x", expression="80 * 2", value=20)], "answer": 20})
    assert make_sibling(broken) is None
    assert make_sibling(shirt().model_copy(update={"steps": [Step(description="x", value=60)]})) is None


def _states(resolved_by: str | None) -> tuple[HiddenState, HiddenState]:
    initial = HiddenState(
        problem_id="t-shirt",
        malgorithm_id="t-shirt-m0",
        nodes=[
            NodeState(node_id="s0", status="misconceived", malgorithm_id="t-shirt-m0", step=0),
            NodeState(node_id="s1", status="misconceived", malgorithm_id="t-shirt-m0", step=1, derived=True),
        ],
    )
    final = initial.model_copy(deep=True)
    if resolved_by is not None:
        for n in final.nodes:
            n.status, n.malgorithm_id = "knows", None
            n.resolved_by = resolved_by if not n.derived else "follows"  # type: ignore[assignment]
    return initial, final


def test_told_misconception_does_not_carry_over_to_the_sibling():
    initial, final = _states("told")
    assert carried_over(initial, final) == {"s0": "misconceived", "s1": "misconceived"}
    result = post_test(shirt(), initial, final)
    assert result is not None and result.kept_misconception and result.reverted == ["s0", "s1"]
    assert result.attempt.endswith("110.") and result.answer == 80


def test_misconception_resolved_by_questions_carries_over():
    initial, final = _states("question")
    result = post_test(shirt(), initial, final)
    assert result is not None and not result.kept_misconception and result.reverted == []
    assert "160 * 50 / 100 = 80" in result.attempt and result.attempt.endswith("is 80.")


def test_pre_post_gain_metrics():
    initial, final = _states("question")
    r = record(["hi", "q"], ["I got 55.", "60"], problem=shirt(), malgorithm_id="t-shirt-m0", solved_turn=1)
    r = r.model_copy(update={"posttest": post_test(shirt(), initial, final)})
    assert (M.pre_test(r), M.post_test(r), M.learning_gain(r), M.kept_misconception(r)) == (0.0, 1.0, 1.0, 0.0)
    initial, final = _states("told")
    r = r.model_copy(update={"posttest": post_test(shirt(), initial, final)})
    assert (M.post_test(r), M.learning_gain(r), M.kept_misconception(r)) == (0.0, 0.0, 1.0)
    assert M.post_test(r.model_copy(update={"posttest": None})) is None


def test_telling_run_finishes_the_problem_but_keeps_the_misconception():
    r = run_dialogue(shirt(), "telling", PersonaSpec(use_problem_profile=False), 0, max_turns=8)
    assert r.outcome.solved
    assert r.posttest is not None and r.posttest.kept_misconception and M.post_test(r) == 0.0


def test_null_policy_gives_no_content():
    r = run_dialogue(shirt(), "null", PersonaSpec(use_problem_profile=False), 0, max_turns=5)
    replies = [u.text for u in r.messages("tutor") if u.turn > 0]
    assert replies and not any(parse_numbers(text) for text in replies[:-1])
    assert all(t.plan_kind in ("check", "out_of_turns") for t in r.tutor_traces)
    assert not r.outcome.solved and M.learning_gain(r) == 0.0


def _rows(policy: str, success: list[float], seed: int = 0) -> list[dict]:
    return [
        {
            "policy": policy,
            "problem_id": f"p{i}",
            "persona": "s",
            "seed": seed,
            "success@12": v,
            "telling@12": 0.0,
            "gain": v,
        }
        for i, v in enumerate(success)
    ]


def test_validity_panel_separates_and_says_what_was_not_run():
    rows = _rows("tree", [1, 1, 1, 0] * 5) + _rows("null", [0, 0, 0, 0] * 5)
    panel = validity_panel(rows, 12, n_boot=200)
    assert panel["tree_vs_null"]["status"] == "separates" and panel["tree_vs_null"]["mean"] == 0.75
    assert panel["telling"]["success"] == {"status": "not run"}
    assert panel["replicates"]["tree"]["spread"] is None
    same = validity_panel(_rows("tree", [0, 1] * 5) + _rows("null", [0, 1] * 5), 12, n_boot=200)
    assert same["tree_vs_null"]["status"] == "does not separate"
    lines = panel_lines(validity_panel(_rows("tree", [1, 0]) + _rows("tree", [1, 1], seed=1), 12, n_boot=50))
    assert any("null" in line and "not run" in line for line in lines)
    assert any("seed 0: 0.500, seed 1: 1.000" in line and "sd" in line for line in lines)


def test_same_mistake_is_one_diagnosis():
    p = math_problem()
    twin = p.malgorithms[0].model_copy(update={"id": "t-apples-m2", "label": "another wording"})
    p = p.model_copy(update={"malgorithms": [*p.malgorithms, twin]})
    assert M.same_mistake(p, "t-apples-m0", "t-apples-m2")  # the same wrong values: no message tells them apart
    assert not M.same_mistake(p, "t-apples-m0", "t-apples-m1")
    r = record(["hi", "q"], ["7", "7"], problem=p, malgorithm_id="t-apples-m2", diagnoses=[["t-apples-m0"]])
    assert M.diagnosis_accuracy(r) == 1.0
