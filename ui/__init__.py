"""The web app's services and Gradio layout (app.py is the thin entry point).

Services (no Gradio): `ui.context.AppContext` (settings, store, backends, authorization), `ui.accounts`,
`ui.student`, `ui.teacher`, `ui.authoring` (writing problems), `ui.labs`; the dropdowns' choices in `ui.choices`;
pure rendering in `ui.render`; the JSON API in `ui.api`. The Gradio layout is `ui.blocks.build_ui` (imports gradio,
so import it only after `settings.apply_offline_env()`): the Student tab in `ui.student_blocks`, the login panel in
`ui.login_blocks`, the Teacher tab's views in `ui.transcripts_blocks`, `ui.problems_blocks` and
`ui.classes_blocks`, Rehearse and Evaluate in `ui.labs_blocks`.
Each tab returns a `ui.handlers.Tab`; its handlers return `{component: update}` and are wrapped in
`ui.handlers.safe`, the one place where recoverable errors become messages.
"""
