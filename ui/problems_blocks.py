"""The Teacher tab's Problems view: import a problems file, add a math or code problem, review and edit its tree."""

from __future__ import annotations

from typing import Any

import gradio as gr

from knowledge.types import Problem
from ui import authoring
from ui.choices import DIFFICULTIES, problem_choices
from ui.context import AppContext
from ui.handlers import Tab, Updates, need, safe


def problems_tab(ctx: AppContext, token: gr.State) -> Tab:
    gr.Markdown(
        "**Import** a problems file (JSON / YAML / JSONL of `knowledge.types.Problem`, or a MathDial JSONL file). "
        "The whole file is checked first; nothing is saved if any record is invalid."
    )
    with gr.Row():
        upload = gr.File(
            label="Problems file", file_types=[".json", ".jsonl", ".yaml", ".yml"], elem_id="problem-upload"
        )
        import_btn = gr.Button("Import")
    with gr.Accordion("Add a math problem", open=False):
        mp_title = gr.Textbox(label="Title")
        mp_statement = gr.Textbox(label="Statement", lines=3)
        mp_steps = gr.Textbox(
            label="Steps, one per line: description | expression | value",
            lines=4,
            placeholder="Price of 3 pens | 3 * 2 | 6",
        )
        with gr.Row():
            mp_answer = gr.Textbox(label="Final answer (number)")
            mp_skills = gr.Textbox(label="Skills (comma-separated)")
            mp_diff = gr.Dropdown(DIFFICULTIES, value="medium", label="Difficulty")
        mp_btn = gr.Button("Save math problem and draft its tree")
    with gr.Accordion("Add a code problem", open=False):
        cp_title = gr.Textbox(label="Title")
        cp_statement = gr.Textbox(label="What the function should do", lines=2)
        cp_code = gr.Code(label="Buggy code", language="python", lines=8)
        with gr.Row():
            cp_entry = gr.Textbox(label="Function name")
            cp_lines = gr.Textbox(label="Bug line(s)")
        cp_tests = gr.Textbox(label="Unit tests, one assert per line", lines=3)
        cp_bug = gr.Textbox(label="The bug, for teachers")
        cp_fix = gr.Textbox(label="The fix, for teachers")
        cp_btn = gr.Button("Save code problem and draft its tree")
    gr.Markdown("**Question tree**: review and edit the drafted tree (JSON or YAML); it is validated before saving.")
    with gr.Row():
        tree_problem = gr.Dropdown([], label="Problem", scale=3)
        tree_load = gr.Button("Load tree", scale=1)
        tree_copy = gr.Button("Copy to edit", scale=1)
    tree_editor = gr.Code(language="json", lines=16, label="Tree")
    tree_save = gr.Button("Validate and save tree")
    p_msg = gr.Markdown("", elem_id="problems-msg")

    def added(tok: str, problem: Problem) -> Updates:
        return {
            tree_problem: gr.update(choices=problem_choices(ctx, tok), value=problem.id),
            tree_editor: authoring.tree_text(ctx, tok, problem.id),
            p_msg: f"Saved **{problem.id}**; its drafted tree is below for review.",
        }

    @safe(show=p_msg)
    def do_import(tok: str, f: Any) -> Updates:
        ids, skipped = authoring.import_problems(ctx, tok, f)
        note = f"Imported {len(ids)} problem(s): {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}."
        if skipped:
            note += f" Skipped {len(skipped)}: " + "; ".join(skipped[:5])
        return {tree_problem: gr.update(choices=problem_choices(ctx, tok)), p_msg: note}

    @safe(show=p_msg)
    def add_math(tok: str, title: str, stmt: str, steps: str, ans: str, skills: str, diff: str) -> Updates:
        return added(
            tok,
            authoring.add_math_problem(
                ctx, tok, title=title, statement=stmt, steps=steps, answer=ans, skills=skills, difficulty=diff
            ),
        )

    @safe(show=p_msg)
    def add_code(
        tok: str, title: str, stmt: str, code: str, entry: str, lines: str, tests: str, bug: str, fix: str
    ) -> Updates:
        return added(
            tok,
            authoring.add_code_problem(
                ctx,
                tok,
                title=title,
                statement=stmt,
                code=code,
                entry_point=entry,
                tests=tests,
                bug_lines=lines,
                bug_description=bug,
                fix_description=fix,
            ),
        )

    @safe
    def copy(tok: str, pid: str) -> Updates:
        need(pid, "Choose a problem.")
        return added(tok, authoring.copy_problem(ctx, tok, pid))

    @safe
    def load_tree(tok: str, pid: str) -> str:
        need(pid, "Choose a problem.")
        return authoring.tree_text(ctx, tok, pid)

    @safe(show=p_msg, suffix=" (nothing was saved)")
    def save_tree(tok: str, pid: str, text: str) -> Updates:
        need(pid, "Choose a problem.")
        tree = authoring.save_tree(ctx, tok, pid, text)
        return {p_msg: f"Saved the tree of **{pid}** ({len(tree.nodes)} nodes)."}

    added_outputs = [tree_problem, tree_editor, p_msg]
    import_btn.click(do_import, [token, upload], [tree_problem, p_msg], api_name="teacher_import")
    mp_btn.click(
        add_math,
        [token, mp_title, mp_statement, mp_steps, mp_answer, mp_skills, mp_diff],
        added_outputs,
        api_name="teacher_add_math",
    )
    cp_btn.click(
        add_code,
        [token, cp_title, cp_statement, cp_code, cp_entry, cp_lines, cp_tests, cp_bug, cp_fix],
        added_outputs,
        api_name="teacher_add_code",
    )
    tree_copy.click(copy, [token, tree_problem], added_outputs, api_name="teacher_copy_problem")
    tree_load.click(load_tree, [token, tree_problem], tree_editor, api_name="teacher_tree")
    tree_save.click(save_tree, [token, tree_problem, tree_editor], p_msg, api_name="teacher_save_tree")

    def on_login(tok: str) -> Updates:
        return {tree_problem: gr.update(choices=problem_choices(ctx, tok), value=None)}

    def blank() -> Updates:
        return {tree_problem: gr.update(choices=[], value=None)}

    return Tab([tree_problem], on_login, blank)
