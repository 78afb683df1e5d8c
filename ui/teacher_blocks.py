"""The Teacher tab: its Transcripts, Mastery, Problems and Classes views, each built in its own module."""

from __future__ import annotations

import gradio as gr

from ui.classes_blocks import classes_tab
from ui.context import AppContext
from ui.handlers import Tab, combine
from ui.problems_blocks import problems_tab
from ui.transcripts_blocks import mastery_tab, transcripts_tab


def teacher_tab(ctx: AppContext, token: gr.State) -> Tab:
    with gr.Tabs():
        with gr.Tab("Transcripts", id="transcripts"):
            transcripts, transcripts_class = transcripts_tab(ctx, token)
        with gr.Tab("Mastery", id="mastery"):
            mastery, mastery_class = mastery_tab(ctx, token)
        with gr.Tab("Problems", id="problems"):
            problems = problems_tab(ctx, token)
        with gr.Tab("Classes", id="classes"):
            classes = classes_tab(ctx, token, class_filters=[transcripts_class, mastery_class])
    return combine(transcripts, mastery, problems, classes)
