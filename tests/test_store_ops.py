"""The store suite, run against SQLite and against a real PostgreSQL server (TUTOR_TEST_POSTGRES_URL)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from errors import InputError
from store import CURRENT_VERSION, SessionFilter, connect, export_sessions, migrate, schema_version
from store.testing import fresh_database_url, postgres_unavailable_reason

PG_SKIP = postgres_unavailable_reason()
BACKENDS = [
    "sqlite",
    pytest.param("postgres", marks=[pytest.mark.server, pytest.mark.skipif(PG_SKIP is not None, reason=PG_SKIP or "")]),
]

PROBLEM = {
    "id": "math-demo",
    "domain": "math",
    "title": "Demo",
    "statement": "2+2?",
    "steps": [{"description": "add", "value": 4}],
    "answer": 4,
}
EXPECTED_TABLES = {
    "schema_version",
    "users",
    "auth_tokens",
    "classes",
    "memberships",
    "problems",
    "sessions",
    "turns",
    "annotations",
    "eval_runs",
    "session_leases",
}


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    with fresh_database_url(request.param, tmp_path) as url:
        s = connect(url)
        yield s
        s.close()


@pytest.fixture
def people(store):
    teacher = store.create_user("ms_t", "correct horse", "teacher", "Ms T")
    alice = store.create_user("alice", "alicepass1", "student")
    bob = store.create_user("bob", "bobpass123", "student")
    klass = store.create_class(teacher.id, "Period 1")
    store.join_class(alice.id, klass.join_code.lower())
    return teacher, alice, bob, klass


def test_blank_database_gets_current_schema(store):
    assert schema_version(store.db) == CURRENT_VERSION
    assert set(store.db.tables()) >= EXPECTED_TABLES
    assert {"session_id", "idx", "role", "text", "trace", "guard", "latency_ms", "move"} <= set(
        store.db.columns("turns")
    )
    assert {"model", "policy", "allow_final_bottom_out", "join_code"} <= set(store.db.columns("classes"))
    # migrating again is a no-op
    assert migrate(store.db) == []


def test_passwords_are_hashed_and_verified(store):
    user = store.create_user("carol", "s3cret-pass", "student")
    stored = store.db.one("SELECT password_hash FROM users WHERE id = ?", (user.id,))["password_hash"]
    assert "s3cret-pass" not in stored and stored.startswith("$argon2")
    assert store.authenticate("carol", "s3cret-pass").id == user.id
    assert store.authenticate("carol", "wrong-pass") is None
    assert store.authenticate("nobody", "s3cret-pass") is None
    with pytest.raises(InputError):
        store.create_user("carol", "another-pass", "student")
    with pytest.raises(InputError):
        store.create_user("dave", "short", "student")


def test_tokens(store):
    user = store.create_user("erin", "erin-pass-1", "teacher")
    token = store.issue_token(user.id)
    assert store.user_for_token(token).id == user.id
    assert store.user_for_token("forged") is None and store.user_for_token(None) is None
    store.revoke_token(token)
    assert store.user_for_token(token) is None


def test_classes_and_settings(store, people):
    teacher, alice, bob, klass = people
    assert [c.id for c in store.classes_of_student(alice.id)] == [klass.id]
    assert store.classes_of_student(bob.id) == []
    with pytest.raises(InputError):
        store.join_class(bob.id, "NOPE00")
    store.join_class(alice.id, klass.join_code)  # joining twice is harmless
    assert [u.username for u in store.students_of_teacher(teacher.id)] == ["alice"]
    updated = store.update_class(klass.id, model="smollm2-135m", policy="telling", allow_final_bottom_out=True)
    assert (updated.model, updated.policy, updated.allow_final_bottom_out) == ("smollm2-135m", "telling", True)
    with pytest.raises(InputError):
        store.update_class(klass.id, policy="lecture")


def test_sessions_turns_annotations(store, people):
    teacher, alice, bob, klass = people
    sess = store.start_session(alice.id, PROBLEM, policy="tree", model="none", class_id=klass.id)
    assert sess.outcome == "active" and sess.problem["answer"] == 4
    t0 = store.add_turn(sess.id, "tutor", "What is 2+2?", move="focus")
    t1 = store.add_turn(sess.id, "student", "5")
    t2 = store.add_turn(
        sess.id,
        "tutor",
        "Check again.",
        trace={"node_id": "n1", "reason": "wrong value", "diagnosis": [{"label": "off by one"}]},
        guard={"leaks": False, "reasons": []},
        latency_ms=12.5,
        move="probing",
    )
    assert [t.idx for t in store.turns(sess.id)] == [0, 1, 2]
    assert store.turns(sess.id)[2].trace["node_id"] == "n1" and store.get_turn(t2.id).guard == {
        "leaks": False,
        "reasons": [],
    }
    store.annotate(t2.id, teacher.id, comment="good probe", flag=True)
    with pytest.raises(InputError):
        store.annotate(t1.id, teacher.id)
    assert [a.comment for a in store.annotations(sess.id)] == ["good probe"]
    store.end_session(sess.id, "solved")
    got = store.get_session(sess.id)
    assert got.outcome == "solved" and got.ended_at and got.n_turns == 3 and got.flagged
    assert t0.id != t1.id


def test_session_lease_is_exclusive_until_released_or_expired(store, people):
    from datetime import timedelta

    sid = store.start_session(people[1].id, PROBLEM, policy="tree").id
    assert store.claim_session(sid, "worker-a:1", timedelta(minutes=5))
    assert not store.claim_session(sid, "worker-b:1", timedelta(minutes=5))  # A still answers
    store.release_session(sid, "worker-b:1")  # someone else's release does nothing
    assert not store.claim_session(sid, "worker-b:2", timedelta(minutes=5))
    store.release_session(sid, "worker-a:1")
    assert store.claim_session(sid, "worker-b:3", timedelta(seconds=-1))  # taken, but already expired (a dead worker)
    assert store.claim_session(sid, "worker-a:2", timedelta(minutes=5))


def test_session_filters_and_visibility(store, people):
    teacher, alice, bob, klass = people
    other_teacher = store.create_user("mr_o", "otherpass1", "teacher")
    a1 = store.start_session(alice.id, PROBLEM, policy="tree", class_id=klass.id)
    a2 = store.start_session(alice.id, {**PROBLEM, "id": "math-other"}, policy="tree", class_id=klass.id)
    b1 = store.start_session(bob.id, PROBLEM, policy="tree")
    store.end_session(a2.id, "solved")
    turn = store.add_turn(a1.id, "tutor", "hi")
    store.annotate(turn.id, teacher.id, flag=True)
    mine = {s.id for s in store.list_sessions(teacher_id=teacher.id)}
    assert mine == {a1.id, a2.id}  # bob is not in the class
    assert store.list_sessions(teacher_id=other_teacher.id) == []
    assert [s.id for s in store.list_sessions(SessionFilter(outcome="solved"), teacher_id=teacher.id)] == [a2.id]
    assert [s.id for s in store.list_sessions(SessionFilter(problem_id="math-demo"))] == [b1.id, a1.id]
    assert [s.id for s in store.list_sessions(SessionFilter(flagged=True))] == [a1.id]
    assert [s.id for s in store.list_sessions(SessionFilter(student_id=bob.id))] == [b1.id]
    assert store.list_sessions(SessionFilter(since="2999-01-01")) == []
    assert len(store.list_sessions(SessionFilter(until="2999-01-01"))) == 3
    assert store.can_read_session(alice, a1.id) and not store.can_read_session(bob, a1.id)
    assert store.can_read_session(teacher, a1.id) and not store.can_read_session(teacher, b1.id)
    assert not store.can_read_session(other_teacher, a1.id)


def test_export_csv_and_jsonl(store, people):
    teacher, alice, _, klass = people
    sess = store.start_session(alice.id, PROBLEM, policy="tree", class_id=klass.id)
    store.add_turn(sess.id, "tutor", 'Say "hello", then 2+2?', move="focus", trace={"node_id": "n0", "reason": "start"})
    t = store.add_turn(sess.id, "student", "4\nmaybe")
    store.annotate(t.id, teacher.id, comment="ok", flag=True)
    rows = list(csv.DictReader(io.StringIO(export_sessions(store, store.list_sessions(), "csv"))))
    assert [r["text"] for r in rows] == ['Say "hello", then 2+2?', "4\nmaybe"]
    assert rows[0]["node_id"] == "n0" and rows[1]["flagged"] == "1" and rows[1]["comments"] == "ok"
    lines = export_sessions(store, store.list_sessions(), "jsonl").splitlines()
    record = json.loads(lines[0])
    assert record["id"] == sess.id and len(record["turns"]) == 2 and record["annotations"][0]["flag"] is True


def test_problems_and_eval_runs(store, people):
    teacher = people[0]
    rec = store.save_problem({**PROBLEM, "source": "teacher"}, author_id=teacher.id)
    assert rec.problem["statement"] == "2+2?"
    store.save_problem({**PROBLEM, "source": "teacher", "statement": "3+1?"}, author_id=teacher.id)
    assert [p.problem["statement"] for p in store.list_problems()] == ["3+1?"]
    run = store.start_eval_run("smoke", {"policies": ["tree"]}, created_by=teacher.id)
    assert run.status == "running"
    done = store.finish_eval_run(run.id, status="done", report_dir="/tmp/r", summary={"success@12": 0.5})
    assert done.summary["success@12"] == 0.5 and done.finished_at
    assert [r.id for r in store.list_eval_runs()] == [run.id]


def test_failed_transaction_writes_nothing(store, people):
    _, alice, _, _ = people
    sess = store.start_session(alice.id, PROBLEM, policy="tree")
    with pytest.raises(RuntimeError), store.db.transaction():
        store.add_turn(sess.id, "student", "half")
        raise RuntimeError("boom")
    assert store.turns(sess.id) == []


def test_sqlite_pragmas(tmp_path):
    s = connect(f"sqlite:///{tmp_path / 'p.db'}")
    assert s.db.pragma("journal_mode") == "wal"
    assert s.db.pragma("foreign_keys") == 1
    assert s.db.pragma("busy_timeout") == 10000
