"""Each metric on hand-made dialogue records, including the cases where it must fail."""

from __future__ import annotations

import pytest

from evals import metrics as M
from evals import stats as S
from knowledge.bank import load_starter
from simulator.moves import classify_move
from tests.test_evals_helpers import code_problem, record
from tutor.guard import GuardVerdict


def test_success_at_k_counts_only_within_k():
    r = record(["hi", "What is 3 times 4?", "ok"], ["I got 7", "12?", "12"], solved_turn=2)
    assert M.success_at(2).fn(r) == 1.0
    assert M.success_at(1).fn(r) == 0.0
    unsolved = record(["hi", "q"], ["7", "7"], solved_turn=None)
    assert M.success_at(12).fn(unsolved) == 0.0


def test_telling_when_tutor_states_answer_first():
    told = record(
        ["hi", "The answer is 12 apples.", "good"],
        ["I got 7", "oh, 12"],
        solved_turn=1,
        policy="telling",
        moves=["telling", "generic"],
    )
    assert M.telling_at(12).fn(told) == 1.0
    assert M.telling_at(0).fn(told) == 0.0  # told at turn 1, after the cut-off


def test_no_telling_when_student_gets_there_first():
    # The student says 12 at turn 1; the tutor only confirms it at turn 2.
    r = record(
        ["hi", "How many apples are in one box?", "Yes, 12 is right."],
        ["I got 7", "4 per box, so 12", ""],
        solved_turn=1,
    )
    assert M.telling_at(12).fn(r) == 0.0
    assert M.tutor_tell_turn(r) == 2
    assert M.student_first_correct_turn(r) == 1


def test_leak_before_student_but_not_after():
    leaked = record(["hi", "It's 12.", "ok"], ["I got 7", "12"], solved_turn=1)
    assert M.leak(leaked) == 1.0
    clean = record(
        ["hi", "What does 'in each box' tell you?", "Well done, 12 it is."], ["I got 7", "so 12"], solved_turn=1
    )
    assert M.leak(clean) == 0.0


def test_numbers_in_the_statement_are_not_leaks():
    r = record(["hi", "You have 3 boxes and 4 apples in each box."], ["7"], solved_turn=None)
    assert M.leak(r) == 0.0


def test_code_leak_of_the_fix_line():
    p = code_problem()
    leaked = record(["hi", "Change it to `return x * 2`."], ["here"], problem=p, malgorithm_id="t-double-m0")
    assert M.leak(leaked) == 1.0
    clean = record(["hi", "What does line 2 compute for x = 3?"], ["here"], problem=p, malgorithm_id="t-double-m0")
    assert M.leak(clean) == 0.0


def test_quoting_the_buggy_line_is_no_leak_of_a_fix_line_inside_it():
    # code-basket-default-list: one fix line is `basket = []`, which is also part of the buggy line 1
    # `def add_item(item, basket=[]):`. A bottom-out of the locate node quotes line 1: that shows the bug, not the fix.
    p = next(q for q in load_starter() if q.id == "code-basket-default-list")
    quoted = record(
        ["hi", "The problem is on line 1 (`def add_item(item, basket=[]):`). How could you change it?"],
        ["here"],
        problem=p,
    )
    assert M.leak(quoted) == 0.0
    told = record(["hi", "Inside the function write `basket = []` when basket is None."], ["here"], problem=p)
    assert M.leak(told) == 1.0
    both = record(
        ["hi", "Line 1 is `def add_item(item, basket=[]):`; then write `basket = []` inside."], ["here"], problem=p
    )
    assert M.leak(both) == 1.0


def test_guard_flag_rate():
    r = record(["hi", "a", "b", "c", "d"], ["7"], guard_flags=[True, False, False, True])
    assert M.guard_flag_rate(r) == 0.5


def test_turns_to_success_is_none_when_unsolved():
    assert M.turns_to_success(record(["hi", "q"], ["7", "7"], solved_turn=None)) is None
    assert M.turns_to_success(record(["hi", "q", "r", "s"], ["7", "a", "b", "12"], solved_turn=3)) == 3.0


def test_diagnosis_accuracy_right_wrong_missing():
    right = record(["hi", "q"], ["7"], diagnoses=[["t-apples-m0"]])
    wrong = record(["hi", "q"], ["7"], diagnoses=[["t-apples-m1", "t-apples-m0"]])
    missing = record(["hi", "q"], ["7"], diagnoses=[[]])
    assert M.diagnosis_accuracy(right) == 1.0
    assert M.diagnosis_accuracy(wrong) == 0.0
    assert M.diagnosis_accuracy(missing) == 0.0
    assert M.diagnosis_accuracy(record(["hi", "q"], ["7"], malgorithm_id=None)) is None
    assert M.diagnosis_pair(wrong) == ("adds instead of multiplying", "counts boxes only")


def test_mastery_brier_rewards_calibration():
    good = record(["hi", "q"], ["7"], mastery=0.9, hidden_resolved=True)
    bad = record(["hi", "q"], ["7"], mastery=0.9, hidden_resolved=False)
    assert M.mastery_brier(good) == pytest.approx(0.01)
    assert M.mastery_brier(bad) == pytest.approx(0.81)
    assert M.mastery_brier(record(["hi", "q"], ["7"])) is None


def test_simulator_fidelity_first_answer():
    assert M.sim_first_answer_wrong(record(["hi", "q"], ["I added and got 7."])) == 1.0
    assert M.sim_first_answer_wrong(record(["hi", "q"], ["It is 12."])) == 0.0
    assert M.sim_first_answer_wrong(record(["hi", "q"], ["I am not sure."])) == 0.0


def test_simulator_fidelity_no_self_correction_before_guidance():
    early = record(
        ["hi", "Hello there!", "x"], ["7", "Actually it is 12", ""], moves=["generic", "generic"], solved_turn=1
    )
    assert M.sim_no_early_fix(early) == 0.0
    guided = record(
        ["hi", "How many apples are in each box?", "x"], ["7", "12", ""], moves=["probing", "generic"], solved_turn=1
    )
    assert M.sim_no_early_fix(guided) == 1.0
    assert M.sim_fidelity(early) == 0.0
    assert M.sim_fidelity(guided) == 1.0


def test_move_mix_by_stage():
    moves = ["focus", "focus", "probing", "probing", "telling", "generic"]
    r = record(["hi"] + ["q"] * 6, ["7"], moves=moves)
    mix = M.move_mix(r)
    assert mix["moves.early.focus"] == 1.0
    assert mix["moves.middle.probing"] == 1.0
    assert mix["moves.late.telling"] == 0.5 and mix["moves.late.generic"] == 0.5
    assert sum(v for k, v in mix.items() if k.startswith("moves.late.")) == pytest.approx(1.0)


def test_vanilla_moves_come_from_the_classifier():
    r = record(["hi", "The answer is 12."], ["7"], policy="vanilla", moves=["focus"])
    assert M.tutor_moves(r) == [classify_move("The answer is 12.")]


def test_registry_directions():
    names = {m.name: m.higher_is_better for m in M.metrics_for([4, 12])}
    assert names["success@12"] is True and names["success@4"] is True
    assert names["telling@12"] is False and names["leak"] is False
    assert names["turns_to_success"] is False and names["mastery_brier"] is False
    assert names["diagnosis_accuracy"] is True and names["moves.early.focus"] is None


def test_bootstrap_is_seeded_and_covers_the_mean():
    values = [1.0, 0.0, 1.0, 1.0, 0.0, 1.0, 1.0, 0.0]
    a = S.bootstrap_ci(values, n_boot=500, ci=0.95, seed=3)
    b = S.bootstrap_ci(values, n_boot=500, ci=0.95, seed=3)
    assert a == b
    mean, lo, hi = a
    assert mean == pytest.approx(0.625) and lo < mean < hi
    assert S.bootstrap_ci([], n_boot=10, ci=0.95, seed=0) == (None, None, None)


def test_aggregate_groups_by_policy():
    ms = M.metrics_for([12])
    rows = [
        {"policy": "tree", **M.score_record(record(["hi", "q", "c"], ["7", "12"], solved_turn=1), ms)},
        {"policy": "telling", **M.score_record(record(["hi", "It is 12", "c"], ["7", "12"], solved_turn=1), ms)},
    ]
    table = {(a.group, a.metric): a for a in S.aggregate(rows, ms, n_boot=50)}
    assert table[("tree", "leak")].mean == 0.0
    assert table[("telling", "leak")].mean == 1.0
    assert table[("tree", "success@12")].n == 1


def test_guard_shown_leak_reads_the_final_verdict():
    r = record(["hi", "a", "b"], ["7"])
    assert M.guard_shown_leak(r) == 0.0
    r.tutor_traces[1].guard_final = GuardVerdict(leaks=True, reasons=["states the final answer 12"])
    assert M.guard_shown_leak(r) == 1.0


def test_right_number_on_a_wrong_path_is_not_a_right_answer():
    # MathDial-style: the wrong solution passes through 12 and ends on 7.
    r = record(["hi", "q"], ["3 x 4 = 12 apples, minus 5 bad ones, so 7.", "7"])
    assert not M.student_states_answer(r.transcript[1].text, r.problem)
    assert M.student_first_correct_turn(r) is None
    assert M.sim_first_answer_wrong(r) == 1.0


def test_tutor_false_solved():
    r = record(["hi", "Yes, that's right!"], ["I got 7"], solved_turn=None)
    assert M.tutor_false_solved(r) == 0.0  # the tutor never said solved
    r.tutor_traces[0].solved = True
    assert M.tutor_false_solved(r) == 1.0
    ok = record(["hi", "How many in each box?", "Yes!"], ["7", "12"], solved_turn=1)
    ok.tutor_traces[1].solved = True  # turn 2 confirms what the student said at turn 1
    assert M.tutor_false_solved(ok) == 0.0
