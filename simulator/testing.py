"""Small, fixed problems for tests and demos of the simulator (independent of the starter bank's evolving content)."""

from __future__ import annotations

from knowledge.types import Bug, Fix, Malgorithm, Problem, Step

JACKET_ID = "sim-jacket"
SUM_ID = "sim-sum-up-to"


def jacket_problem() -> Problem:
    """Two discounts: 25% off $80, then 10% off the sale price -> $54. Three malgorithms."""
    pid = JACKET_ID
    return Problem(
        id=pid,
        domain="math",
        title="Two discounts on a jacket",
        statement="A jacket costs $80. The store takes 25% off, then a coupon takes 10% off the sale price. "
        "How much does the jacket cost in the end?",
        skills=["percent"],
        steps=[
            Step(description="Find the first discount, 25% of $80.", expression="80 * 0.25", value=20, unit="dollars"),
            Step(description="Subtract it to get the sale price.", expression="80 - 20", value=60, unit="dollars"),
            Step(description="Find the coupon discount, 10% of the sale price.", expression="60 * 0.10", value=6,
                 unit="dollars"),
            Step(description="Subtract the coupon discount from the sale price.", expression="60 - 6", value=54,
                 unit="dollars"),
        ],
        answer=54,
        answer_unit="dollars",
        malgorithms=[
            Malgorithm(
                id=f"{pid}-adds-percents", problem_id=pid, label="adds the percentages",
                wrong_solution="25% off and then 10% off is 35% off. 35% of $80 is 0.35 x 80 = $28.\n"
                "So it costs 80 - 28 = $52.",
                step=0, step_values={0: 28, 1: 52, 3: 52}, wrong_answer=52,
            ),
            Malgorithm(
                id=f"{pid}-percent-as-dollars", problem_id=pid, label="treats a percent off as dollars off",
                wrong_solution="It is 25 off, so 80 - 25 = $55. Then the coupon takes 10 off, 55 - 10 = $45.",
                step=0, step_values={0: 25, 1: 55, 2: 10, 3: 45}, wrong_answer=45,
            ),
            Malgorithm(
                id=f"{pid}-stops-at-discount", problem_id=pid, label="gives the discount instead of the price",
                wrong_solution="25% of 80 is 20. The sale price is 60, and 10% of 60 is 6. "
                "So the discount is 20 + 6 = $26.",
                step=3, step_values={3: 26}, wrong_answer=26,
            ),
        ],
        student_profile="Mariana is a 7th grade student. She has difficulty with percentages.",
    )


SUM_BUGGY = "def sum_up_to(n):\n    total = 0\n    for i in range(n):\n        total += i\n    return total\n"


def sum_problem() -> Problem:
    """Off-by-one in range(n): sum_up_to(4) gives 6 instead of 10. Two malgorithms."""
    pid = SUM_ID
    return Problem(
        id=pid,
        domain="code",
        title="Sum of 1..n",
        statement="sum_up_to(n) should return 1 + 2 + ... + n. Right now sum_up_to(4) gives 6.",
        skills=["loops"],
        buggy_code=SUM_BUGGY,
        entry_point="sum_up_to",
        unit_tests=["assert sum_up_to(4) == 10", "assert sum_up_to(1) == 1", "assert sum_up_to(0) == 0"],
        bugs=[
            Bug(
                lines=[3],
                description="range(n) stops before n, so n itself is never added.",
                fixes=[
                    Fix(description="Make the stop value n + 1.", lines=["for i in range(1, n + 1):"],
                        code=SUM_BUGGY.replace("range(n)", "range(1, n + 1)")),
                    Fix(description="Loop up to and including n.", lines=["for i in range(n + 1):"],
                        code=SUM_BUGGY.replace("range(n)", "range(n + 1)")),
                ],
            )
        ],
        malgorithms=[
            Malgorithm(id=f"{pid}-moves-start-only", problem_id=pid, label="changes the start, not the stop",
                       bug=0, wrong_code=SUM_BUGGY.replace("range(n)", "range(1, n)")),
            Malgorithm(id=f"{pid}-patches-the-result", problem_id=pid, label="patches the output",
                       bug=0, wrong_code=SUM_BUGGY.replace("return total", "return total + 1")),
        ],
    )
