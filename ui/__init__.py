"""The web app's services and Gradio layout (app.py is the thin entry point).

Services (no Gradio): `ui.context.AppContext` (settings, store, backends, authorization), `ui.accounts`,
`ui.student`, `ui.teacher`, `ui.labs`; pure rendering in `ui.render`; the JSON API in `ui.api`; the Gradio
layout in `ui.blocks.build_ui` (imports gradio, so import it only after `settings.apply_offline_env()`).
"""
