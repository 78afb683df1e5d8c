"""The Teacher tab's Classes view: create a class (its join code), set its model, policy and final bottom-out."""

from __future__ import annotations

from typing import Any

import gradio as gr

from ui import accounts
from ui.choices import POLICIES, class_choices, class_filter_choices, model_choices
from ui.context import AppContext
from ui.handlers import Tab, Updates, safe
from vocabulary import DEFAULT_POLICY

CLASS_HEADERS = ["id", "class", "join code", "model", "policy", "final bottom-out"]


def classes_tab(ctx: AppContext, token: gr.State, class_filters: list[gr.Dropdown]) -> Tab:
    """`class_filters`: the other views' class dropdowns, refreshed when a class is created."""
    with gr.Row():
        new_class = gr.Textbox(label="New class name")
        new_btn = gr.Button("Create class")
    classes_table = gr.Dataframe(headers=CLASS_HEADERS, value=[], interactive=False)
    c_pick = gr.Dropdown([], label="Class")
    c_model = gr.Dropdown(model_choices(), value="", allow_custom_value=True, label="Model (empty: the app's default)")
    c_policy = gr.Radio(POLICIES, value=DEFAULT_POLICY, label="Tutor policy")
    c_bottom = gr.Checkbox(
        label="Allow a final bottom-out (the tutor may explain the last step after repeated failures)"
    )
    c_save = gr.Button("Save class settings")
    c_msg = gr.Markdown("")

    def class_rows(tok: str) -> list[list[Any]]:
        return [
            [c.id, c.name, c.join_code, c.model or "(default)", c.policy, "yes" if c.allow_final_bottom_out else "no"]
            for c in accounts.my_classes(ctx, tok)
        ]

    @safe
    def do_new_class(tok: str, name: str) -> Updates:
        klass = accounts.create_class(ctx, tok, name)
        classes = accounts.my_classes(ctx, tok)
        return {
            classes_table: class_rows(tok),
            c_pick: gr.update(choices=class_choices(classes), value=str(klass.id)),
            **{f: gr.update(choices=class_filter_choices(classes)) for f in class_filters},
            c_msg: f"Created **{klass.name}**; join code **{klass.join_code}**.",
            new_class: "",
        }

    @safe
    def pick_class(tok: str, cid: Any) -> Updates:
        klass = next((c for c in accounts.my_classes(ctx, tok) if str(c.id) == str(cid)), None)
        if klass is None:
            return {c_model: gr.update()}  # nothing changes (Gradio reads an empty dict as a value)
        return {c_model: klass.model, c_policy: klass.policy, c_bottom: klass.allow_final_bottom_out}

    @safe
    def save_class(tok: str, cid: Any, model: str, policy: str, bottom: bool) -> Updates:
        klass = accounts.update_class(ctx, tok, cid, model=model or "", policy=policy, allow_final_bottom_out=bottom)
        return {classes_table: class_rows(tok), c_msg: f"Saved settings of **{klass.name}**."}

    new_btn.click(
        do_new_class,
        [token, new_class],
        [classes_table, c_pick, *class_filters, c_msg, new_class],
        api_name="teacher_create_class",
    )
    c_pick.input(pick_class, [token, c_pick], [c_model, c_policy, c_bottom], api_visibility="private")
    c_save.click(
        save_class,
        [token, c_pick, c_model, c_policy, c_bottom],
        [classes_table, c_msg],
        api_name="teacher_class_settings",
    )

    def on_login(tok: str) -> Updates:
        return {
            classes_table: class_rows(tok),
            c_pick: gr.update(choices=class_choices(accounts.my_classes(ctx, tok)), value=None),
        }

    def blank() -> Updates:
        return {classes_table: [], c_pick: gr.update(choices=[], value=None)}

    return Tab([classes_table, c_pick], on_login, blank)
