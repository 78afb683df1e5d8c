"""The Gradio layout: login, then Student / Teacher / Rehearse / Evaluate tabs. Handlers are thin: they verify
the session token through the services (server side, every call) and map results to components."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from ui import accounts, labs_blocks, login_blocks, offload, render, student, teacher_blocks
from ui.choices import ALL, DIFFICULTIES, DOMAINS, problem_choices, session_choices
from ui.context import AppContext
from ui.handlers import Tab, Updates, need, safe
from ui.login_blocks import RoleTab

CSS = """
.progress-strip {display:flex; flex-wrap:wrap; gap:6px; align-items:center; font-size:0.9em}
.progress-strip .node {padding:2px 8px; border-radius:12px; border:1px solid #ccc}
.progress-strip .node.done {background:#dff5e3; border-color:#5cb85c}
.progress-strip .node.todo {background:#f5f5f5; color:#666}
table.transcript {width:100%; border-collapse:collapse; font-size:0.9em}
table.transcript td {vertical-align:top; border-bottom:1px solid #ddd; padding:6px}
table.transcript td.text pre {white-space:pre-wrap; margin:0; font-family:inherit}
table.transcript td.trace {width:40%; background:#f8f9fb; font-size:0.85em}
table.transcript tr.student td.who {color:#1a5fb4} table.transcript tr.tutor td.who {color:#26a269}
.note {color:#a51d2d; font-size:0.85em; margin-top:4px}
"""


# Students' turns are async handlers with no concurrency limit: each turn runs on a thread of its own (ui.offload,
# at most MAX_TURNS in flight, then "the tutor is busy"), so a turn whose code sleeps or loops (waiting for a
# sandbox slot, then to the wall timeout) holds neither a Gradio worker nor a thread of the shared pool; forty such
# turns used to stall every other student. The queue holds at most QUEUE_SIZE events waiting to start.
QUEUE_SIZE = offload.MAX_TURNS
PICK = "Pick a problem on the left and press **Start**."


def chat_handler(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A student's turn as an async (generator) handler run through ui.offload; "busy" becomes a Gradio error."""
    return offload.handler(fn, on_busy=lambda exc: gr.Error(exc.user_message))


def build_ui(ctx: AppContext) -> gr.Blocks:
    with gr.Blocks(title="Socratic tutor") as demo:
        head = login_blocks.header()
        panel = login_blocks.login_panel()
        with gr.Tabs(visible=False, elem_id="main-tabs") as main_tabs:
            with gr.Tab("Student", id="student", visible=False, elem_id="tab-student") as student_tab:
                st = _student_tab(ctx, head.token)
            with gr.Tab("Teacher", id="teacher", visible=False, elem_id="tab-teacher") as teacher_tab:
                te = teacher_blocks.teacher_tab(ctx, head.token)
            with gr.Tab("Rehearse", id="rehearse", visible=False, elem_id="tab-rehearse") as rehearse_tab:
                re_ = labs_blocks.rehearse_tab(ctx, head.token)
            with gr.Tab("Evaluate", id="evaluate", visible=False, elem_id="tab-evaluate") as evaluate_tab:
                ev = labs_blocks.evaluate_tab(ctx, head.token)
        login_blocks.wire(ctx, demo, head, panel, main_tabs, [
            RoleTab(student_tab, "student", st), RoleTab(teacher_tab, "teacher", te),
            RoleTab(rehearse_tab, "teacher", re_), RoleTab(evaluate_tab, "teacher", ev),
        ])
    # Several students chat at once; an in-process model serialises its own calls, a model server takes them in parallel.
    demo.queue(default_concurrency_limit=8, max_size=QUEUE_SIZE)
    return demo


def _student_tab(ctx: AppContext, token: gr.State) -> Tab:
    sid = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            gr.Markdown("#### Choose a problem")
            query = gr.Textbox(label="Search problems", placeholder="e.g. sharing pizza fairly, off-by-one loop",
                               elem_id="problem-search", lines=1, max_lines=1)
            domain = gr.Dropdown([ALL, *DOMAINS], value=ALL, label="Subject")
            skill = gr.Dropdown([ALL], value=ALL, label="Skill")
            difficulty = gr.Dropdown([ALL, *DIFFICULTIES], value=ALL, label="Difficulty")
            problem = gr.Dropdown([], label="Problem", elem_id="problem-pick")
            start_btn = gr.Button("Start", variant="primary", elem_id="start-btn")
            with gr.Accordion("…or work on your own buggy Python", open=False):
                own_code = gr.Code(label="Your code", language="python", lines=8)
                own_test = gr.Textbox(label="A failing test (e.g. assert add(2, 3) == 5)", lines=2)
                own_btn = gr.Button("Start with my code")
            gr.Markdown("#### My sessions")
            past = gr.Dropdown([], label="Resume a session", elem_id="past-sessions")
            resume_btn = gr.Button("Open")
            with gr.Accordion("Join another class", open=False):
                join_code = gr.Textbox(label="Join code")
                join_btn = gr.Button("Join")
        with gr.Column(scale=3):
            intro = gr.Markdown(PICK, elem_id="intro", latex_delimiters=render.LATEX_DELIMITERS)
            strip = gr.HTML("", elem_id="progress")
            chat = gr.Chatbot(label="Tutor", elem_id="chat", height=460, latex_delimiters=render.LATEX_DELIMITERS,
                              buttons=["copy"], feedback_options=None, placeholder="Your conversation appears here.")
            with gr.Row():
                msg = gr.Textbox(placeholder="Type your answer or question…", show_label=False, scale=5, elem_id="msg", lines=1, max_lines=12)
                send_btn = gr.Button("Send", variant="primary", scale=1, elem_id="send-btn")
            with gr.Row():
                stuck_btn = gr.Button("I'm stuck", elem_id="stuck-btn")
                over_btn = gr.Button("Start over", elem_id="restart-btn")
            notice = gr.Markdown("", elem_id="notice")

    def show(v: student.SessionView) -> Updates:
        status = "**Solved!** Pick another problem or start over." if v.outcome == "solved" else (
            "This session has ended." if v.outcome != "active" else "")
        return {sid: v.session_id, intro: v.intro, strip: render.progress_html(v.progress, v.outcome), chat: v.messages,
                notice: " ".join(x for x in (v.notice, status) if x)}

    def my_sessions(tok: str) -> Any:
        return gr.update(choices=session_choices(student.my_sessions(ctx, tok)), value=None)

    view_outputs = [sid, intro, strip, chat, notice]

    def refresh_filters(tok: str, d: str, s: str, f: str, q: str) -> Any:
        choices = problem_choices(ctx, tok, d, s, f, q)
        return gr.update(choices=choices, value=choices[0][1] if (q or "").strip() and choices else None)

    filters = [token, domain, skill, difficulty, query]
    for comp in (domain, skill, difficulty):
        comp.input(safe(refresh_filters), filters, problem, api_visibility="private")
    query.submit(safe(refresh_filters), filters, problem, api_name="search_problems")
    query.input(safe(refresh_filters), filters, problem, api_visibility="private", trigger_mode="always_last")

    @safe
    def do_start(tok: str, pid: str) -> Updates:
        return {**show(student.start(ctx, tok, pid)), past: my_sessions(tok)}

    @safe
    def do_own(tok: str, code: str, test: str) -> Updates:
        return {**show(student.start_custom(ctx, tok, code, test)), past: my_sessions(tok)}

    @safe
    def do_send(tok: str, session_id: Any, text: str) -> Any:
        need(session_id, "Start a problem first.")
        for v in student.send(ctx, tok, session_id, text):
            yield {**show(v), msg: ""}

    @safe
    def do_stuck(tok: str, session_id: Any) -> Any:
        need(session_id, "Start a problem first.")
        for v in student.stuck(ctx, tok, session_id):
            yield show(v)

    @safe
    def do_restart(tok: str, session_id: Any) -> Updates:
        need(session_id, "Start a problem first.")
        return {**show(student.restart(ctx, tok, session_id)), past: my_sessions(tok)}

    @safe
    def do_resume(tok: str, session_id: Any) -> Updates:
        need(session_id, "Choose one of your sessions.")
        return show(student.open_session(ctx, tok, session_id))

    @safe
    def do_join(tok: str, code: str) -> str:
        klass = accounts.join_class(ctx, tok, code)
        return f"You joined **{klass.name}**."

    do_start, do_own, do_send, do_stuck, do_restart, do_resume = map(chat_handler, (do_start, do_own, do_send, do_stuck,
                                                                                    do_restart, do_resume))
    pool = {"concurrency_limit": None}
    start_btn.click(do_start, [token, problem], [*view_outputs, past], api_name="start_problem", **pool)
    own_btn.click(do_own, [token, own_code, own_test], [*view_outputs, past], api_name="start_own_code", **pool)
    send_btn.click(do_send, [token, sid, msg], [*view_outputs, msg], api_name="send", **pool)
    msg.submit(do_send, [token, sid, msg], [*view_outputs, msg], api_visibility="private", **pool)
    stuck_btn.click(do_stuck, [token, sid], view_outputs, api_name="stuck", **pool)
    over_btn.click(do_restart, [token, sid], [*view_outputs, past], api_name="start_over", **pool)
    resume_btn.click(do_resume, [token, past], view_outputs, api_name="resume", **pool)
    join_btn.click(do_join, [token, join_code], notice, api_name="join_class")

    def on_login(tok: str) -> Updates:
        skills = sorted({s for p in student.catalogue(ctx, tok) for s in p.skills})
        return {problem: gr.update(choices=problem_choices(ctx, tok), value=None), skill: gr.update(choices=[ALL, *skills], value=ALL),
                past: my_sessions(tok), sid: None, chat: [], strip: "", intro: PICK, query: ""}

    def blank() -> Updates:
        return {problem: gr.update(choices=[], value=None), skill: gr.update(choices=[ALL], value=ALL), past: gr.update(choices=[], value=None),
                sid: None, chat: [], strip: "", intro: "", query: ""}

    return Tab([problem, skill, past, sid, chat, strip, intro, query], on_login, blank)
