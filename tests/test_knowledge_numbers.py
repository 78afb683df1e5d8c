"""knowledge.numbers: the one home of comparing, formatting, evaluating and reading numbers."""

from __future__ import annotations

import pytest

from knowledge.numbers import (
    HALF_CENT,
    READ_BACK_TOL,
    REL_TOL,
    close,
    contains,
    convert,
    evaluate,
    fmt,
    fmt_exact,
    last_number,
    numbers_in,
    parse_numbers,
    safe_eval,
    stands_for,
)


def test_close_is_float_noise_not_rounding() -> None:
    assert close(0.1 + 0.2, 0.3)
    assert close(1e6 + 0.5, 1e6 + 0.5 + 1e6 * REL_TOL / 2)
    assert not close(1e6, 1e6 + 2e6 * REL_TOL)
    assert not close(0.67, 2 / 3)
    assert not close(0.4, 3 / 8)
    assert close(0.0, 0.0) and not close(0.0, 1e-6)


def test_a_checks_own_tolerance_overrides_the_default() -> None:
    assert not close(33.33, 100 / 3)
    assert close(33.33, 100 / 3, rel=1e-3)
    assert contains({1.0, 33.333}, 100 / 3, rel=1e-4) and not contains({1.0, 33.333}, 100 / 3)


def test_the_named_overrides_are_looser_where_they_say() -> None:
    assert close(0.3333, 1 / 3, READ_BACK_TOL) and close(33.333, 100 / 3, READ_BACK_TOL)  # read back from fmt
    assert not close(0.33, 1 / 3, READ_BACK_TOL)
    assert close(3.33, 10 / 3, floor=HALF_CENT) and not close(3.3, 10 / 3, floor=HALF_CENT)  # money to the cent
    assert contains([1.0, 12.004], 12.0, floor=HALF_CENT) and not contains([1.0, 12.006], 12.0, floor=HALF_CENT)
    assert close(1e7, 1e7 + 9, floor=HALF_CENT) and not close(1e7, 1e7 + 11, floor=HALF_CENT)  # relative above


def test_stands_for_accepts_a_value_written_as_the_true_one_rounded() -> None:
    assert stands_for(0.67, 2 / 3, text="0.67")
    assert stands_for(2.92, 70 / 24, text="2.92")
    assert stands_for(0.3333, 1 / 3)
    assert stands_for(0.33, 1 / 3)
    assert stands_for(0.4, 3 / 8) and stands_for(0.7, 2 / 3)  # one decimal is a rounding too
    assert not stands_for(0.6, 2 / 3) and not stands_for(0.37, 3 / 8)
    assert not stands_for(3, 2.96) and not stands_for(101, 100)
    # the order matters: the rounded value is the one said
    assert stands_for(0.67, 2 / 3) and not stands_for(2 / 3, 0.67)


def test_fmt_for_people_and_fmt_exact_for_arithmetic() -> None:
    assert [fmt(v) for v in (12.0, 0.875, 1 / 3, -2.5, 2.99999999999)] == ["12", "0.875", "0.3333", "-2.5", "3"]
    assert [fmt_exact(v) for v in (12.0, 1 / 3, 0.1 + 0.2)] == ["12", "0.3333333333", "0.3"]


@pytest.mark.parametrize(
    ("expression", "value"),
    [("4*7/8", 3.5), ("(12 + 3) * 2", 30.0), ("7 // 2", 3.0), ("7 % 4", 3.0), ("2 ** 10", 1024.0), ("-3 + +1", -2.0)],
)
def test_evaluate_is_plain_arithmetic(expression: str, value: float) -> None:
    assert evaluate(expression) == value
    assert safe_eval(expression) == value


@pytest.mark.parametrize(
    "expression", ["__import__('os')", "1/0", "9 ** 9 ** 9", "x + 1", "True + 1", "", "1e308 * 10", "round(2.5)"]
)
def test_evaluate_refuses_everything_else(expression: str) -> None:
    with pytest.raises(ValueError):
        evaluate(expression)
    assert safe_eval(expression) is None


def test_evaluate_allows_the_named_functions_it_is_given() -> None:
    assert evaluate("round(2.5) + max(1, 4)", {"round": round, "max": max}) == 6.0


def test_units_convert_exactly_within_a_dimension() -> None:
    assert convert(100, "cents", "dollar") == 1.0
    assert convert(90, "mins", "hours") == 1.5
    assert convert(3, "hours", "meters") is None


def test_parse_numbers_reads_digits_only() -> None:
    assert parse_numbers("It costs $1,200 and 3.5 more, 25% off, .05 and −3.") == [1200.0, 3.5, 25.0, 0.05, -3.0]
    assert parse_numbers("25%", percent_fractions=True) == [25.0, 0.25]
    assert parse_numbers("3/4 of ten") == [3.0, 4.0]


def test_numbers_in_reads_an_answer_text() -> None:
    assert numbers_in("I think 3/4, so ten dollars, or $ 1,200") == [0.75, 10.0, 1200.0]
    assert last_number("first 12 then 15.5%") == 15.5
    assert last_number("no number here") is None
