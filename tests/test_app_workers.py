"""Two real app processes (app.py) on loopback ports against one real PostgreSQL: a dialogue moves between them.

Turn 1 goes to worker A, turn 2 to worker B, turn 3 back to A (whose in-memory tutor is now two turns behind). Every
reply must be the one a single uninterrupted tutor gives, and two messages sent to both workers at once must be
answered one after the other, never interleaved. PostgreSQL comes from TUTOR_TEST_POSTGRES_URL (`.ci/run` starts it).
"""

from __future__ import annotations

import concurrent.futures

import httpx
import pytest

import inference
from knowledge.bank import load_starter
from store import connect
from store.testing import fresh_database_url, postgres_unavailable_reason
from tutor import TutorSession, TutorSettings
from ui.testing import api_login, running_server

PG_SKIP = postgres_unavailable_reason()
pytestmark = [pytest.mark.server, pytest.mark.slow, pytest.mark.skipif(PG_SKIP is not None, reason=PG_SKIP or "")]


def reference_replies(problem, messages: list[str]) -> tuple[str, list[str], list[list[bool]]]:
    """The opening, the replies and the progress one tutor in one process gives to these messages."""
    ts = TutorSession.start(
        problem,
        settings=TutorSettings(policy="tree", max_turns=12, allow_final_bottom_out=False),
        backend=inference.get_backend("none"),
    )
    replies, progress = [], []
    for m in messages:
        replies.append("".join(ts.reply(m)))
        progress.append([ts.state.is_resolved(n.id) for n in ts.tree.nodes])
    return ts.opening, replies, progress


@pytest.fixture
def pg_url(tmp_path):
    with fresh_database_url("postgres", tmp_path) as url:
        store = connect(url)
        store.create_user("stud", "studpass1", "student")
        store.close()
        yield url


def test_dialogue_moves_between_workers(tmp_path, pg_url):
    problem = next(p for p in load_starter() if p.domain == "math" and len(p.steps) >= 4)
    messages = [f"I think it is {problem.steps[0].value:g}", "I'm stuck", f"then {problem.steps[1].value:g}"]
    opening, expected, expected_progress = reference_replies(problem, messages)
    env = {"TUTOR_DATABASE_URL": pg_url}
    with running_server(tmp_path / "a", env=env) as a, running_server(tmp_path / "b", env=env) as b:
        h = api_login(a.url, "stud", "studpass1")  # a token issued by A is valid on B: it lives in the database
        sid = httpx.post(a.url + "/api/v1/sessions", json={"problem_id": problem.id}, headers=h, timeout=60).json()[
            "session_id"
        ]
        workers = [a, b, a]
        for i, (server, text) in enumerate(zip(workers, messages, strict=True)):
            r = httpx.post(server.url + f"/api/v1/sessions/{sid}/messages", json={"text": text}, headers=h, timeout=120)
            assert r.status_code == 200, r.text
            got = r.json()
            assert got["messages"][0]["content"] == opening
            assert got["messages"][-1]["content"] == expected[i], (
                f"turn {i + 1} on worker {'AB'[workers.index(server)]}"
            )
            assert [p["resolved"] for p in got["progress"]] == expected_progress[i]
        # a GET on B (whose tutor is one turn behind) shows the record and the current progress
        shown = httpx.get(b.url + f"/api/v1/sessions/{sid}", headers=h, timeout=60).json()
        assert [m["content"] for m in shown["messages"]] == [
            opening,
            *[x for pair in zip(messages, expected, strict=True) for x in pair],
        ]
        assert [p["resolved"] for p in shown["progress"]] == expected_progress[-1]

        # two messages at once, one to each worker: answered one after the other, each reply after its own message
        def post(server, text):
            return httpx.post(
                server.url + f"/api/v1/sessions/{sid}/messages", json={"text": text}, headers=h, timeout=180
            )

        with concurrent.futures.ThreadPoolExecutor(2) as pool:
            results = list(pool.map(post, [a, b], ["is it 1?", "maybe 2?"]))
        assert [r.status_code for r in results] == [200, 200], [r.text for r in results]
        # B finishes the dialogue; A, whose tutor never saw the end, shows it solved with every idea worked out
        final = post(b, f"the answer is {problem.steps[-1].value:g}").json()
        assert final["outcome"] == "solved"
        shown = httpx.get(a.url + f"/api/v1/sessions/{sid}", headers=h, timeout=60).json()
        assert shown["outcome"] == "solved" and all(p["resolved"] for p in shown["progress"])
    store = connect(pg_url)
    try:
        turns = store.turns(sid)
    finally:
        store.close()
    assert [t.role for t in turns] == ["tutor"] + ["student", "tutor"] * 6
    assert [t.idx for t in turns] == list(range(13))
    assert [t.trace["turn"] for t in turns if t.role == "tutor" and t.trace] == [1, 2, 3, 4, 5, 6]
    assert sorted(t.text for t in turns[7:11:2]) == ["is it 1?", "maybe 2?"]
    for student_turn, tutor_turn in zip(turns[7::2], turns[8::2], strict=True):
        assert tutor_turn.trace["student_message"] == student_turn.text  # each reply answers the message before it
