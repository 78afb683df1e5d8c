"""The Gradio layer in process: each tab's handlers, called by their api names as Gradio calls them, update the
components they should (login and logout across all tabs, the teacher's tools, rehearsal, evaluation, the student's
views). Real SQLite store, templates; no server, no browser."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from gradio.exceptions import Error as GradioError

from ui.testing import Handlers

PROBLEM = "math-trail-mix"


@pytest.fixture
def ui(ctx):
    return Handlers(ctx)


def visible(update) -> bool | None:
    return update.get("visible") if isinstance(update, dict) else None


def choices(update) -> list:
    return [c[1] if isinstance(c, tuple | list) else c for c in update["choices"]]


def test_first_run_login_failure_and_logout(ui, ctx):
    out = ui.call("on_load")
    assert any("First run" in v for v in out.values() if isinstance(v, str))
    out = ui.call("first_teacher", "founder", "founderpass")
    assert "founder" in out[ui["whoami"]] and "(teacher)" in out[ui["whoami"]]
    assert visible(out[ui["tab-teacher"]]) is True and visible(out[ui["tab-student"]]) is False
    assert visible(out[ui["login-panel"]]) is False and out[ui["main-tabs"]].get("selected") == "teacher"
    token = out[ui["browser-token"]]
    assert ctx.store.user_for_token(token).username == "founder"

    again = ui.call("first_teacher", "second", "secondpass")
    assert "exists already" in out_text(again[ui["login-msg"]]) and ui["browser-token"] not in again  # left as it was
    bad = ui.call("login", "founder", "wrong-password")
    assert bad[ui["login-msg"]] == "**Error:** Wrong username or password." and ui["main-tabs"] not in bad
    assert bad[ui["whoami"]] == "" and [v for k, v in bad.items() if type(k).__name__ == "State"] == [None]  # no token

    out = ui.call("logout", token)
    assert out[ui["login-msg"]] == "Logged out." and visible(out[ui["login-panel"]]) is True
    assert visible(out[ui["tab-teacher"]]) is False and out[ui["whoami"]] == ""
    assert ctx.store.user_for_token(token) is None


def out_text(value) -> str:
    return value if isinstance(value, str) else ""


def test_student_signup_sees_only_the_student_tab(ui, people):
    out = ui.call("signup", "newkid", "newkidpass1", people.klass.join_code)
    assert visible(out[ui["tab-student"]]) is True and all(
        visible(out[ui[t]]) is False for t in ("tab-teacher", "tab-rehearse", "tab-evaluate")
    )
    assert PROBLEM in choices(out[ui["problem-pick"]]) and out[ui["main-tabs"]].get("selected") == "student"
    assert "all" in choices(out[ui["Skill"]])
    assert out[ui["sessions"]] == []  # the teacher's views are blanked for a student
    wrong = ui.call("signup", "other", "otherpass1", "NOPE")
    assert "Could not sign up" in wrong[ui["login-msg"]]


def test_student_starts_answers_resumes_and_joins(ui, people, ctx):
    tok = people.student
    out = ui.call("search_problems", tok, "all", "all", "all", "trail mix")
    assert out[ui["problem-pick"]]["value"] == PROBLEM
    out = ui.call("start_problem", tok, PROBLEM)
    sid = next(v for k, v in out.items() if isinstance(v, int))
    assert "Trail mix" in out[ui["intro"]] and out[ui["chat"]] and "node" in out[ui["progress"]]
    assert choices(out[ui["past-sessions"]]) == [sid]
    out = ui.call("send", tok, sid, "One batch is 7/8 cup")
    assert out[ui["msg"]] == "" and out[ui["chat"]][-2]["content"] == "One batch is 7/8 cup"
    assert 'class="node done"' in out[ui["progress"]]
    out = ui.call("resume", tok, sid)
    assert len(out[ui["chat"]]) == 3
    out = ui.call("stuck", tok, sid)
    assert len(out[ui["chat"]]) == 5
    with pytest.raises(GradioError, match="Start a problem first"):
        ui.call("send", tok, None, "hello")
    with pytest.raises(GradioError, match="Choose one of your sessions"):
        ui.call("resume", tok, "")
    out = ui.call("start_over", tok, sid)
    assert len(choices(out[ui["past-sessions"]])) == 2
    klass = ctx.store.create_class(people.t_user.id, "Period 2")
    assert ui.call("join_class", tok, klass.join_code)[ui["notice"]] == "You joined **Period 2**."
    with pytest.raises(GradioError, match="log in"):
        ui.call("start_problem", "not-a-token", PROBLEM)


def test_teacher_transcripts_notes_export_and_mastery(ui, people, ctx, tmp_path):
    ui.call("start_problem", people.student, PROBLEM)
    sid = ctx.store.list_sessions()[0].id
    ui.call("send", people.student, sid, "I added 1+3 and 2+8 so 4/10")
    tok = people.teacher
    out = ui.call("login", "teach", "teachpass1")
    assert visible(out[ui["tab-teacher"]]) is True and out[ui["sessions"]][0][0] == sid
    filters = ("all", "all", "all", "all", False, "", "")
    out = ui.call("teacher_transcripts", tok, *filters)
    assert out[ui["sessions"]][0][0] == sid and out[ui["open-transcript"]]["value"] == str(sid)
    assert out[ui["teacher-msg"]] == "1 transcripts."
    out = ui.call("teacher_transcripts_older", tok, "", *filters)
    assert "last page" in out[ui["teacher-msg"]]
    out = ui.call("teacher_transcript", tok, str(sid))
    assert "decision trace" in out[ui["transcript"]] and "2" in choices(out[ui["turn-pick"]])
    assert out[ui["teacher-msg"]].startswith(f"**#{sid}** stud")
    out = ui.call("teacher_annotate", tok, str(sid), "2", "Good probe", True)
    assert out[ui["teacher-msg"]] == "Note saved." and out[ui["comment"]] == "" and out[ui["flag"]] is False
    assert "Good probe" in out[ui["transcript"]]
    out = ui.call("teacher_export", tok, "csv", *filters)
    assert "Good probe" in Path(out[ui["export-file"]]).read_text() and out[ui["teacher-msg"]].startswith("Exported to")
    with pytest.raises(GradioError, match="date"):
        ui.call("teacher_transcripts", tok, "all", "all", "all", "all", False, "yesterday", "")
    out = ui.call("teacher_mastery", tok, "all")
    assert out[ui["BKT mastery per student and skill (latest estimate)"]]["headers"][0] == "student"
    with pytest.raises(GradioError, match="teacher account"):
        ui.call("teacher_transcripts", people.student, *filters)


def test_teacher_problems_trees_and_classes(ui, people, tmp_path):
    tok = people.teacher
    bad = tmp_path / "bad.json"
    bad.write_bytes(b'[{"id": "t-x", "domain": "math", "title": "caf\xe9"}]')
    out = ui.call("teacher_import", tok, str(bad))
    assert "**Error:**" in out[ui["problems-msg"]] and "not UTF-8" in out[ui["problems-msg"]]
    out = ui.call(
        "teacher_add_math",
        tok,
        "Pens",
        "3 pens at 2 each. Total?",
        "Price of 3 pens | 3 * 2 | 6",
        "6",
        "multiplication",
        "easy",
    )
    pid = out[ui["problems-msg"]].split("**")[1]
    tree_box = next(k for k in out if getattr(k, "label", None) == "Tree")
    assert pid.startswith("t-pens") and json.loads(out[tree_box])["problem_id"] == pid
    out = ui.call("teacher_add_math", tok, "", "", "", "x", "", "easy")
    assert "**Error:**" in out[ui["problems-msg"]]
    assert json.loads(ui.call("teacher_tree", tok, pid)[tree_box])["problem_id"] == pid
    out = ui.call("teacher_save_tree", tok, pid, "{not json")
    assert "**Error:**" in out[ui["problems-msg"]] and "nothing was saved" in out[ui["problems-msg"]]
    out = ui.call("teacher_save_tree", tok, pid, ui.call("teacher_tree", tok, pid)[tree_box])
    assert out[ui["problems-msg"]].startswith(f"Saved the tree of **{pid}**")
    out = ui.call("teacher_copy_problem", tok, PROBLEM)
    assert "copy" in out[ui["problems-msg"]]
    with pytest.raises(GradioError, match="Choose a problem"):
        ui.call("teacher_tree", tok, "")

    out = ui.call("teacher_create_class", tok, "Room 12")
    table = next(k for k in out if getattr(k, "headers", None) and "join code" in k.headers)
    assert [r[1] for r in out[table]] == ["Period 1", "Room 12"] and "Created **Room 12**" in next(
        v for v in out.values() if isinstance(v, str) and v.startswith("Created")
    )
    new_id = out[table][1][0]
    out = ui.call("teacher_class_settings", tok, str(new_id), "", "telling", True)
    assert out[table][1][4] == "telling" and out[table][1][5] == "yes"
    with pytest.raises(GradioError, match="not one of your classes"):
        ui.call("teacher_class_settings", tok, "999", "", "tree", False)


def test_rehearse_and_evaluate_tabs(ui, people):
    tok = people.teacher
    out = ui.call("rehearse", tok, PROBLEM, "tree", 2, 4)
    assert "of 2** simulated students" in out[ui["rehearse-summary"]]
    students = next(k for k in out if getattr(k, "label", None) == "Students")
    assert [r[0] for r in out[students]] == ["student1/typical", "student2/confused"]
    with pytest.raises(GradioError, match="Choose a problem"):
        ui.call("rehearse", tok, "", "tree", 2, 4)
    out = ui.call("eval_report", tok, "")
    runs = next(k for k in out if getattr(k, "label", None) == "Runs")
    assert out[runs] == []
    with pytest.raises(GradioError, match="at least one policy"):
        ui.call("eval_start", tok, "x", [], "", 0, 1, 4)
