"""The Rehearse and Evaluate tabs (teachers only)."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui import labs
from ui.choices import DOMAINS, POLICIES, problem_choices
from ui.context import AppContext
from ui.handlers import Tab, Updates, safe
from vocabulary import DEFAULT_POLICY


def rehearse_tab(ctx: AppContext, token: gr.State) -> Tab:
    gr.Markdown(
        "Try a problem on a small cohort of simulated students before class: see who solves it, where they "
        "stall, which question-tree nodes are never reached, and whether anything leaked. (Runs on templates, in "
        "seconds.)"
    )
    with gr.Row():
        problem = gr.Dropdown([], label="Problem", scale=3, elem_id="rehearse-problem")
        policy = gr.Radio(POLICIES, value=DEFAULT_POLICY, label="Policy")
        n = gr.Slider(1, 8, value=4, step=1, label="Students")
        turns = gr.Slider(2, 20, value=10, step=1, label="Max turns")
    run_btn = gr.Button("Rehearse", variant="primary", elem_id="rehearse-btn")
    summary = gr.Markdown("", elem_id="rehearse-summary")
    students = gr.Dataframe(
        headers=labs.STUDENT_HEADERS,
        value=[],
        interactive=False,
        label="Students",
        wrap=True,
        column_widths=["16%", "7%", "7%", "7%", "33%", "6%", "24%"],
    )
    nodes = gr.Dataframe(
        headers=labs.NODE_HEADERS,
        value=[],
        interactive=False,
        label="Question-tree nodes",
        wrap=True,
        column_widths=["14%", "66%", "10%", "10%"],
    )
    with gr.Accordion("Transcripts", open=False):
        transcripts = gr.Markdown("")

    @safe
    def run(tok: str, pid: str, pol: str, k: float, t: float) -> Updates:
        out = labs.rehearse(ctx, tok, pid, n_students=int(k), policy=pol, max_turns=int(t))
        return {summary: out.summary, students: out.students, nodes: out.nodes, transcripts: out.transcripts}

    run_btn.click(run, [token, problem, policy, n, turns], [summary, students, nodes, transcripts], api_name="rehearse")

    def on_login(tok: str) -> Updates:
        return {problem: gr.update(choices=problem_choices(ctx, tok), value=None)}

    def blank() -> Updates:
        return {problem: gr.update(choices=[], value=None)}

    return Tab([problem], on_login, blank)


def evaluate_tab(ctx: AppContext, token: gr.State) -> Tab:
    gr.Markdown(
        "Start a batch evaluation of tutor policies on the starter bank against simulated students "
        "(templates; for model runs use `python -m evals run CONFIG.yaml`). Reports appear below when a run is done."
    )
    with gr.Row():
        name = gr.Textbox(value="app-run", label="Run name (letters, digits, - _ .)")
        policies = gr.CheckboxGroup(POLICIES, value=[DEFAULT_POLICY, "telling"], label="Policies")
        domain = gr.Dropdown(["", *DOMAINS], value="", label="Domain (empty: both)")
    with gr.Row():
        limit = gr.Number(value=0, precision=0, label="Problems (0: all)")
        students = gr.Slider(1, 5, value=1, step=1, label="Students per problem")
        turns = gr.Slider(2, 20, value=12, step=1, label="Max turns")
        start = gr.Button("Start run", variant="primary")
    msg = gr.Markdown("")
    runs = gr.Dataframe(headers=labs.RUN_HEADERS, value=[], interactive=False, label="Runs")
    with gr.Row():
        pick = gr.Dropdown([], label="Show report of run")
        refresh = gr.Button("Refresh")
    metrics = gr.Dataframe(
        headers=labs.METRIC_HEADERS,
        value=[],
        interactive=False,
        label="Metrics (mean and bootstrap CI)",
        max_height=360,
    )
    plots = gr.Gallery(label="Plots", columns=2, height=440, object_fit="contain", preview=False)
    report_file = gr.File(label="Self-contained HTML report")

    def _runs(tok: str) -> Updates:
        rows = labs.eval_runs(ctx, tok)
        return {runs: rows, pick: gr.update(choices=[(f"#{r[0]} {r[1]} ({r[2]})", str(r[0])) for r in rows])}

    @safe
    def do_start(tok: str, nm: str, pols: list[str], dom: str, lim: float, k: float, t: float) -> Updates:
        run_id = labs.start_eval(
            ctx, tok, name=nm, policies=pols, domain=dom, limit=int(lim or 0) or None, students=int(k), max_turns=int(t)
        )
        return {msg: f"Started run #{run_id}; press Refresh to follow it.", **_runs(tok)}

    @safe
    def do_refresh(tok: str, run_id: Any) -> Updates:
        base = _runs(tok)
        if not run_id:
            return {**base, msg: ""}
        rep = labs.eval_report(ctx, tok, run_id)
        if rep.status != "done":
            return {
                **base,
                metrics: [],
                plots: [],
                report_file: None,
                msg: f"Run #{run_id} is {rep.status}. {rep.error}",
            }
        return {
            **base,
            metrics: rep.metrics,
            plots: rep.plots,
            report_file: rep.html or None,
            msg: f"Run #{run_id}: done.",
        }

    start.click(
        do_start, [token, name, policies, domain, limit, students, turns], [msg, runs, pick], api_name="eval_start"
    )
    refresh.click(do_refresh, [token, pick], [runs, pick, metrics, plots, report_file, msg], api_name="eval_report")

    def blank() -> Updates:
        return {runs: [], pick: gr.update(choices=[], value=None)}

    return Tab([runs, pick], _runs, blank)
