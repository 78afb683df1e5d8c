"""The app's services in process (no server): turns recorded, resume by replay, bad input, problems and trees."""

from __future__ import annotations

import json

import pytest

from errors import InputError, RecoverableError
from store.testing import fresh_database_url, postgres_unavailable_reason
from ui import accounts, authoring, student, teacher
from ui.context import MAX_MESSAGE_CHARS, AppContext, AuthError, check_text
from ui.testing import app_context

PG_SKIP = postgres_unavailable_reason()


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param(
            "postgres", marks=[pytest.mark.server, pytest.mark.skipif(PG_SKIP is not None, reason=PG_SKIP or "")]
        ),
    ]
)
def ctx(request, tmp_path):
    with fresh_database_url(request.param, tmp_path) as url:
        c = app_context(tmp_path, database_url=url)
        yield c
        c.store.close()


def math_problem_id(ctx, tok) -> str:
    return next(p.id for p in student.catalogue(ctx, tok, domain="math"))


def test_first_run_and_signup(ctx):
    assert accounts.setup_needed(ctx)
    tok, _ = accounts.create_first_teacher(ctx, "boss", "bosspass1")
    assert not accounts.setup_needed(ctx)
    with pytest.raises(AuthError):
        accounts.create_first_teacher(ctx, "intruder", "intruder1")
    with pytest.raises(InputError):
        accounts.register_student(ctx, "kid", "kidpass12", "WRONG1")
    assert ctx.store.user_by_name("kid") is None  # nothing written for a bad join code
    klass = accounts.create_class(ctx, tok, "Maths")
    stok, user = accounts.register_student(ctx, "kid", "kidpass12", klass.join_code.lower())
    assert ctx.require(stok).id == user.id and [c.id for c in ctx.store.classes_of_student(user.id)] == [klass.id]


def test_admin_from_the_settings(ctx):
    assert accounts.bootstrap_admin(ctx, "root", "") is None and accounts.setup_needed(ctx)  # both are needed
    assert accounts.bootstrap_admin(ctx, "root", "rootpass1").role == "teacher"
    assert accounts.bootstrap_admin(ctx, "other", "otherpass1") is None  # only while no teacher exists


def test_check_text():
    assert check_text([{"type": "text", "text": " hi "}]) == ("hi", "")
    with pytest.raises(InputError):
        check_text("   ")
    text, notice = check_text("x" * (MAX_MESSAGE_CHARS + 10))
    assert len(text) == MAX_MESSAGE_CHARS and "only the first" in notice
    with pytest.raises(InputError):
        check_text(b"bytes")


def test_turns_recorded_before_reply_and_outcome(ctx, people):
    tok = people.student
    v = student.start(ctx, tok, math_problem_id(ctx, tok))
    assert v.messages[0]["role"] == "assistant" and v.progress and not any(p["resolved"] for p in v.progress)
    views = list(student.send(ctx, tok, v.session_id, "I'm not sure, maybe 1?"))
    turns = ctx.store.turns(v.session_id)
    assert [t.role for t in turns] == ["tutor", "student", "tutor"]
    assert turns[2].trace and turns[2].trace["node_id"] and turns[2].move and turns[2].guard is not None
    assert views[-1].messages[-1]["content"] == turns[2].text
    sess = ctx.store.get_session(v.session_id)
    assert sess.policy == "tree" and sess.model == "none" and sess.class_id == people.klass.id


def test_class_policy_applies(ctx, people):
    accounts.update_class(ctx, people.teacher, people.klass.id, model="", policy="telling", allow_final_bottom_out=True)
    v = student.start(ctx, people.student, math_problem_id(ctx, people.student))
    assert ctx.store.get_session(v.session_id).policy == "telling"


def test_empty_and_huge_messages(ctx, people):
    tok = people.student
    v = student.start(ctx, tok, math_problem_id(ctx, tok))
    with pytest.raises(InputError):
        list(student.send(ctx, tok, v.session_id, ""))
    assert len(ctx.store.turns(v.session_id)) == 1  # nothing written
    last = list(student.send(ctx, tok, v.session_id, "7 " * 5000))[-1]
    assert "only the first" in last.notice
    assert len(ctx.store.turns(v.session_id)[1].text) <= MAX_MESSAGE_CHARS


def test_resume_by_replay_after_restart(ctx, people, tmp_path):
    tok = people.student
    v = student.start(ctx, tok, math_problem_id(ctx, tok))
    for msg in ["I don't know", "maybe 3"]:
        list(student.send(ctx, tok, v.session_id, msg))
    before = ctx.live[v.session_id]
    n_before = len(before.trace)
    # a "restarted server": a new context over the same database, no live tutor in memory
    ctx2 = AppContext(ctx.settings, store=ctx.store)
    # the server died after recording the student's next message but before the tutor's reply
    ctx2.store.add_turn(v.session_id, "student", "is it 5?")
    view = student.open_session(ctx2, tok, v.session_id)
    rebuilt = ctx2.live[v.session_id]
    assert len(rebuilt.trace) == n_before + 1
    roles = [t.role for t in ctx2.store.turns(v.session_id)]
    assert roles == [
        "tutor",
        "student",
        "tutor",
        "student",
        "tutor",
        "student",
        "tutor",
    ]  # the missing reply was recorded
    assert view.messages[-1]["role"] == "assistant"
    final = list(student.send(ctx2, tok, v.session_id, "I'm stuck"))[-1]
    assert len(final.messages) == 9


def test_students_cannot_read_others_or_teacher_data(ctx, people):
    tok = people.student
    v = student.start(ctx, tok, math_problem_id(ctx, tok))
    other_tok, _ = accounts.register_student(ctx, "other", "otherpass1", people.klass.join_code)
    with pytest.raises(AuthError):
        student.open_session(ctx, other_tok, v.session_id)
    with pytest.raises(AuthError):
        list(student.send(ctx, other_tok, v.session_id, "hi"))
    for call in (
        lambda: teacher.transcripts(ctx, tok),
        lambda: teacher.export(ctx, tok, "csv"),
        lambda: teacher.mastery(ctx, tok),
    ):
        with pytest.raises(AuthError):
            call()
    lone_teacher = ctx.store.create_user("lone", "lonepass1", "teacher")
    lone_tok = ctx.store.issue_token(lone_teacher.id)
    with pytest.raises(AuthError):
        teacher.transcript(ctx, lone_tok, v.session_id)
    assert teacher.transcripts(ctx, lone_tok) == []


def test_teacher_review_annotate_export_mastery(ctx, people):
    tok = people.student
    v = student.start(ctx, tok, math_problem_id(ctx, tok))
    list(student.send(ctx, tok, v.session_id, "I think it is 2"))
    t = teacher.transcript(ctx, people.teacher, v.session_id)
    assert "decision trace" in t.html and "node" in t.html
    teacher.annotate(ctx, people.teacher, v.session_id, 2, "nice probe", True)
    flagged = teacher.transcripts(ctx, people.teacher, teacher.make_filter(flagged=True))
    assert [s.id for s in flagged] == [v.session_id]
    path = teacher.export(ctx, people.teacher, "csv")
    assert "nice probe" in path.read_text() and path.parent == ctx.settings.data_dir / "exports"
    headers, rows = teacher.mastery(ctx, people.teacher)
    assert headers[0] == "student" and rows and rows[0][0] == "stud" and len(headers) > 1
    with pytest.raises(InputError):
        teacher.make_filter(since="yesterday")


def test_custom_code_problem(ctx, people):
    tok = people.student
    code = "def add(a, b):\n    return a - b\n"
    v = student.start_custom(ctx, tok, code, "assert add(2, 3) == 5")
    assert v.problem_id.startswith("own-") and "add" in v.intro
    with pytest.raises(InputError, match="passes already"):
        student.start_custom(ctx, tok, "def add(a, b):\n    return a + b\n", "assert add(2, 3) == 5")
    with pytest.raises(InputError):
        student.start_custom(ctx, tok, "x = 1", "assert x == 2")
    with pytest.raises(InputError):
        student.start_custom(ctx, tok, code, "assert add(2, 3) ==")
    n = len(ctx.store.list_sessions())
    with pytest.raises(InputError):
        student.start_custom(ctx, tok, code, "")
    assert len(ctx.store.list_sessions()) == n


def test_import_rejects_bad_files_and_writes_nothing(ctx, people, tmp_path):
    tok = people.teacher
    bad_bytes = tmp_path / "latin1.json"
    bad_bytes.write_bytes('{"title": "caf\xe9"}'.encode("latin-1"))
    with pytest.raises(InputError, match="UTF-8"):
        authoring.import_problems(ctx, tok, str(bad_bytes))
    good = {
        "id": "t-ok",
        "domain": "math",
        "title": "OK",
        "statement": "1+1?",
        "steps": [{"description": "add", "expression": "1+1", "value": 2}],
        "answer": 2,
    }
    broken = {**good, "id": "t-broken", "answer": None}
    mixed = tmp_path / "mixed.json"
    mixed.write_text(json.dumps([good, broken]))
    with pytest.raises(RecoverableError):
        authoring.import_problems(ctx, tok, str(mixed))
    assert ctx.store.list_problems() == []
    (tmp_path / "garbage.yaml").write_text("problems: [unclosed")
    with pytest.raises(RecoverableError):
        authoring.import_problems(ctx, tok, str(tmp_path / "garbage.yaml"))
    ok = tmp_path / "ok.json"
    ok.write_text(json.dumps([good]))
    ids, _ = authoring.import_problems(ctx, tok, str(ok))
    assert ids == ["t-ok"] and ctx.store.get_problem("t-ok") is not None
    with pytest.raises(AuthError):
        authoring.import_problems(ctx, people.student, str(ok))


def test_add_problem_and_edit_tree(ctx, people):
    tok = people.teacher
    p = authoring.add_math_problem(
        ctx,
        tok,
        title="Pens",
        statement="3 pens at $2 each and a $1 eraser: total?",
        steps="Cost of pens | 3 * 2 | 6\nAdd the eraser | 6 + 1 | 7",
        answer="7",
        skills="money",
    )
    assert p.tree is not None and ctx.store.get_problem(p.id)
    text = authoring.tree_text(ctx, tok, p.id)
    data = json.loads(text)
    data["nodes"][0]["concept"] = "Edited concept"
    authoring.save_tree(ctx, tok, p.id, json.dumps(data))
    assert ctx.problem(p.id).tree.nodes[0].concept == "Edited concept"
    assert ctx.problem(p.id).tree.source == "teacher"
    for bad in ("{not json", json.dumps({"nodes": []}), json.dumps({**data, "problem_id": "other"})):
        with pytest.raises(InputError):
            authoring.save_tree(ctx, tok, p.id, bad)
    assert ctx.problem(p.id).tree.nodes[0].concept == "Edited concept"  # unchanged by the failures
    with pytest.raises(InputError):
        authoring.add_math_problem(ctx, tok, title="Bad", statement="s", steps="only two | parts", answer="1")
    with pytest.raises(InputError):
        authoring.add_math_problem(ctx, tok, title="Bad", statement="s", steps="a | 1 | 1", answer="one")


def test_stuck_restart_and_history(ctx, people):
    tok = people.student
    v = student.start(ctx, tok, math_problem_id(ctx, tok))
    after = list(student.stuck(ctx, tok, v.session_id))[-1]
    turns = ctx.store.turns(v.session_id)
    assert turns[1].text == student.STUCK_MESSAGE and turns[2].trace["intent"] and len(after.messages) == 3
    fresh = student.restart(ctx, tok, v.session_id)
    assert fresh.session_id != v.session_id and fresh.problem_id == v.problem_id and len(fresh.messages) == 1
    assert ctx.store.get_session(v.session_id).outcome == "restarted"
    with pytest.raises(InputError):
        list(student.send(ctx, tok, v.session_id, "one more"))  # a finished session takes no more turns
    assert [s.id for s in student.my_sessions(ctx, tok)] == [fresh.session_id, v.session_id]
    old = student.open_session(ctx, tok, v.session_id)
    assert old.outcome == "restarted" and len(old.messages) == 3


def test_solving_ends_the_session(ctx, people):
    tok = people.student
    problem = ctx.problem("math-trail-mix")
    v = student.start(ctx, tok, problem.id)
    for step in problem.steps:
        last = list(student.send(ctx, tok, v.session_id, f"I get {step.value:g}"))[-1]
    assert last.outcome == "solved" and all(p["resolved"] for p in last.progress)
    assert ctx.store.get_session(v.session_id).ended_at
