"""The Gradio layout: login, then Student / Teacher / Rehearse / Evaluate tabs. Handlers are thin: they verify
the session token through the services (server side, every call) and map results to components."""

from __future__ import annotations

import gradio as gr

from ui import labs_blocks, login_blocks, offload, student_blocks, teacher_blocks
from ui.context import AppContext
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


def build_ui(ctx: AppContext) -> gr.Blocks:
    with gr.Blocks(title="Socratic tutor") as demo:
        head = login_blocks.header()
        panel = login_blocks.login_panel()
        with gr.Tabs(visible=False, elem_id="main-tabs") as main_tabs:
            with gr.Tab("Student", id="student", visible=False, elem_id="tab-student") as student_tab:
                st = student_blocks.student_tab(ctx, head.token)
            with gr.Tab("Teacher", id="teacher", visible=False, elem_id="tab-teacher") as teacher_tab:
                te = teacher_blocks.teacher_tab(ctx, head.token)
            with gr.Tab("Rehearse", id="rehearse", visible=False, elem_id="tab-rehearse") as rehearse_tab:
                re_ = labs_blocks.rehearse_tab(ctx, head.token)
            with gr.Tab("Evaluate", id="evaluate", visible=False, elem_id="tab-evaluate") as evaluate_tab:
                ev = labs_blocks.evaluate_tab(ctx, head.token)
        login_blocks.wire(
            ctx,
            demo,
            head,
            panel,
            main_tabs,
            [
                RoleTab(student_tab, "student", st),
                RoleTab(teacher_tab, "teacher", te),
                RoleTab(rehearse_tab, "teacher", re_),
                RoleTab(evaluate_tab, "teacher", ev),
            ],
        )
    # Several students chat at once; an in-process model serialises its own calls, a model server takes them in
    # parallel.
    demo.queue(default_concurrency_limit=8, max_size=QUEUE_SIZE)
    return demo
