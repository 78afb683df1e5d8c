"""Two small, original example problems (one per domain) for tests, demos and smoke runs.

The starter bank (knowledge.bank) is the real content; these exist so the tutor can be exercised without it.
"""

from __future__ import annotations

from knowledge.types import Bug, Fix, Malgorithm, Problem, Step


def example_math() -> Problem:
    return Problem(
        id="example-math-pencils",
        domain="math",
        title="Pencil boxes",
        statement=(
            "Jo has 3 boxes of pencils and 2 loose pencils, 26 pencils in all. Each box holds the same number "
            "of pencils. Her friend has 46 pencils. How many boxes do they need to store all their pencils?"
        ),
        skills=["division", "multi-step"],
        steps=[
            Step(description="pencils in Jo's boxes", expression="26 - 2", value=24),
            Step(description="pencils per box", expression="24 / 3", value=8),
            Step(description="pencils together", expression="26 + 46", value=72),
            Step(description="boxes needed", expression="72 / 8", value=9, unit="boxes"),
        ],
        answer=9,
        answer_unit="boxes",
        malgorithms=[
            Malgorithm(
                id="example-math-pencils-m0",
                problem_id="example-math-pencils",
                label="uses the loose-pencil total as box size",
                step=1,
                description="treats 24 as the number of pencils in one box",
                step_values={1: 24, 2: 70, 3: 3},
                wrong_answer=3,
            ),
        ],
    )


def example_code() -> Problem:
    buggy = "def total(nums):\n    s = 0\n    for i in range(1, len(nums)):\n        s += nums[i]\n    return s\n"
    fixed = "def total(nums):\n    s = 0\n    for i in range(len(nums)):\n        s += nums[i]\n    return s\n"
    return Problem(
        id="example-code-total",
        domain="code",
        title="Sum a list",
        statement="`total(nums)` should return the sum of all the numbers in the list `nums`.",
        skills=["loops", "indexing"],
        buggy_code=buggy,
        entry_point="total",
        unit_tests=["assert total([1, 2, 3]) == 6", "assert total([]) == 0", "assert total([5]) == 5"],
        bugs=[
            Bug(
                lines=[3],
                description="The loop starts at index 1, so the first element is skipped.",
                fixes=[
                    Fix(
                        description="Start the range at 0: `range(len(nums))`.",
                        code=fixed,
                        lines=["for i in range(len(nums)):"],
                    )
                ],
            )
        ],
        malgorithms=[
            Malgorithm(
                id="example-code-total-m0",
                problem_id="example-code-total",
                label="off by one at the end",
                bug=0,
                wrong_code=buggy.replace("range(1, len(nums))", "range(1, len(nums) + 1)"),
            ),
        ],
    )
