"""The login panel (log in, a student's sign-up with a join code, the first-run teacher account) and what logging
in and out does to every tab."""

from __future__ import annotations

from dataclasses import dataclass

import gradio as gr

from store import User
from store.types import Role
from ui import accounts
from ui.context import AppContext
from ui.handlers import Tab, Updates, client_address, safe

# After login the token goes, once, from a hidden box to /api/v1/browser-session, which sets it as an HttpOnly cookie
# for Gradio's file and upload routes (ui.web.Guard checks it there); the box is emptied in the same step.
COOKIE_JS = """async (t) => {
  if (t) { await fetch('api/v1/browser-session', {method: 'POST', headers: {Authorization: 'Bearer ' + t}}); }
  return '';
}"""
CLEAR_COOKIE_JS = """async () => { await fetch('api/v1/browser-session', {method: 'DELETE'}); }"""

SETUP_NOTE = (
    "**First run:** no teacher account exists yet. Create it in the *First run* tab (or set "
    "TUTOR_ADMIN_USERNAME and TUTOR_ADMIN_PASSWORD before starting)."
)


@dataclass(frozen=True)
class Header:
    """The row above the tabs, the session token, and the hidden box that hands the token to the cookie route."""

    token: gr.State
    browser_token: gr.Textbox
    whoami: gr.Markdown
    logout_btn: gr.Button


@dataclass(frozen=True)
class RoleTab:
    """A main tab, the role that sees it, and what it fills at login."""

    tab: gr.Tab
    role: Role
    content: Tab


def header() -> Header:
    token = gr.State(None)
    browser_token = gr.Textbox(visible=False, elem_id="browser-token")
    with gr.Row():
        gr.Markdown("## Socratic tutor")
        whoami = gr.Markdown("", elem_id="whoami")
        logout_btn = gr.Button("Log out", visible=False, size="sm", scale=0, elem_id="logout")
    return Header(token, browser_token, whoami, logout_btn)


@dataclass(frozen=True)
class LoginPanel:
    column: gr.Column
    setup_note: gr.Markdown
    setup_tab: gr.Tab
    username: gr.Textbox
    password: gr.Textbox
    login_btn: gr.Button
    su_user: gr.Textbox
    su_pass: gr.Textbox
    su_code: gr.Textbox
    su_btn: gr.Button
    ft_user: gr.Textbox
    ft_pass: gr.Textbox
    ft_btn: gr.Button
    login_msg: gr.Markdown


def login_panel() -> LoginPanel:
    """Build the panel (its events are wired by `wire`, once the tabs it fills exist)."""
    with gr.Column(visible=True, elem_id="login-panel") as column:
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
    return LoginPanel(
        column,
        setup_note,
        setup_tab,
        username,
        password,
        login_btn,
        su_user,
        su_pass,
        su_code,
        su_btn,
        ft_user,
        ft_pass,
        ft_btn,
        login_msg,
    )


def wire(
    ctx: AppContext, demo: gr.Blocks, head: Header, panel: LoginPanel, main_tabs: gr.Tabs, tabs: list[RoleTab]
) -> None:
    """Log in, sign up, first teacher and log out: each shows the tabs of the user's role, filled for them, and
    blanks the others; a failure shows its message under the panel."""
    shown = [
        head.token,
        head.whoami,
        head.logout_btn,
        panel.column,
        main_tabs,
        panel.login_msg,
        head.browser_token,
        *(t.tab for t in tabs),
        *(c for t in tabs for c in t.content.outputs),
    ]

    def enter(tok: str, user: User) -> Updates:
        out: Updates = {
            head.token: tok,
            head.whoami: f"Logged in as **{user.display_name or user.username}** ({user.role})",
            head.logout_btn: gr.update(visible=True),
            panel.column: gr.update(visible=False),
            main_tabs: gr.update(visible=True, selected="teacher" if user.role == "teacher" else "student"),
            panel.login_msg: "",
            head.browser_token: tok,
        }
        for t in tabs:
            mine = t.role == user.role
            out[t.tab] = gr.update(visible=mine)
            out.update(t.content.on_login(tok) if mine else t.content.blank())
        return out

    failed = safe(show=panel.login_msg, also={head.token: None, head.whoami: ""})

    @failed
    def do_login(u: str, p: str, request: gr.Request) -> Updates:
        return enter(*accounts.login(ctx, u, p, client=client_address(request)))

    @failed
    def do_signup(u: str, p: str, code: str, request: gr.Request) -> Updates:
        return enter(*accounts.register_student(ctx, u, p, code, client=client_address(request)))

    @failed
    def do_setup(u: str, p: str) -> Updates:
        return enter(*accounts.create_first_teacher(ctx, u, p))

    def do_logout(tok: str) -> Updates:
        accounts.logout(ctx, tok)
        hide = gr.update(visible=False)
        out: Updates = {
            head.token: None,
            head.whoami: "",
            head.logout_btn: hide,
            panel.column: gr.update(visible=True),
            main_tabs: hide,
            panel.login_msg: "Logged out.",
            head.browser_token: "",
        }
        for t in tabs:
            out[t.tab] = hide
            out.update(t.content.blank())
        return out

    for event, fn, inputs, name in (
        (panel.login_btn.click, do_login, [panel.username, panel.password], "login"),
        (panel.password.submit, do_login, [panel.username, panel.password], None),
        (panel.su_btn.click, do_signup, [panel.su_user, panel.su_pass, panel.su_code], "signup"),
        (panel.ft_btn.click, do_setup, [panel.ft_user, panel.ft_pass], "first_teacher"),
    ):
        vis = {"api_name": name} if name else {"api_visibility": "private"}
        event(fn, inputs, shown, **vis).then(None, [head.browser_token], [head.browser_token], js=COOKIE_JS)
    head.logout_btn.click(do_logout, [head.token], shown, api_name="logout").then(None, None, None, js=CLEAR_COOKIE_JS)

    def on_load() -> Updates:
        need = accounts.setup_needed(ctx)
        return {panel.setup_note: SETUP_NOTE if need else "", panel.setup_tab: gr.update(visible=need)}

    demo.load(on_load, None, [panel.setup_note, panel.setup_tab], api_visibility="private")
