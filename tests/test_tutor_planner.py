"""Planner transitions of the tree policy (right / wrong / stuck / bottom-out / max turns) and the other policies."""

from __future__ import annotations

from tutor import TutorSession, TutorSettings
from tutor.examples import example_code, example_math
from tutor.probes import strip_label


def say(session: TutorSession, message: str):
    text = "".join(session.reply(message))
    return session.last, text


def test_right_resolves_and_moves_to_the_next_node() -> None:
    s = TutorSession.start(example_math())
    t, _ = say(s, "26 - 2 = 24")
    assert t.outcome == "right" and t.plan_kind == "question" and t.move == "focus" and t.depth == "focus"
    assert t.state_after.nodes["s0-value"].status == "resolved"
    assert t.node_id == "s1-concept" and t.state_before.current_node == "s0-concept"


def test_wrong_goes_to_an_easier_question_on_the_same_node() -> None:
    s = TutorSession.start(example_math(), TutorSettings(fails_before_bottom_out=3))
    t, _ = say(s, "I think it's 12")
    assert t.outcome == "wrong" and t.node_id == "s0-concept" and t.depth == "probing" and t.move == "probing"
    t2, _ = say(s, "maybe 13")
    assert t2.depth == "hint" and t2.node_id == "s0-concept"
    assert t2.state_after.nodes["s0-concept"].failed == 2


def test_stuck_goes_one_depth_deeper() -> None:
    s = TutorSession.start(example_math(), TutorSettings(fails_before_bottom_out=5))
    depths = [say(s, "I'm stuck")[0].depth for _ in range(3)]
    assert depths == ["probing", "hint", "hint"]


def test_diagnosed_malgorithm_picks_its_probe() -> None:
    p = example_math()
    s = TutorSession.start(p)
    say(s, "26 - 2 = 24")  # s0 resolved; now on s1 (pencils per box)
    t, text = say(s, "each box has 24 so we need 3 boxes")  # 3 is the malgorithm's wrong final answer
    assert t.outcome == "wrong"
    assert t.diagnosis and t.diagnosis[0].malgorithm_id == "example-math-pencils-m0"
    node = s.tree.node(t.node_id)
    assert t.node_id == "s1-concept" and "example-math-pencils-m0" in node.probes
    label = t.diagnosis[0].label
    assert strip_label(node.probes["example-math-pencils-m0"], label) in text and "diagnosed" in t.reason
    assert label.lower() not in text.lower() and label in t.reason  # the label is for teachers only


def test_bottom_out_after_n_failures_is_for_that_node_only() -> None:
    s = TutorSession.start(example_math(), TutorSettings(fails_before_bottom_out=2))
    say(s, "I'm stuck")
    t, text = say(s, "no idea")
    assert t.plan_kind == "bottom_out" and t.move == "telling" and t.node_id == "s0-concept"
    assert t.state_after.nodes["s0-concept"].resolved_by == "bottom_out"
    assert not t.guard.leaks and "9" not in text.split()


def test_bottom_out_of_the_final_value_is_withheld_unless_allowed() -> None:
    p = example_math()
    for allow in (False, True):
        s = TutorSession.start(p, TutorSettings(fails_before_bottom_out=1, allow_final_bottom_out=allow, max_turns=30))
        for msg in ("26-2=24", "24/3=8", "26+46=72"):
            say(s, msg)
        assert s.state.current_node() == "s3-concept"
        t, _ = say(s, "I'm stuck")  # concept node of the last step: may bottom out (operation, not the value)
        assert t.plan_kind == "bottom_out" and not t.guard.leaks
        t, text = say(s, "I'm stuck")  # the value node of the last step is the final answer
        if allow:
            assert t.plan_kind == "bottom_out" and "9" in text
        else:
            assert t.plan_kind == "question" and t.depth == "hint" and "withheld" in t.reason
            assert "9" not in text and not t.guard_final.leaks


def test_max_turns_stops_without_revealing() -> None:
    s = TutorSession.start(example_math(), TutorSettings(max_turns=3))
    for _ in range(3):
        t, text = say(s, "hmm, 5?")
    assert s.done and not s.solved and t.plan_kind == "out_of_turns"
    assert "9" not in text


def test_success_stops_the_session() -> None:
    s = TutorSession.start(example_math())
    t, _ = say(s, "they need 9 boxes")
    assert t.plan_kind == "success" and s.done and s.solved and t.outcome == "solved"


def test_code_fix_node_never_bottoms_out_to_the_fix() -> None:
    p = example_code()
    s = TutorSession.start(p, TutorSettings(fails_before_bottom_out=1, max_turns=20))
    texts = [say(s, "I don't know")[1] for _ in range(6)]
    fix = p.bugs[0].fixes[0].lines[0]
    assert all(fix not in t for t in texts)
    assert s.state.current_node() == "b0-fix" and s.last.plan_kind == "question" and "withheld" in s.last.reason


def test_vanilla_without_a_model_falls_back_and_says_so() -> None:
    s = TutorSession.start(example_math(), TutorSettings(policy="vanilla"))
    t, text = say(s, "I'm stuck")
    assert "fell back" in t.reason and text and not t.used_llm


def test_telling_tells_the_worked_solution_with_the_final_answer_at_its_first_reply() -> None:
    # the telling baseline tells the answer: every step's computation and the final answer in one reply, so a
    # simulated student cannot state the answer before the tutor does (issue 11: telling@12 came with success)
    p = example_math()
    s = TutorSession.start(p, TutorSettings(policy="telling"))
    t, text = say(s, "I think it's 3")
    assert t.plan_kind == "tell" and t.move == "telling"
    assert all(f"{x.expression} = {x.value:g}" in text for x in p.steps)
    assert text.endswith("So the answer is 9 boxes.")
    assert all(n.status == "resolved" and n.resolved_by == "told" for n in t.state_after.nodes.values())
    t2, _ = say(s, "ok")  # everything told: it asks for the final answer, it does not tell again
    assert t2.plan_kind == "question" and "told" in t2.reason


def test_telling_states_values_and_guard_only_reports() -> None:
    s = TutorSession.start(example_math(), TutorSettings(policy="telling"))
    texts = [say(s, "ok")[1] for _ in range(8) if not s.done]
    assert any("24" in t for t in texts)
    assert any(t.guard.leaks and t.guard.action == "reported" for t in s.trace)
    assert all(t.move == "telling" for t in s.trace if t.plan_kind == "tell")
