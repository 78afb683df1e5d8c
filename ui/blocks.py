"""The Gradio layout: login, then Student / Teacher / Rehearse / Evaluate tabs. Handlers are thin: they verify
the session token through the services (server side, every call) and map results to components."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

import gradio as gr

from errors import RecoverableError
from store import visible_controls
from ui import accounts, offload, render, student
from ui.context import AppContext

log = logging.getLogger(__name__)

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


# After login the token goes, once, from a hidden box to /api/v1/browser-session, which sets it as an HttpOnly cookie
# for Gradio's file and upload routes (ui.web.Guard checks it there); the box is emptied in the same step.
COOKIE_JS = """async (t) => { if (t) { await fetch('api/v1/browser-session', {method: 'POST', headers: {Authorization: 'Bearer ' + t}}); } return ''; }"""
CLEAR_COOKIE_JS = """async () => { await fetch('api/v1/browser-session', {method: 'DELETE'}); }"""


# Students' turns are async handlers with no concurrency limit: each turn runs on a thread of its own (ui.offload,
# at most MAX_TURNS in flight, then "the tutor is busy"), so a turn whose code sleeps or loops (waiting for a
# sandbox slot, then to the wall timeout) holds neither a Gradio worker nor a thread of the shared pool; forty such
# turns used to stall every other student. The queue holds at most QUEUE_SIZE events waiting to start.
QUEUE_SIZE = offload.MAX_TURNS


def chat_handler(fn: Callable[..., Any]) -> Callable[..., Any]:
    """A student's turn as an async (generator) handler run through ui.offload; "busy" becomes a Gradio error."""
    return offload.handler(fn, on_busy=lambda exc: gr.Error(exc.user_message))


def safe(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Auth failures become a Gradio error (the call fails, also through the API); other recoverable errors too."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RecoverableError as exc:
            log.info("%s: %s", fn.__name__, exc.log_message)
            raise gr.Error(exc.user_message) from None

    return wrapper


def safe_gen(fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            yield from fn(*args, **kwargs)
        except RecoverableError as exc:
            log.info("%s: %s", fn.__name__, exc.log_message)
            raise gr.Error(exc.user_message) from None

    return wrapper


def client_address(request: Any) -> str:
    """The caller's address for the login throttle ("" when Gradio gives none)."""
    client = getattr(request, "client", None)
    return str(getattr(client, "host", "") or "")


def problem_choices(ctx: AppContext, token: str, domain: str = "all", skill: str = "all", difficulty: str = "all",
                    query: str = "") -> list[tuple[str, str]]:
    probs, _how = student.search(ctx, token, query or "", None if domain == "all" else domain, None if skill == "all" else skill,
                                 None if difficulty == "all" else difficulty)
    return [(visible_controls(f"{p.title} ({p.domain}, {p.difficulty})"), p.id) for p in probs]


def session_choices(sessions: list[Any]) -> list[tuple[str, int]]:
    return [(f"#{s.id} {s.problem_id} · {s.outcome} · {s.started_at[:16].replace('T', ' ')}", s.id) for s in sessions]


def build_ui(ctx: AppContext) -> gr.Blocks:
    from ui import labs_blocks, teacher_blocks

    with gr.Blocks(title="Socratic tutor") as demo:
        token = gr.State(None)
        browser_token = gr.Textbox(visible=False, elem_id="browser-token")
        with gr.Row():
            gr.Markdown("## Socratic tutor")
            whoami = gr.Markdown("", elem_id="whoami")
            logout_btn = gr.Button("Log out", visible=False, size="sm", scale=0, elem_id="logout")

        # ---------------------------------------------------------------- login / first run
        with gr.Column(visible=True, elem_id="login-panel") as login_panel:
            setup_note = gr.Markdown("")
            with gr.Tabs():
                with gr.Tab("Log in", id="login"):
                    username = gr.Textbox(label="Username", elem_id="username")
                    password = gr.Textbox(label="Password", type="password", elem_id="password")
                    login_btn = gr.Button("Log in", variant="primary", elem_id="login-btn")
                with gr.Tab("I'm a new student", id="signup"):
                    su_user = gr.Textbox(label="Choose a username")
                    su_pass = gr.Textbox(label="Choose a password (8+ characters)", type="password")
                    su_code = gr.Textbox(label="Class join code (from your teacher)")
                    su_btn = gr.Button("Create my account", variant="primary")
                with gr.Tab("First run: create the teacher account", id="setup") as setup_tab:
                    ft_user = gr.Textbox(label="Teacher username")
                    ft_pass = gr.Textbox(label="Password (8+ characters)", type="password")
                    ft_btn = gr.Button("Create teacher account", variant="primary")
            login_msg = gr.Markdown("", elem_id="login-msg")

        # ---------------------------------------------------------------- main tabs
        with gr.Tabs(visible=False, elem_id="main-tabs") as main_tabs:
            with gr.Tab("Student", id="student", visible=False, elem_id="tab-student") as student_tab:
                st = _student_tab(ctx, token)
            with gr.Tab("Teacher", id="teacher", visible=False, elem_id="tab-teacher") as teacher_tab:
                te = teacher_blocks.teacher_tab(ctx, token)
            with gr.Tab("Rehearse", id="rehearse", visible=False, elem_id="tab-rehearse") as rehearse_tab:
                re_ = labs_blocks.rehearse_tab(ctx, token)
            with gr.Tab("Evaluate", id="evaluate", visible=False, elem_id="tab-evaluate") as evaluate_tab:
                ev = labs_blocks.evaluate_tab(ctx, token)

        def enter(tok: str, user: Any) -> list[Any]:
            is_t = user.role == "teacher"
            outs: list[Any] = [
                tok, f"Logged in as **{user.display_name or user.username}** ({user.role})", gr.update(visible=True),
                gr.update(visible=False), gr.update(visible=True), "",
                gr.update(visible=not is_t), gr.update(visible=is_t), gr.update(visible=is_t), gr.update(visible=is_t),
                gr.update(selected="teacher" if is_t else "student"),
            ]
            outs += st["on_login"](tok) if not is_t else st["blank"]()
            outs += te["on_login"](tok) if is_t else te["blank"]()
            outs += re_["on_login"](tok) if is_t else re_["blank"]()
            outs += ev["on_login"](tok) if is_t else ev["blank"]()
            return outs + [tok]

        login_outputs = [token, whoami, logout_btn, login_panel, main_tabs, login_msg, student_tab, teacher_tab, rehearse_tab,
                         evaluate_tab, main_tabs, *st["login_outputs"], *te["login_outputs"], *re_["login_outputs"], *ev["login_outputs"], browser_token]

        def failed(msg: str) -> list[Any]:
            return [None, "", gr.update(), gr.update(), gr.update(), f"**Error:** {msg}"] + [gr.update()] * (len(login_outputs) - 6)

        def do_login(u: str, p: str, request: gr.Request) -> list[Any]:
            try:
                tok, user = accounts.login(ctx, u, p, client=client_address(request))
            except RecoverableError as exc:
                return failed(exc.user_message)
            return enter(tok, user)

        def do_signup(u: str, p: str, code: str, request: gr.Request) -> list[Any]:
            try:
                tok, user = accounts.register_student(ctx, u, p, code, client=client_address(request))
            except RecoverableError as exc:
                return failed(exc.user_message)
            return enter(tok, user)

        def do_setup(u: str, p: str) -> list[Any]:
            try:
                tok, user = accounts.create_first_teacher(ctx, u, p)
            except RecoverableError as exc:
                return failed(exc.user_message)
            return enter(tok, user)

        def do_logout(tok: str) -> list[Any]:
            accounts.logout(ctx, tok)
            hide = gr.update(visible=False)
            return [None, "", hide, gr.update(visible=True), hide, "Logged out.", hide, hide, hide, hide, gr.update()] + \
                st["blank"]() + te["blank"]() + re_["blank"]() + ev["blank"]() + [""]

        for ev_, fn, inputs, name in ((login_btn.click, do_login, [username, password], "login"),
                                      (password.submit, do_login, [username, password], None),
                                      (su_btn.click, do_signup, [su_user, su_pass, su_code], "signup"),
                                      (ft_btn.click, do_setup, [ft_user, ft_pass], "first_teacher")):
            vis = {"api_name": name} if name else {"api_visibility": "private"}
            ev_(fn, inputs, login_outputs, **vis).then(None, [browser_token], [browser_token], js=COOKIE_JS)
        logout_btn.click(do_logout, [token], login_outputs, api_name="logout").then(None, None, None, js=CLEAR_COOKIE_JS)

        def on_load() -> list[Any]:
            need = accounts.setup_needed(ctx)
            note = ("**First run:** no teacher account exists yet. Create it in the *First run* tab (or set "
                    "TUTOR_ADMIN_USERNAME and TUTOR_ADMIN_PASSWORD before starting).") if need else ""
            return [note, gr.update(visible=need)]

        demo.load(on_load, None, [setup_note, setup_tab], api_visibility="private")
    # Several students chat at once; an in-process model serialises its own calls, a model server takes them in parallel.
    demo.queue(default_concurrency_limit=8, max_size=QUEUE_SIZE)
    return demo


def _student_tab(ctx: AppContext, token: gr.State) -> dict[str, Any]:
    sid = gr.State(None)
    with gr.Row():
        with gr.Column(scale=1, min_width=280):
            gr.Markdown("#### Choose a problem")
            query = gr.Textbox(label="Search problems", placeholder="e.g. sharing pizza fairly, off-by-one loop",
                               elem_id="problem-search", lines=1, max_lines=1)
            domain = gr.Dropdown(["all", "math", "code"], value="all", label="Subject")
            skill = gr.Dropdown(["all"], value="all", label="Skill")
            difficulty = gr.Dropdown(["all", "easy", "medium", "hard"], value="all", label="Difficulty")
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
            intro = gr.Markdown("Pick a problem on the left and press **Start**.", elem_id="intro", latex_delimiters=render.LATEX_DELIMITERS)
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

    def show(v: student.SessionView) -> list[Any]:
        status = "**Solved!** Pick another problem or start over." if v.outcome == "solved" else (
            "This session has ended." if v.outcome != "active" else "")
        return [v.session_id, v.intro, render.progress_html(v.progress, v.outcome), v.messages, " ".join(x for x in (v.notice, status) if x)]

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
    def do_start(tok: str, pid: str) -> list[Any]:
        v = student.start(ctx, tok, pid)
        return show(v) + [gr.update(choices=session_choices(student.my_sessions(ctx, tok)), value=None)]

    @safe
    def do_own(tok: str, code: str, test: str) -> list[Any]:
        v = student.start_custom(ctx, tok, code, test)
        return show(v) + [gr.update(choices=session_choices(student.my_sessions(ctx, tok)), value=None)]

    @safe_gen
    def do_send(tok: str, session_id: Any, text: str) -> Any:
        if session_id is None:
            raise RecoverableError("Start a problem first.")
        for v in student.send(ctx, tok, session_id, text):
            yield show(v) + [""]

    @safe_gen
    def do_stuck(tok: str, session_id: Any) -> Any:
        if session_id is None:
            raise RecoverableError("Start a problem first.")
        for v in student.stuck(ctx, tok, session_id):
            yield show(v)

    @safe
    def do_restart(tok: str, session_id: Any) -> list[Any]:
        if session_id is None:
            raise RecoverableError("Start a problem first.")
        return show(student.restart(ctx, tok, session_id)) + [gr.update(choices=session_choices(student.my_sessions(ctx, tok)), value=None)]

    @safe
    def do_resume(tok: str, session_id: Any) -> list[Any]:
        if session_id in (None, ""):
            raise RecoverableError("Choose one of your sessions.")
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

    def on_login(tok: str) -> list[Any]:
        skills = sorted({s for p in student.catalogue(ctx, tok) for s in p.skills})
        return [gr.update(choices=problem_choices(ctx, tok), value=None), gr.update(choices=["all", *skills], value="all"),
                gr.update(choices=session_choices(student.my_sessions(ctx, tok)), value=None), None, [], "", "Pick a problem on the left and press **Start**.", ""]

    def blank() -> list[Any]:
        return [gr.update(choices=[], value=None), gr.update(choices=["all"], value="all"), gr.update(choices=[], value=None), None, [], "", "", ""]

    return {"on_login": on_login, "blank": blank, "login_outputs": [problem, skill, past, sid, chat, strip, intro, query]}
