"""evals.questions: the question flags the replay reports (expression, blank, repeats, generic after a value)."""

from __future__ import annotations

from evals.questions import aggregate, expression_patterns, reply_flags
from knowledge.types import Problem, Step


def _problem() -> Problem:
    # made up: 3 other bidders add $50 each to a $200 desk
    return Problem(
        id="p",
        domain="math",
        title="desk",
        answer=350,
        statement="A desk costs $200. 3 other people each bid $50 more. What is the final price?",
        steps=[
            Step(description="3 bids * $50 per bid = $150 added to the cost", expression="3 * 50", value=150),
            Step(description="The price is 200 + 150 = $350.", expression="200 + 150", value=350),
        ],
    )


def test_expression_and_blank_in_a_question_are_flagged():
    p = _problem()
    f = reply_flags(
        "Let's take one part at a time: there are 3 bids * $50 per bid = $\u2026 added. Which numbers?", set(), p, []
    )
    assert f["expression"] and f["blank"]
    f = reply_flags("What do you get for 150 + 200?", set(), p, [])  # commuted addition
    assert f["expression"] and f["final_expression"] and not f["blank"]
    f = reply_flags("Which numbers tell us the money the other bidders add?", set(), p, [])
    assert not f["expression"] and not f["blank"] and not f["final_expression"]
    # a bottom-out may show its own step's arithmetic, but never the final answer's
    f = reply_flags("For this part we multiply: 3 * 50. What do you get?", set(), p, [], "bottom_out")
    assert not f["expression"] and not f["final_expression"]
    assert reply_flags("Here it is: 200 + 150. What is the price?", set(), p, [], "bottom_out")["final_expression"]


def test_repeats_count_against_earlier_sentences_of_the_dialogue():
    p = _problem()
    earlier: set[str] = set()
    assert reply_flags("Not quite. Which numbers do we need?", earlier, p, [])["repeat"] == 0
    assert reply_flags("not  quite. What do the bidders add?", earlier, p, [])["repeat"] == 1
    assert reply_flags("Not quite. What do the bidders add?", earlier, p, [])["repeat"] == 2


def test_generic_after_a_student_value():
    p = _problem()
    assert reply_flags("Not quite. What is the next step?", set(), p, [52.0])["generic_after_value"]
    assert not reply_flags("You got $52 there. What does it stand for?", set(), p, [52.0])["generic_after_value"]
    assert not reply_flags("What is the next step?", set(), p, [])["generic_after_value"]
    assert not reply_flags("Well done: you solved it yourself!", set(), p, [350.0])["after_value"]


def test_aggregate_rates_with_their_n():
    p = _problem()
    earlier: set[str] = set()
    flags = [
        reply_flags("What is 3 * 50?", earlier, p, [3.0]),
        reply_flags("What is 3 * 50?", earlier, p, []),
        reply_flags("Good.", earlier, p, [150.0]),
    ]
    a = aggregate(flags)
    assert a["expression_or_blank"] == {"value": 1.0, "n": 2}
    assert a["repeated_sentence"] == {"value": round(1 / 3, 4), "n": 3}
    assert a["generic_after_value"] == {"value": 0.0, "n": 1}  # "Good." asks nothing
    assert len(expression_patterns(p)) == 2
