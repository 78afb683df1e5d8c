"""Calculations in a real student's math message (issue 10, GUIDE rule 2): a false calculation gives its operands no
credit, and an expression's value restated after ", or" is no hedge. Made-up messages of the kind seen when the
fit half of MathDial was replayed against its hand labels."""

from __future__ import annotations

from tests.test_tutor_judgement import donuts, say, session


def test_a_false_calculation_on_a_right_sub_result_is_wrong_not_partly():
    s = session(donuts())
    say(s, "So the change is 250 - 204 = 56 dollars.")  # 250 - 204 is 46: the calculation is false
    assert s.last.judgement == "wrong"


def test_a_true_calculation_on_a_right_sub_result_is_still_partly():
    s = session(donuts())
    say(s, "They spent 204, so 250 - 204 = 46 and then they get 40 back.")
    assert s.last.judgement == "partly"


def test_an_expression_then_its_value_after_comma_or_is_no_hedge():
    s = session(donuts())
    say(s, "The donuts cost 3 x 68 = 204 dollars, so the change is (250 - 204), or 46 dollars.")
    assert s.last.judgement == "right" and s.solved
