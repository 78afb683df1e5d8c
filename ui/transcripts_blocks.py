"""The Teacher tab's Transcripts (filter, page, read with decision traces, annotate, export) and Mastery views."""

from __future__ import annotations

from typing import Any

import gradio as gr

from store import session_cursor, visible_controls
from ui import accounts, render, teacher
from ui.choices import ALL, OUTCOMES, class_filter_choices, transcript_choices, turn_choices
from ui.context import AppContext
from ui.handlers import Tab, Updates, safe


def transcripts_tab(ctx: AppContext, token: gr.State) -> tuple[Tab, gr.Dropdown]:
    """The Transcripts view, and its class filter (the Classes view refreshes its choices)."""
    with gr.Row():
        f_class = gr.Dropdown([("all classes", ALL)], value=ALL, label="Class")
        f_student = gr.Dropdown([("all students", ALL)], value=ALL, label="Student")
        f_problem = gr.Dropdown([ALL], value=ALL, label="Problem")
        f_outcome = gr.Dropdown([ALL, *OUTCOMES], value=ALL, label="Outcome")
    with gr.Row():
        f_flagged = gr.Checkbox(label="Flagged only")
        f_since = gr.Textbox(label="From (YYYY-MM-DD)", placeholder="2026-11-01")
        f_until = gr.Textbox(label="To (YYYY-MM-DD)")
        search_btn = gr.Button("Show transcripts", variant="primary", elem_id="search-btn")
        older_btn = gr.Button("Next page (older)", elem_id="older-btn")
    cursor = gr.State("")  # the cursor of the page shown ("" on the first page or when it was the last)
    table = gr.Dataframe(headers=render.SESSION_HEADERS, value=[], interactive=False, elem_id="sessions", wrap=True)
    with gr.Row():
        pick = gr.Dropdown([], label="Open transcript", elem_id="open-transcript", scale=3)
        open_btn = gr.Button("Open", scale=1, elem_id="open-btn")
    transcript = gr.HTML("", elem_id="transcript")
    with gr.Row():
        turn_pick = gr.Dropdown([], label="Turn", elem_id="turn-pick")
        comment = gr.Textbox(label="Comment", elem_id="comment", scale=3)
        flag = gr.Checkbox(label="Flag this turn", elem_id="flag")
        note_btn = gr.Button("Save note", elem_id="note-btn")
    with gr.Row():
        fmt = gr.Radio(["csv", "jsonl"], value="csv", label="Export format")
        export_btn = gr.Button("Export filtered transcripts", elem_id="export-btn")
        export_file = gr.File(label="Download", elem_id="export-file", height=90, interactive=False)
    t_msg = gr.Markdown("", elem_id="teacher-msg")

    filters = [f_class, f_student, f_problem, f_outcome, f_flagged, f_since, f_until]
    listing = [table, pick, t_msg, cursor]

    def page(tok: str, after: str | None, f: tuple[Any, ...]) -> Updates:
        sessions = teacher.transcripts(ctx, tok, teacher.make_filter(*f), after=after or None)
        choices = transcript_choices(sessions)
        more = len(sessions) == teacher.PAGE_SIZE
        return {
            table: render.session_rows(sessions),
            pick: gr.update(choices=choices, value=choices[0][1] if choices else None),
            t_msg: f"{len(sessions)} transcripts" + ("; more on the next page." if more else "."),
            cursor: session_cursor(sessions[-1]) if more else "",
        }

    @safe
    def search(tok: str, *f: Any) -> Updates:
        return page(tok, None, f)

    @safe
    def older(tok: str, after: str, *f: Any) -> Updates:
        if not after:
            return {t_msg: "This is the last page; press Show transcripts to start again.", cursor: ""}
        return page(tok, after, f)

    def shown(tok: str, session_id: Any) -> Updates:
        t = teacher.transcript(ctx, tok, session_id)
        s = t.session
        return {
            transcript: t.html,
            turn_pick: gr.update(choices=turn_choices(t.turns), value=None),
            t_msg: f"**#{s.id}** {s.student_name} · {s.problem_id} · policy {s.policy} · model {s.model} · {s.outcome}",
        }

    @safe
    def open_transcript(tok: str, session_id: Any) -> Updates:
        return shown(tok, session_id)

    @safe
    def save_note(tok: str, session_id: Any, idx: Any, text: str, fl: bool) -> Updates:
        teacher.annotate(ctx, tok, session_id, idx, text, fl)
        return {transcript: shown(tok, session_id)[transcript], comment: "", flag: False, t_msg: "Note saved."}

    @safe
    def do_export(tok: str, f: str, *fs: Any) -> Updates:
        path = teacher.export(ctx, tok, f, teacher.make_filter(*fs))
        return {export_file: str(path), t_msg: f"Exported to {path.name}."}

    search_btn.click(search, [token, *filters], listing, api_name="teacher_transcripts")
    older_btn.click(older, [token, cursor, *filters], listing, api_name="teacher_transcripts_older")
    open_btn.click(open_transcript, [token, pick], [transcript, turn_pick, t_msg], api_name="teacher_transcript")
    pick.input(open_transcript, [token, pick], [transcript, turn_pick, t_msg], api_visibility="private")
    note_btn.click(
        save_note,
        [token, pick, turn_pick, comment, flag],
        [transcript, comment, flag, t_msg],
        api_name="teacher_annotate",
    )
    export_btn.click(do_export, [token, fmt, *filters], [export_file, t_msg], api_name="teacher_export")

    def on_login(tok: str) -> Updates:
        students = ctx.store.students_of_teacher(ctx.require(tok, "teacher").id)
        names = [(visible_controls(u.display_name or u.username), str(u.id)) for u in students]
        problems = teacher.transcript_problems(ctx, tok)
        first = search(tok, ALL, ALL, ALL, ALL, False, "", "")
        return {
            f_class: gr.update(choices=class_filter_choices(accounts.my_classes(ctx, tok)), value=ALL),
            f_student: gr.update(choices=[("all students", ALL), *names], value=ALL),
            f_problem: gr.update(choices=[ALL, *problems], value=ALL),
            table: first[table],
            pick: first[pick],
            transcript: "",
            cursor: first[cursor],
        }

    def blank() -> Updates:
        return {
            f_class: gr.update(choices=[("all classes", ALL)], value=ALL),
            f_student: gr.update(choices=[("all students", ALL)], value=ALL),
            f_problem: gr.update(choices=[ALL], value=ALL),
            table: [],
            pick: gr.update(choices=[], value=None),
            transcript: "",
            cursor: "",
        }

    return Tab([f_class, f_student, f_problem, table, pick, transcript, cursor], on_login, blank), f_class


def mastery_tab(ctx: AppContext, token: gr.State) -> tuple[Tab, gr.Dropdown]:
    """The Mastery view (BKT per student and skill), and its class filter."""
    m_class = gr.Dropdown([("all classes", ALL)], value=ALL, label="Class")
    m_btn = gr.Button("Refresh")
    m_table = gr.Dataframe(value=[], interactive=False, label="BKT mastery per student and skill (latest estimate)")

    @safe
    def do_mastery(tok: str, c: Any) -> Any:
        headers, rows = teacher.mastery(ctx, tok, c)
        return gr.update(value=rows or [["(no traces yet)"]], headers=headers if rows else ["student"])

    m_btn.click(do_mastery, [token, m_class], m_table, api_name="teacher_mastery")

    def on_login(tok: str) -> Updates:
        return {m_class: gr.update(choices=class_filter_choices(accounts.my_classes(ctx, tok)), value=ALL)}

    def blank() -> Updates:
        return {m_class: gr.update(choices=[("all classes", ALL)], value=ALL)}

    return Tab([m_class], on_login, blank), m_class
