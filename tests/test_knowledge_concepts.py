"""knowledge.concepts and the questions built on it: imported worked lines become concept phrases, and no question a
student sees shows a step's expression, a blank, or (in a bottom-out) the final answer's arithmetic."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from evals.questions import expression_patterns, has_blank, has_expression
from knowledge.concepts import acceptable, concept_phrase
from knowledge.importers import import_mathdial
from knowledge.trees import derive_tree
from knowledge.types import DEPTHS, Problem, Step
from tests.shared_data import MATHDIAL, needs_mathdial


@pytest.mark.parametrize(
    "line, value, phrase",
    [
        # made-up worked lines in MathDial's style
        (
            "4 other people join the auction so there are 4 bids * $25 per bid = $100 added to the price",
            100,
            "how much money is added to the price",
        ),
        ("Ana spent $6 on stickers because 3 x 2 = 6", 6, "how much Ana spent on stickers"),
        ("The total number of pens in both boxes was 14+6=20 pens.", 20, "the total number of pens in both boxes"),
        (
            "If both trains are late, the trip will take 30 + 2*5 = 40 minutes.",
            40,
            "how many minutes the trip will take if both trains are late",
        ),
        (
            "Next, find how many apples she needs by multiplying the pies by 3: 4 * 3 = 12.",
            12,
            "how many apples she needs",
        ),
        ("Currently, Omar is 15-4=11 years old.", 11, "how old Omar is"),
        ("There are 6 x 3 = 18 chairs in the hall", 18, "how many chairs there are in the hall"),
        ("40% of the class walks to school because 100 - 60 = 40", 40, "what percent of the class walks to school"),
        ("Subtract it to get the sale price.", 60, "the sale price"),
    ],
)
def test_worked_lines_become_concept_phrases(line, value, phrase):
    got = concept_phrase(line, value, 0)
    assert got == phrase
    assert acceptable(got, value)


def test_a_phrase_never_carries_the_expression_a_blank_or_a_derived_number():
    statement = "A shop has 12 red pens and 8 blue pens. It sells 5 of them. How many are left?"
    phrase = concept_phrase(
        "The shop had 12 + 8 = 20 pens, and the 20 pens minus 5 sold leave 20 - 5 = 15 pens.",
        15,
        1,
        statement=statement,
    )
    assert "=" not in phrase and "\u2026" not in phrase and not re.search(r"\b(?:20|15)\b", phrase), phrase
    assert concept_phrase("That means the bell rings at 6:00+45=6:45 PM", 6.45, 2) == "the result of step 3"


def test_a_clause_cut_in_the_middle_is_not_a_phrase():
    got = concept_phrase(
        "He's made 10 big bags and 20 small bags for a total of 10 + 20 = 30 bags",
        30,
        0,
        statement="He made 10 big bags and 20 small bags. How many bags did he make?",
    )
    assert got == "the number of bags"
    # a clean name may end with a preposition
    assert (
        concept_phrase(
            "Find how many kilometers 1 centimeter on the map stands for.", 5, 0, statement="1 cm on the map is 5 km."
        )
        == "how many kilometers 1 centimeter on the map stands for"
    )


def _record(tmp_path: Path) -> Path:
    # made up: a $300 desk, 4 other bidders add $25 each; the final price is 300 + 100
    row = {
        "qid": 1,
        "question": "A desk starts at $300 at an auction. 4 other people each bid $25 more. "
        "What is the final price of the desk?",
        "ground_truth": "4 other people join the auction so there are 4 bids * $25 per bid = $100 added to the "
        "price\nThe final price is $300 + $100 = $400\n 400",
        "student_incorrect_solution": "4 + 25 = 29\n300 + 29 = 329\n 329",
        "teacher_described_confusion": "adds the number of bids to the bid",
        "conversation": "",
    }
    path = tmp_path / "md.jsonl"
    path.write_text(json.dumps(row) + "\n")
    return path


def test_imported_steps_ask_about_a_concept_not_the_arithmetic(tmp_path):
    problem = import_mathdial(_record(tmp_path)).problems[0]
    assert [s.description for s in problem.steps] == ["how much money is added to the price", "the final price"]
    patterns = expression_patterns(problem)
    for node in problem.tree.nodes:
        asked = [q for d in ("focus", "probing", "hint") for q in node.questions.at(d)] + list(node.probes.values())
        for q in asked:
            assert not has_expression(q, patterns) and not has_blank(q), (node.id, q)
            assert "4 bids" not in q and "$25 per bid" not in q, (node.id, q)


def test_the_final_answers_bottom_out_names_the_operation_not_the_operands(tmp_path):
    problem = import_mathdial(_record(tmp_path)).problems[0]
    node = problem.tree.node("s1-concept")
    assert node.questions.bottom_out
    for text in node.questions.bottom_out + node.questions.hint:
        assert not has_expression(text, expression_patterns(problem), final_only=True), text
        assert "300 and 100" not in text and "100 and 300" not in text, text
    # an earlier step's bottom-out still explains its own arithmetic
    assert any("4 * 25" in t for t in problem.tree.node("s0-concept").questions.bottom_out)


def test_four_variants_per_depth_and_node_kind_and_short_questions():
    p = Problem(
        id="m",
        domain="math",
        title="t",
        statement="A box has 3 rows of 4 eggs. 2 break. How many are left?",
        steps=[
            Step(description="the eggs in the box", expression="3 * 4", value=12),
            Step(description="the eggs left", expression="12 - 2", value=10),
        ],
        answer=10,
    )
    for node in derive_tree(p).nodes:
        for depth in DEPTHS:
            assert len(set(node.questions.at(depth))) >= 4, (node.id, depth)


@needs_mathdial
def test_dev_questions_are_free_of_expressions_and_blanks_and_short():
    report = import_mathdial(MATHDIAL)
    bad, long = [], []
    for problem in report.problems:
        patterns = expression_patterns(problem)
        for node in problem.tree.nodes:
            for d in ("focus", "probing", "hint"):
                for q in node.questions.at(d):
                    if has_expression(q, patterns) or has_blank(q):
                        bad.append((problem.id, node.id, q))
                    if len(q.split()) > 35:
                        long.append((problem.id, node.id, q))
            if (
                problem.answer is not None
                and node.step is not None
                and abs(problem.steps[node.step].value - problem.answer) < 1e-9
                and node.kind == "conceptual"
            ):
                bad += [
                    (problem.id, node.id, t)
                    for t in node.questions.bottom_out
                    if has_expression(t, patterns, final_only=True)
                ]
    assert not bad, bad[:5]
    assert not long, long[:5]
