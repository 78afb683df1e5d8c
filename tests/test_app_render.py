"""Pure rendering: chat messages, progress strip, transcript with traces, mastery table."""

from __future__ import annotations

from knowledge.types import Check, Node, Problem, Questions, QuestionTree, Step
from store import Annotation, Turn
from ui import render


def turn(idx, role, text, **kw):
    return Turn(id=idx + 1, session_id=1, idx=idx, role=role, text=text, created_at="2026-01-01T00:00:00+00:00", **kw)


def test_latex_delimiters_leave_prices_alone():
    assert all(d["left"] != "$" for d in render.LATEX_DELIMITERS)
    assert {"left": "$$", "right": "$$", "display": True} in render.LATEX_DELIMITERS


def test_chat_messages_fence_pasted_code():
    msgs = render.chat_messages(
        [turn(0, "tutor", "Hi"), turn(1, "student", "def f(x):\n    return x"), turn(2, "student", "it is 4")]
    )
    assert [m["role"] for m in msgs] == ["assistant", "user", "user"]
    assert msgs[1]["content"].startswith("```python\n") and msgs[2]["content"] == "it is 4"


def test_transcript_escapes_and_shows_traces():
    trace = {
        "node_id": "s0",
        "move": "probing",
        "reason": "wrong value",
        "diagnosis": [{"label": "adds across", "confidence": 0.9}],
        "guard": {"leaks": True, "reasons": ["states the answer"]},
        "used_llm": True,
    }
    turns = [
        turn(0, "tutor", "Q?"),
        turn(1, "student", "<script>alert(1)</script>"),
        turn(2, "tutor", "Hmm", trace=trace, guard=trace["guard"], move="probing", latency_ms=12.0),
    ]
    html = render.transcript_html(
        turns, [Annotation(id=1, turn_id=3, teacher_id=1, comment="<b>nice</b>", flag=True, created_at="x")]
    )
    assert "<script>" not in html and "&lt;script&gt;" in html and "&lt;b&gt;nice" in html
    assert "adds across (90%)" in html and "LEAK replaced: states the answer" in html and "opening question" in html


def test_progress_names_concepts_only():
    tree = QuestionTree(
        problem_id="p",
        nodes=[
            Node(
                id="a",
                concept="find one batch",
                kind="computational",
                check=Check(kind="value", value=0.875),
                questions=Questions(),
            ),
            Node(
                id="b",
                concept="scale to <4> batches",
                kind="computational",
                check=Check(kind="value", value=3.5),
                questions=Questions(),
            ),
        ],
    )
    problem = Problem(
        id="p",
        domain="math",
        title="t",
        statement="s",
        steps=[Step(description="d", value=0.875), Step(description="e", value=3.5)],
        answer=3.5,
        tree=tree,
    )

    class State:
        def is_resolved(self, node_id):
            return node_id == "a"

    class Session:
        state = State()

    items = render.progress(problem, Session())
    assert [(i["id"], i["resolved"]) for i in items] == [("a", True), ("b", False)]
    html = render.progress_html(items)
    assert "1 of 2" in html and "0.875" not in html and "3.5" not in html and "&lt;4&gt;" in html


def test_mastery_from_traces():
    assert render.skill_mastery({"state_after": {"mastery": {"fractions": 0.7, "bad": "x"}}}) == {"fractions": 0.7}
    headers, rows = render.mastery_rows({("ann", "fractions"): 0.7, ("bo", "percent"): 0.25})
    assert headers == ["student", "fractions", "percent"] and rows == [["ann", "0.70", ""], ["bo", "", "0.25"]]
