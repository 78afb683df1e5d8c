"""evals.reveal: revealing the answer in MRBench's sense (made-up problems and replies; the MRBench figures are in
tests/test_tutor_leakguard.py)."""

from __future__ import annotations

from evals.reveal import answer_key, naive_reveals, reveals_answer

# a class of 50 students sends cards with $10 gift cards worth $50 in all (the answer: 50 students)
STUDENTS = answer_key(
    "She got 5 gift cards because 50 / 10 = 5\nShe has 50 students because 15 / .3 = 50\n 50",
    50,
    "Ms. Lee got $50 in gift cards from a third of the cards. How many students are there?",
)
# ink: 10000 cents make $100 (the answer: $100)
INK = answer_key(
    "200 ml cost 200 * 50 = 10000 cents\n100 cents make a dollar so 10000/100 = $100\n 100",
    100,
    "Ink costs 50 cents per ml. How much, in dollars, does one day cost?",
)
# candles: a profit of $20 on 20 candles
CANDLES = answer_key(
    "He sells 20 candles for 2 * 20 = $40\nSupplies cost $20\nSo his profit is 40 - 20 = $20\n 20",
    20,
    "Tom makes 20 candles from 2 pounds of wax at $10 a pound and sells them for $2 each.",
)
# juggling: 7 balls, 3 dropped, 4 left
BALLS = answer_key(
    "He juggles 3 + 4 = 7 balls\nHe drops 3, leaving 7 - 3 = 4 balls\n 4",
    4,
    "Sam adds 1 ball each week for four weeks and drops three.",
)
# Kenny-like: $150 earned, 150 cards at the start
CARDS = answer_key(
    "He made $150 because 100 + 50 = 150\nHe sold 150 / 1.5 = 100 cards\nHe started with 150 cards "
    "because 100 / (2/3) = 150\n 150",
    150,
    "He sells cards for $1.5 each and keeps 1/3.",
)
PERMITS = answer_key(
    "He stamps 50 * 2 = 100 permits\n 100",
    100,
    "He stamps 50 permit applications an hour for 2 hours. How many permits does he stamp?",
)


def test_the_answer_in_its_own_sense_is_revealed():
    assert reveals_answer("So the class has 50 students.", STUDENTS).correct is True
    assert reveals_answer("Right, 15 / 0.3 = 50.", STUDENTS).leaks
    assert reveals_answer("The total cost for the day would actually be $100, not $1.", INK).correct is True
    assert reveals_answer("So his profit is $40 - $20 = $20.", CANDLES).leaks
    assert reveals_answer("That leaves him with four balls.", BALLS).leaks


def test_the_same_number_meaning_something_else_is_not_the_answer():
    # "$50" is the money, not the 50 students
    assert not reveals_answer("Look again at the equation 0.1x = $50: what does the $50 stand for?", STUDENTS).leaks
    # "100 cents" is not "$100"
    assert not reveals_answer("Remember that 100 cents make one dollar.", INK).leaks
    # "20 candles" is given; the answer is $20 of profit
    assert not reveals_answer("How much wax do you need for 20 candles?", CANDLES).leaks
    # "4 weeks" is not "4 balls"
    assert not reveals_answer("He practised for 4 weeks, so how many balls did he add?", BALLS).leaks
    # an equation with an unknown repeats the student's money, not the number of cards
    assert not reveals_answer("Let's solve 3x/2 = 150 again, step by step.", CARDS).leaks
    # but the naive rule flags them all
    assert naive_reveals("Look again at the equation 0.1x = $50.", 50)
    assert naive_reveals("Remember that 100 cents make one dollar.", 100)


def test_operands_and_negations_do_not_state_the_answer():
    assert not reveals_answer("You then added $20 to the cost of the supplies.", CANDLES).leaks
    assert not reveals_answer("Try 4 x 20 and see what you get.", CANDLES).leaks
    assert not reveals_answer("Splitting them in two doesn't mean each group is 4 balls.", BALLS).leaks


def test_a_wrong_final_answer_stated_as_the_answer_is_a_reveal():
    r = reveals_answer("You're almost there: 100 cents is $1, so the total cost would be $1.", INK)
    assert r.leaks and r.correct is False and "states 1 as the answer" in r.reasons[0]
    assert reveals_answer("You found the correct number of balls left, which is 5.", BALLS).correct is False
    # a different quantity in an answer phrase is not the answer
    assert not reveals_answer("The total number of weeks is 6.", BALLS).leaks
    # an intermediate sum is not a final answer
    assert not reveals_answer("He earned a total of $40 from the candles.", CANDLES).leaks


def test_another_name_written_next_to_the_answer_noun_counts():
    assert "application" in PERMITS.aliases
    assert reveals_answer("In 2 hours that is 50 x 2 = 100 applications.", PERMITS).correct is True


def test_a_wrong_value_followed_by_is_the_answer_is_a_reveal() -> None:
    r = reveals_answer("Keep going, you can do it. 6 is the answer.", BALLS)
    assert r.leaks and r.correct is False
    assert not reveals_answer("Is 6 the answer? Count the balls again.", BALLS).leaks


def test_the_answer_inside_a_question_is_asked_not_stated() -> None:
    assert not reveals_answer("If he drops 3 of the 7, wouldn't that leave him 4 to juggle?", BALLS).leaks
    assert not reveals_answer("Well done! Now, what number plus 3 gives us 4?", BALLS).leaks
    # a statement before the question still counts, and so does an answer phrase inside one
    assert reveals_answer("He has 4 balls left. Can you see why?", BALLS).leaks
    assert reveals_answer("So is the answer 4, do you think?", BALLS).leaks


def test_a_wrong_price_for_the_unit_the_question_asks_about_is_a_reveal() -> None:
    # made up: 4 kg of pears cost $20; how much is 1 kg? (the answer: $5)
    pears = answer_key(
        "1 kg costs 20 / 4 = $5\n 5", 5, "Ann paid $20 for 4 kg of pears. How much did she pay for 1 kg?"
    )
    r = reveals_answer("Remember that halving gives $10 per kg, so keep going.", pears)
    assert r.leaks and r.correct is False
    assert not reveals_answer("Ann paid $20 for 4 kg, so what is one kg?", pears).leaks
    assert not reveals_answer("Say it cost $8 for 2 kg: how would you find one kg?", pears).leaks
