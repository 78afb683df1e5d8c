"""The Student tab: choose or search a problem, chat with the tutor, resume past sessions, join a class. A
student's turn runs off Gradio's worker pool (ui.offload), so code that sleeps or loops never holds up others."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gradio as gr

from ui import accounts, offload, render, student
from ui.choices import ALL, DIFFICULTIES, DOMAINS, problem_choices, session_choices
from ui.context import AppContext
from ui.handlers import Tab, Updates, need, safe

PICK = "Pick a problem on the left and press **Start**."


def chat_handler(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A student's turn as an async (generator) handler run through ui.offload; "busy" becomes a Gradio error."""
    return offload.handler(fn, on_busy=lambda exc: gr.Error(exc.user_message))


def student_tab(ctx: AppContext, token: gr.State) -> Tab:
    sid = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            gr.Markdown("#### Choose a problem")
            query = gr.Textbox(
                label="Search problems",
                placeholder="e.g. sharing pizza fairly, off-by-one loop",
                elem_id="problem-search",
                lines=1,
                max_lines=1,
            )
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
            chat = gr.Chatbot(
                label="Tutor",
                elem_id="chat",
                height=460,
                latex_delimiters=render.LATEX_DELIMITERS,
                buttons=["copy"],
                feedback_options=None,
                placeholder="Your conversation appears here.",
            )
            with gr.Row():
                msg = gr.Textbox(
                    placeholder="Type your answer or question…",
                    show_label=False,
                    scale=5,
                    elem_id="msg",
                    lines=1,
                    max_lines=12,
                )
                send_btn = gr.Button("Send", variant="primary", scale=1, elem_id="send-btn")
            with gr.Row():
                stuck_btn = gr.Button("I'm stuck", elem_id="stuck-btn")
                over_btn = gr.Button("Start over", elem_id="restart-btn")
            notice = gr.Markdown("", elem_id="notice")

    def show(v: student.SessionView) -> Updates:
        status = (
            "**Solved!** Pick another problem or start over."
            if v.outcome == "solved"
            else ("This session has ended." if v.outcome != "active" else "")
        )
        return {
            sid: v.session_id,
            intro: v.intro,
            strip: render.progress_html(v.progress, v.outcome),
            chat: v.messages,
            notice: " ".join(x for x in (v.notice, status) if x),
        }

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

    do_start, do_own, do_send, do_stuck, do_restart, do_resume = map(
        chat_handler, (do_start, do_own, do_send, do_stuck, do_restart, do_resume)
    )
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
        return {
            problem: gr.update(choices=problem_choices(ctx, tok), value=None),
            skill: gr.update(choices=[ALL, *skills], value=ALL),
            past: my_sessions(tok),
            sid: None,
            chat: [],
            strip: "",
            intro: PICK,
            query: "",
        }

    def blank() -> Updates:
        return {
            problem: gr.update(choices=[], value=None),
            skill: gr.update(choices=[ALL], value=ALL),
            past: gr.update(choices=[], value=None),
            sid: None,
            chat: [],
            strip: "",
            intro: "",
            query: "",
        }

    return Tab([problem, skill, past, sid, chat, strip, intro, query], on_login, blank)
