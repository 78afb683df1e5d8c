"""Deterministic question trees from steps and bugs."""

from __future__ import annotations

import re

import inference
from knowledge.bank import load_starter
from knowledge.numbers import fmt
from knowledge.rephrase import rephrase_tree, safe_rewrite
from knowledge.trees import derive_tree, topic_of, tree_for, value_pattern
from knowledge.types import DEPTHS, Step
from tests.test_knowledge_types import code_problem, math_problem


def test_math_tree_is_deterministic_and_ordered():
    p = math_problem()
    t1, t2 = derive_tree(p), derive_tree(p)
    assert t1 == t2
    assert [n.id for n in t1.nodes] == ["s0-concept", "s0-value", "s1-concept", "s1-value"]
    assert [n.kind for n in t1.nodes] == ["conceptual", "computational"] * 2
    assert [n.step for n in t1.nodes] == [0, 0, 1, 1]
    assert t1.nodes[1].check.kind == "value" and t1.nodes[1].check.value == 12
    assert t1.nodes[3].check.value == 10
    assert all(n.skills == p.skills for n in t1.nodes)


def test_math_questions_do_not_reveal_unearned_values():
    p = math_problem()
    tree = derive_tree(p)
    for node in tree.nodes:
        step = p.steps[node.step]
        number = re.compile(value_pattern(step.value))
        for depth in ("focus", "probing", "hint"):
            for q in node.questions.at(depth):
                assert not number.search(q), (node.id, depth, q)
        assert node.questions.focus and node.questions.probing and node.questions.bottom_out
    # the final answer appears only in the last step's own bottom-out
    final = re.compile(value_pattern(p.answer))
    for node in tree.nodes:
        texts = [q for d in DEPTHS for q in node.questions.at(d)] + list(node.probes.values())
        leaks = [t for t in texts if final.search(t)]
        if node.id == "s1-value":
            assert leaks == node.questions.bottom_out
        else:
            assert not leaks, (node.id, leaks)


def test_conceptual_check_matches_operation_or_value():
    node = derive_tree(math_problem()).nodes[0]
    pattern = re.compile(node.check.pattern)
    assert pattern.search("I did 3 x 4")
    assert pattern.search("4*3 because bags")
    assert pattern.search("it's 12")
    assert not pattern.search("3 + 4 = 7")
    assert not pattern.search("120 apples")


def test_probes_target_the_malgorithm_step():
    p = math_problem()
    tree = derive_tree(p)
    m = p.malgorithms[0]
    assert m.id in tree.node("s0-concept").probes
    assert "7" in tree.node("s0-concept").probes[m.id]  # the student's own wrong value at that step
    assert m.id not in tree.node("s1-concept").probes


def test_code_tree_nodes_and_checks():
    p = code_problem()
    tree = derive_tree(p)
    assert [n.kind for n in tree.nodes] == ["behaviour", "locate", "fix"]
    behaviour, locate, fix = tree.nodes
    assert behaviour.check.kind == "pattern" and re.search(behaviour.check.pattern, "it returns 3 instead of 6")
    assert re.search(locate.check.pattern, "I think the bug is on line 3")
    assert re.search(locate.check.pattern, "the `for i in range(n):` loop")
    assert not re.search(locate.check.pattern, "line 4 looks odd")
    assert fix.check.kind == "tests"
    assert "range(1, n + 1)" not in " ".join(behaviour.questions.focus + locate.questions.focus + locate.questions.hint)
    assert "range(1, n + 1)" in fix.questions.bottom_out[0]
    assert "code-test-sum-m0" in locate.probes
    assert (
        derive_tree(p, failing_tests=["assert total(3) == 6"]).nodes[0].questions.probing[0].count("total(3) == 6") == 1
    )


def test_tree_for_prefers_the_problems_own_tree():
    p = math_problem()
    custom = derive_tree(p).model_copy(update={"source": "teacher"})
    custom.nodes[0].questions.focus = ["Teacher's own question?"]
    p.tree = custom
    assert tree_for(p).nodes[0].questions.focus == ["Teacher's own question?"]
    p.tree = None
    assert tree_for(p).source == "derived"


def test_topic_and_value_helpers():
    step = Step(description="The total number of spoons was 12+3=15 spoons.", expression="12 + 3", value=15)
    topic = topic_of(step, 0)
    assert "15" not in topic and "12+3" not in topic and "spoons" in topic
    assert topic_of(Step(description="Subtract it to get the sale price.", value=60), 1) == "the sale price"
    assert fmt(12.0) == "12" and fmt(0.125) == "0.125"
    pat = re.compile(value_pattern(1200))
    assert pat.search("$1,200") and pat.search("1200.0") and not pat.search("12000") and not pat.search("1200.5")


def test_llm_rephrase_is_optional_and_guarded():
    p = math_problem()
    tree = derive_tree(p)
    backend = inference.get_backend("fake")
    # first node: a good rewrite; second: leaks the value 12 and is rejected; the rest: empty replies keep templates
    backend.enqueue("Which numbers in the story help us find the apples in the bags?", "It is 12, right?")
    out = rephrase_tree(tree, p, backend)
    assert out.source == "llm"
    assert out.nodes[0].questions.focus[0] == "Which numbers in the story help us find the apples in the bags?"
    assert out.nodes[0].questions.probing[0] == tree.nodes[0].questions.probing[0]
    assert out.nodes[1:] == tree.nodes[1:]
    assert tree.source == "derived"  # the input is not modified
    assert not safe_rewrite("What is it?", "It is 12.")
    assert not safe_rewrite("Look at `x`?", "Change it to `y`?")


def test_a_bug_on_several_lines_reads_lines_2_and_4() -> None:
    """The tutor said "Look closely at line 2, 4" (the starter `code-remove-negatives`)."""
    p = next(x for x in load_starter() if x.id == "code-remove-negatives")
    nodes = derive_tree(p).nodes
    text = " ".join(
        n.concept + " " + " ".join(q for d in DEPTHS for q in n.questions.at(d)) + " " + " ".join(n.probes.values())
        for n in nodes
    )
    assert "lines 2 and 4" in text and "ines 2 and 4" in nodes[1].concept
    assert not re.search(r"[Ll]ines? \d+, \d+|\bline \d+ and \d+", text)
    one = derive_tree(code_problem()).nodes[1]
    assert re.search(r"\bline \d+\b", one.concept) and "lines" not in one.concept


def test_a_keyword_fix_snippet_is_no_locate_pattern() -> None:
    """Was matched: the fix "Replace `and` with `or`" made every message with the word "and" locate the bug."""
    import re

    from knowledge.trees import derive_tree
    from knowledge.types import Bug, Fix, Problem

    buggy = "def one_or_two(n):\n    if n == 1 and n == 2:\n        return True\n    return False\n"
    p = Problem(
        id="test-one-or-two",
        domain="code",
        title="one or two",
        statement="`one_or_two(n)` is True when n is 1 or 2.",
        buggy_code=buggy,
        entry_point="one_or_two",
        unit_tests=["assert one_or_two(1) == True"],
        bugs=[
            Bug(
                lines=[2],
                description="The condition asks for both values at once.",
                fixes=[Fix(description="Replace `and` with `or` on line 2.", code=buggy.replace(" and ", " or "))],
            )
        ],
    )
    locate = next(n for n in derive_tree(p).nodes if n.kind == "locate")
    assert not re.search(locate.check.pattern, "In the first test `n` is 1 and in the second it is 2.", re.I)
    assert re.search(locate.check.pattern, "The bug is on line 2.", re.I)
