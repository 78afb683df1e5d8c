"""The Teacher tab: transcripts (with decision traces), annotations, export, mastery, problems, classes."""

from __future__ import annotations

from typing import Any

import gradio as gr

from errors import RecoverableError
from store import session_cursor, visible_controls
from ui import accounts, render, teacher
from ui.blocks import problem_choices, safe
from ui.context import AppContext

MODEL_CHOICES = ["", "qwen2.5-coder-1.5b", "qwen2.5-coder-0.5b", "smollm2-135m"]


def _class_choices(classes: list[Any]) -> list[tuple[str, str]]:
    return [("all classes", "all")] + [(f"{c.name} (code {c.join_code})", str(c.id)) for c in classes]


def teacher_tab(ctx: AppContext, token: gr.State) -> dict[str, Any]:
    with gr.Tabs():
        with gr.Tab("Transcripts", id="transcripts"):
            with gr.Row():
                f_class = gr.Dropdown([("all classes", "all")], value="all", label="Class")
                f_student = gr.Dropdown([("all students", "all")], value="all", label="Student")
                f_problem = gr.Dropdown(["all"], value="all", label="Problem")
                f_outcome = gr.Dropdown(["all", *teacher.OUTCOMES], value="all", label="Outcome")
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
        with gr.Tab("Mastery", id="mastery"):
            m_class = gr.Dropdown([("all classes", "all")], value="all", label="Class")
            m_btn = gr.Button("Refresh")
            m_table = gr.Dataframe(value=[], interactive=False, label="BKT mastery per student and skill (latest estimate)")
        with gr.Tab("Problems", id="problems"):
            gr.Markdown("**Import** a problems file (JSON / YAML / JSONL of `knowledge.types.Problem`, or a MathDial JSONL file). "
                        "The whole file is checked first; nothing is saved if any record is invalid.")
            with gr.Row():
                upload = gr.File(label="Problems file", file_types=[".json", ".jsonl", ".yaml", ".yml"], elem_id="problem-upload")
                import_btn = gr.Button("Import")
            with gr.Accordion("Add a math problem", open=False):
                mp_title = gr.Textbox(label="Title")
                mp_statement = gr.Textbox(label="Statement", lines=3)
                mp_steps = gr.Textbox(label="Steps, one per line: description | expression | value", lines=4,
                                      placeholder="Price of 3 pens | 3 * 2 | 6")
                with gr.Row():
                    mp_answer = gr.Textbox(label="Final answer (number)")
                    mp_skills = gr.Textbox(label="Skills (comma-separated)")
                    mp_diff = gr.Dropdown(["easy", "medium", "hard"], value="medium", label="Difficulty")
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
        with gr.Tab("Classes", id="classes"):
            with gr.Row():
                new_class = gr.Textbox(label="New class name")
                new_btn = gr.Button("Create class")
            classes_table = gr.Dataframe(headers=["id", "class", "join code", "model", "policy", "final bottom-out"], value=[], interactive=False)
            c_pick = gr.Dropdown([], label="Class")
            c_model = gr.Dropdown(MODEL_CHOICES, value="", allow_custom_value=True, label="Model (empty: the app's default)")
            c_policy = gr.Radio(["tree", "vanilla", "telling"], value="tree", label="Tutor policy")
            c_bottom = gr.Checkbox(label="Allow a final bottom-out (the tutor may explain the last step after repeated failures)")
            c_save = gr.Button("Save class settings")
            c_msg = gr.Markdown("")

    filters = [f_class, f_student, f_problem, f_outcome, f_flagged, f_since, f_until]

    def flt(c: Any, s: Any, p: Any, o: Any, fl: bool, a: str, b: str):
        return teacher.make_filter(c, s, p, o, fl, a, b)

    def page(tok: str, after: str | None, f: tuple[Any, ...]) -> list[Any]:
        sessions = teacher.transcripts(ctx, tok, flt(*f), after=after or None)
        choices = [(f"#{s.id} {s.student_name} · {s.problem_id} · {s.outcome}", str(s.id)) for s in sessions]
        more = len(sessions) == teacher.PAGE_SIZE
        note = f"{len(sessions)} transcripts" + ("; more on the next page." if more else ".")
        return [render.session_rows(sessions), gr.update(choices=choices, value=choices[0][1] if choices else None), note,
                session_cursor(sessions[-1]) if more else ""]

    @safe
    def search(tok: str, *f: Any) -> list[Any]:
        return page(tok, None, f)

    @safe
    def older(tok: str, after: str, *f: Any) -> list[Any]:
        if not after:
            return [gr.update(), gr.update(), "This is the last page; press Show transcripts to start again.", ""]
        return page(tok, after, f)

    @safe
    def open_transcript(tok: str, session_id: Any) -> list[Any]:
        t = teacher.transcript(ctx, tok, session_id)
        turns = [(f"#{x.idx} {x.role}: {x.text[:50]}", str(x.idx)) for x in t["turns"]]
        s = t["session"]
        head = f"**#{s.id}** {s.student_name} · {s.problem_id} · policy {s.policy} · model {s.model} · {s.outcome}"
        return [t["html"], gr.update(choices=turns, value=None), head]

    @safe
    def save_note(tok: str, session_id: Any, idx: Any, text: str, fl: bool) -> list[Any]:
        teacher.annotate(ctx, tok, session_id, idx, text, fl)
        return open_transcript(tok, session_id)[:1] + ["", False, "Note saved."]

    @safe
    def do_export(tok: str, f: str, *fs: Any) -> list[Any]:
        path = teacher.export(ctx, tok, f, flt(*fs))
        return [str(path), f"Exported to {path.name}."]

    search_btn.click(search, [token, *filters], [table, pick, t_msg, cursor], api_name="teacher_transcripts")
    older_btn.click(older, [token, cursor, *filters], [table, pick, t_msg, cursor], api_name="teacher_transcripts_older")
    open_btn.click(open_transcript, [token, pick], [transcript, turn_pick, t_msg], api_name="teacher_transcript")
    pick.input(open_transcript, [token, pick], [transcript, turn_pick, t_msg], api_visibility="private")
    note_btn.click(save_note, [token, pick, turn_pick, comment, flag], [transcript, comment, flag, t_msg], api_name="teacher_annotate")
    export_btn.click(do_export, [token, fmt, *filters], [export_file, t_msg], api_name="teacher_export")

    @safe
    def do_mastery(tok: str, c: Any) -> Any:
        headers, rows = teacher.mastery(ctx, tok, c)
        return gr.update(value=rows or [["(no traces yet)"]], headers=headers if rows else ["student"])

    m_btn.click(do_mastery, [token, m_class], m_table, api_name="teacher_mastery")

    def refresh_problems(tok: str) -> Any:
        return gr.update(choices=problem_choices(ctx, tok))

    @safe
    def do_import(tok: str, f: Any) -> list[Any]:
        try:
            ids, skipped = teacher.import_problems(ctx, tok, f)
        except RecoverableError as exc:
            return [gr.update(), f"**Error:** {exc.user_message}"]
        note = f"Imported {len(ids)} problem(s): {', '.join(ids[:10])}{' …' if len(ids) > 10 else ''}."
        if skipped:
            note += f" Skipped {len(skipped)}: " + "; ".join(skipped[:5])
        return [refresh_problems(tok), note]

    def after_add(tok: str, problem: Any) -> list[Any]:
        return [gr.update(choices=problem_choices(ctx, tok), value=problem.id), teacher.tree_text(ctx, tok, problem.id),
                f"Saved **{problem.id}**; its drafted tree is below for review."]

    @safe
    def add_math(tok: str, title: str, stmt: str, steps: str, ans: str, skills: str, diff: str) -> list[Any]:
        try:
            problem = teacher.add_math_problem(ctx, tok, title=title, statement=stmt, steps=steps, answer=ans, skills=skills, difficulty=diff)
        except RecoverableError as exc:
            return [gr.update(), gr.update(), f"**Error:** {exc.user_message}"]
        return after_add(tok, problem)

    @safe
    def add_code(tok: str, title: str, stmt: str, code: str, entry: str, lines: str, tests: str, bug: str, fix: str) -> list[Any]:
        try:
            problem = teacher.add_code_problem(ctx, tok, title=title, statement=stmt, code=code, entry_point=entry, tests=tests,
                                               bug_lines=lines, bug_description=bug, fix_description=fix)
        except RecoverableError as exc:
            return [gr.update(), gr.update(), f"**Error:** {exc.user_message}"]
        return after_add(tok, problem)

    @safe
    def load_tree(tok: str, pid: str) -> str:
        if not pid:
            raise RecoverableError("Choose a problem.")
        return teacher.tree_text(ctx, tok, pid)

    @safe
    def save_tree(tok: str, pid: str, text: str) -> str:
        if not pid:
            raise RecoverableError("Choose a problem.")
        try:
            tree = teacher.save_tree(ctx, tok, pid, text)
        except RecoverableError as exc:
            return f"**Error:** {exc.user_message} (nothing was saved)"
        return f"Saved the tree of **{pid}** ({len(tree.nodes)} nodes)."

    import_btn.click(do_import, [token, upload], [tree_problem, p_msg], api_name="teacher_import")
    mp_btn.click(add_math, [token, mp_title, mp_statement, mp_steps, mp_answer, mp_skills, mp_diff], [tree_problem, tree_editor, p_msg], api_name="teacher_add_math")
    cp_btn.click(add_code, [token, cp_title, cp_statement, cp_code, cp_entry, cp_lines, cp_tests, cp_bug, cp_fix], [tree_problem, tree_editor, p_msg], api_name="teacher_add_code")
    @safe
    def copy(tok: str, pid: str) -> list[Any]:
        if not pid:
            raise RecoverableError("Choose a problem.")
        return after_add(tok, teacher.copy_problem(ctx, tok, pid))

    tree_copy.click(copy, [token, tree_problem], [tree_problem, tree_editor, p_msg], api_name="teacher_copy_problem")
    tree_load.click(load_tree, [token, tree_problem], tree_editor, api_name="teacher_tree")
    tree_save.click(save_tree, [token, tree_problem, tree_editor], p_msg, api_name="teacher_save_tree")

    def class_rows(tok: str) -> list[list[Any]]:
        return [[c.id, c.name, c.join_code, c.model or "(default)", c.policy, "yes" if c.allow_final_bottom_out else "no"] for c in accounts.my_classes(ctx, tok)]

    @safe
    def do_new_class(tok: str, name: str) -> list[Any]:
        klass = accounts.create_class(ctx, tok, name)
        classes = accounts.my_classes(ctx, tok)
        return [class_rows(tok), gr.update(choices=[(c.name, str(c.id)) for c in classes], value=str(klass.id)),
                gr.update(choices=_class_choices(classes)), gr.update(choices=_class_choices(classes)), f"Created **{klass.name}**; join code **{klass.join_code}**.", ""]

    @safe
    def pick_class(tok: str, cid: Any) -> list[Any]:
        klass = next((c for c in accounts.my_classes(ctx, tok) if str(c.id) == str(cid)), None)
        if klass is None:
            return [gr.update(), gr.update(), gr.update()]
        return [klass.model, klass.policy, klass.allow_final_bottom_out]

    @safe
    def save_class(tok: str, cid: Any, model: str, policy: str, bottom: bool) -> list[Any]:
        klass = accounts.update_class(ctx, tok, cid, model=model or "", policy=policy, allow_final_bottom_out=bottom)
        return [class_rows(tok), f"Saved settings of **{klass.name}**."]

    new_btn.click(do_new_class, [token, new_class], [classes_table, c_pick, f_class, m_class, c_msg, new_class], api_name="teacher_create_class")
    c_pick.input(pick_class, [token, c_pick], [c_model, c_policy, c_bottom], api_visibility="private")
    c_save.click(save_class, [token, c_pick, c_model, c_policy, c_bottom], [classes_table, c_msg], api_name="teacher_class_settings")

    def on_login(tok: str) -> list[Any]:
        classes = accounts.my_classes(ctx, tok)
        students = ctx.store.students_of_teacher(ctx.require(tok, "teacher").id)
        probs = sorted({s.problem_id for s in teacher.transcripts(ctx, tok)})
        rows = search(tok, "all", "all", "all", "all", False, "", "")
        names = [(visible_controls(u.display_name or u.username), str(u.id)) for u in students]
        return [gr.update(choices=_class_choices(classes), value="all"), gr.update(choices=[("all students", "all"), *names], value="all"),
                gr.update(choices=["all", *probs], value="all"), rows[0], rows[1], "", class_rows(tok),
                gr.update(choices=[(c.name, str(c.id)) for c in classes], value=None), gr.update(choices=_class_choices(classes), value="all"),
                gr.update(choices=problem_choices(ctx, tok), value=None), rows[3]]

    def blank() -> list[Any]:
        return [gr.update(choices=[("all classes", "all")], value="all"), gr.update(choices=[("all students", "all")], value="all"),
                gr.update(choices=["all"], value="all"), [], gr.update(choices=[], value=None), "", [], gr.update(choices=[], value=None),
                gr.update(choices=[("all classes", "all")], value="all"), gr.update(choices=[], value=None), ""]

    return {"on_login": on_login, "blank": blank,
            "login_outputs": [f_class, f_student, f_problem, table, pick, transcript, classes_table, c_pick, m_class, tree_problem, cursor]}
