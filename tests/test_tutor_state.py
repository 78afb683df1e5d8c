"""Knowledge state: the append-only log, derived views, and the BKT update."""

from __future__ import annotations

import pytest

from tutor.state import (
    AttemptWrong,
    BKTParams,
    KnowledgeState,
    NodeResolved,
    QuestionAsked,
    StateSnapshot,
    Stuck,
    ValuesProduced,
    bkt_update,
)


def test_bkt_update_matches_the_formula() -> None:
    p = BKTParams(p_init=0.3, p_learn=0.1, p_slip=0.1, p_guess=0.2)
    post_c = 0.3 * 0.9 / (0.3 * 0.9 + 0.7 * 0.2)
    assert bkt_update(0.3, True, p) == pytest.approx(post_c + (1 - post_c) * 0.1)
    post_w = 0.3 * 0.1 / (0.3 * 0.1 + 0.7 * 0.8)
    assert bkt_update(0.3, False, p) == pytest.approx(post_w + (1 - post_w) * 0.1)
    assert bkt_update(0.3, True, p) > 0.3 > bkt_update(0.3, False, p)


def test_views_are_derived_from_the_log() -> None:
    st = KnowledgeState(node_ids=["a", "b"], node_skills={"a": ["add"], "b": ["add"]}, skills=["add"])
    assert st.current_node() == "a" and st.mastery("add") == pytest.approx(0.3)
    st.append(QuestionAsked(turn=0, node_id="a", depth="focus", move="focus"))
    st.append(AttemptWrong(turn=1, node_id="a", evidence="said 5", value=5))
    st.observe(1, "a", False)
    st.append(Stuck(turn=2, node_id="a"))
    assert st.failed_count("a") == 2 and st.questions_at("a") == 1 and st.last_depth("a") == "focus"
    low = st.mastery("add")
    st.append(NodeResolved(turn=3, node_id="a", evidence="said 7"))
    st.observe(3, "a", True)
    assert st.current_node() == "b" and st.mastery("add") > low
    st.append(ValuesProduced(turn=3, values=[7.0]))
    assert st.has_produced(7) and not st.has_produced(8)
    snap = st.snapshot(3)
    assert snap.nodes["a"].status == "resolved" and snap.nodes["a"].evidence == ["said 5", "said 7"]
    assert snap.nodes["b"].status == "unresolved"
    assert StateSnapshot.model_validate_json(snap.model_dump_json()) == snap
    assert KnowledgeState.model_validate_json(st.model_dump_json()) == st
