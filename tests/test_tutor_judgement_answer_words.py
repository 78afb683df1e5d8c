"""A value offered as the answer in the question's own words is judged as the answer (issue 10, GUIDE rule 1).

Made-up problems; each message is the kind of turn seen when real MathDial student turns were replayed: a step on
the way, or a given, said as what the question asks for, was credited ("so he started with 100 cards" when 100 is
the number sold; "... in 20 days" when 20 is a given)."""

from __future__ import annotations

from knowledge.types import Problem, Step
from tutor import TutorSession, TutorSettings
from tutor.numbers import extract


def stickers() -> Problem:
    """Made up: Lena sells 3/4 of her stickers at $2 each and earns $30: 15 sold, 20 at the start."""
    return Problem(
        id="t-stickers",
        domain="math",
        title="Lena's stickers",
        statement="Lena keeps 1/4 of her stickers and sells the rest for $2 each. She earns $30. "
        "How many stickers did she start with?",
        skills=["division", "fractions"],
        steps=[
            Step(description="how many stickers she sold", expression="30 / 2", value=15),
            Step(description="the share she sold", expression="1 - 1 / 4", value=0.75),
            Step(description="how many stickers she had", expression="15 / 0.75", value=20),
        ],
        answer=20,
    )


def stamps() -> Problem:
    """Made up: Tom has 30 stamps, Amy 10 and buys 4 a day: 20 apart, 5 days."""
    return Problem(
        id="t-stamps",
        domain="math",
        title="Stamps",
        statement="Tom has 30 stamps and Amy has 10 stamps. In how many days will Amy have the same number of stamps "
        "as Tom has now if she buys 4 stamps a day?",
        skills=["subtraction", "division"],
        steps=[
            Step(description="how many more stamps Tom has than Amy", expression="30 - 10", value=20),
            Step(description="how many days it takes Amy", expression="20 / 4", value=5),
        ],
        answer=5,
    )


def judged(problem: Problem, message: str) -> TutorSession:
    s = TutorSession.start(problem, TutorSettings(max_turns=40), backend=None)
    "".join(s.reply(message))
    return s


def test_a_step_value_said_in_the_questions_words_is_the_answer_and_wrong():
    s = judged(stickers(), "She earned $30, so she sold 30 / 2 = 15 stickers. So Lena started with 15 stickers.")
    assert s.last.judgement in ("wrong", "partly") and not s.solved
    assert not s.state.is_resolved("s2-value")


def test_the_same_step_value_said_for_its_own_quantity_is_still_right():
    s = judged(stickers(), "She earned $30, so she sold 30 / 2 = 15 stickers.")
    assert s.last.judgement == "right" and s.state.is_resolved("s0-value")


def test_a_given_said_as_the_answer_in_the_questions_words_is_no_quote():
    s = judged(
        stamps(),
        "The difference is 30 - 10 = 20 stamps. So Amy will have the same number of stamps as Tom has now in 10 days.",
    )
    assert s.last.judgement == "partly" and not s.solved  # 20 is right, 10 days is not the answer


def test_a_given_restated_in_its_own_words_is_still_no_answer():
    s = judged(stamps(), "Amy has 10 stamps and Tom has 30 stamps.")
    assert s.last.judgement in ("none", "unsure")


def beads() -> Problem:
    """Made up: 9 red and 9 blue beads, 3 blue ones lost: 6 blue left, 15 in all."""
    return Problem(
        id="t-beads",
        domain="math",
        title="Beads",
        statement="Pia has 9 red beads and 9 blue beads. She loses 3 blue beads. How many beads does she have now?",
        skills=["subtraction", "addition"],
        steps=[
            Step(description="the number of blue beads left", expression="9 - 3", value=6),
            Step(description="how many beads she has now", expression="9 + 6", value=15),
        ],
        answer=15,
    )


def test_a_coefficient_of_an_unknown_is_no_value():
    """A real student wrote "Kenny made 3x/2 dollars" and was credited with a step value 2."""
    assert [n.value for n in extract("Kenny made 3x/2 dollars, since 1.5(2/3x) is 3x/2.").values] == []
    assert [n.value for n in extract("so 0.3x = 150 and x = 500").values] == [150, 500]
    s = judged(beads(), "If she had x blue beads, she lost 3x/6 of them.")
    assert s.last.judgement != "right" and not s.state.is_resolved("s0-value")
