"""Diagnosis ranks value matches first, then similar reasoning; confidences stay in [0, 1]."""

from __future__ import annotations

import pytest

from knowledge import diagnose
from knowledge.diagnosis import malgorithm_texts
from knowledge.embeddings import HashEmbedder
from knowledge.numbers import last_number, numbers_in, parse_number
from knowledge.types import Malgorithm, Problem, Step


def problem() -> Problem:
    pid = "math-test-jacket"
    ms = [
        Malgorithm(
            id="adds",
            problem_id=pid,
            label="adds the percentages",
            wrong_solution="25% and 10% make 35% off, 35% of 80 is 28, so 80 - 28 = 52",
            step=0,
            step_values={0: 28, 3: 52},
            wrong_answer=52,
        ),
        Malgorithm(
            id="dollars",
            problem_id=pid,
            label="treats a percent as dollars",
            wrong_solution="80 - 25 = 55 dollars then 55 - 10 = 45 dollars",
            step=0,
            step_values={0: 25, 1: 55},
            wrong_answer=45,
        ),
        Malgorithm(
            id="forgets",
            problem_id=pid,
            label="forgets the coupon",
            wrong_solution="25% of 80 is 20 so the jacket costs 60",
            step=2,
            step_values={3: 60},
            wrong_answer=60,
        ),
    ]
    steps = [
        Step(description="first discount", expression="80 * 0.25", value=20),
        Step(description="sale price", expression="80 - 20", value=60),
        Step(description="coupon", expression="60 * 0.1", value=6),
        Step(description="price paid", expression="60 - 6", value=54),
    ]
    return Problem(
        id=pid,
        domain="math",
        title="Jacket",
        statement="25% off then 10% off $80",
        steps=steps,
        answer=54,
        malgorithms=ms,
    )


def test_number_parsing():
    assert parse_number("$1,200") == 1200
    assert parse_number("3/4") == 0.75
    assert parse_number("ten") == 10
    assert numbers_in("I got $52.50 and then 3/4 and twelve") == [52.5, 0.75, 12]
    assert last_number("so the answer is 45.") == 45
    assert last_number("no idea") is None


@pytest.mark.parametrize("embedder", [False, HashEmbedder()], ids=["lexical", "hash"])
def test_value_match_ranks_first(embedder):
    p = problem()
    ranked = diagnose(p, "I think Sam pays 45", embedder=embedder)
    assert ranked[0].malgorithm_id == "dollars" and ranked[0].reason == "value"
    assert ranked[0].confidence > 0.9
    assert all(0.0 <= d.confidence <= 1.0 for d in ranked)
    assert [d.confidence for d in ranked] == sorted((d.confidence for d in ranked), reverse=True)
    # the explicit value wins over the numbers in the text
    assert diagnose(p, "my answer", student_value=52, embedder=embedder)[0].malgorithm_id == "adds"
    # an intermediate wrong value (a step value) also matches, below a final-answer match
    mid = diagnose(p, "the sale price was 55", embedder=embedder)
    assert mid[0].malgorithm_id == "dollars" and mid[0].reason == "value"
    assert mid[0].confidence < ranked[0].confidence


def test_similarity_when_no_value_matches():
    p = problem()
    ranked = diagnose(p, "I just added the percentages together, twenty five and ten", embedder=False)
    assert ranked[0].malgorithm_id == "adds"
    assert ranked[0].reason == "similarity"
    assert ranked[0].confidence <= 0.7


def test_correct_answer_or_empty_text_gives_no_value_match():
    p = problem()
    assert all(d.reason == "similarity" for d in diagnose(p, "Sam pays 54", embedder=False))
    assert diagnose(p, "   ", embedder=False) == []
    assert diagnose(p.model_copy(update={"malgorithms": []}), "45", embedder=False) == []


def test_semantic_similarity_with_the_packaged_model():
    pytest.importorskip("sentence_transformers")
    p = problem()
    ranked = diagnose(p, "I subtracted 25 dollars and then 10 more dollars from the price")
    assert ranked[0].malgorithm_id == "dollars"


def test_student_profile_is_not_compared():
    m = Malgorithm(
        id="m",
        problem_id="p",
        label="adds instead of multiplying",
        description="Student profile: Mariana likes soccer.",
        wrong_solution="3 + 4 = 7",
    )
    assert malgorithm_texts(m) == ["3 + 4 = 7", "adds instead of multiplying"]
    m.description = "Treats groups as a sum. Student profile: x"
    assert malgorithm_texts(m)[1] == "adds instead of multiplying. Treats groups as a sum"


def test_numbers_given_in_the_problem_are_not_wrong_values():
    p = problem()
    p.malgorithms[2].wrong_answer = 80  # a wrong answer that equals a given still counts, weakly
    p.malgorithms[0].step_values[1] = 25  # but a given number matching a step value does not
    ranked = diagnose(p, "there were 25% and 10% and 25", embedder=False)
    assert all(d.reason == "similarity" for d in ranked)
    top = diagnose(p, "so Sam pays 80", embedder=False)[0]
    assert top.malgorithm_id == "forgets" and top.reason == "value" and top.confidence < 0.9
