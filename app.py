"""The web app: `python app.py [--host H] [--port P] [--backend B] [--model M] ...` (flags from settings).

Serves the Gradio UI at / and a small JSON API at /api/v1 on one loopback server. Offline by construction: the
telemetry switches are set before gradio is imported, share is off, temp files go under the data dir.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading
from pathlib import Path
from typing import Any

from errors import RecoverableError
from settings import Settings, add_settings_arguments, apply_offline_env, settings_from_args
from ui.accounts import bootstrap_admin
from ui.context import AppContext

log = logging.getLogger("app")


def make_context(settings: Settings, **kwargs: Any) -> AppContext:
    """The app's services; the first teacher comes from the admin settings (here, at the edge) when none exists."""
    ctx = AppContext(settings, **kwargs)
    admin = bootstrap_admin(ctx, settings.admin_username, settings.admin_password)
    if admin:
        log.info("created teacher %s from the admin settings (TUTOR_ADMIN_USERNAME)", admin.username)
    return ctx


def create_app(settings: Settings, **kwargs: Any):
    """The ASGI app: FastAPI with /api/v1 and the Gradio UI mounted at /."""
    apply_offline_env()
    temp = Path(settings.data_dir) / "gradio-tmp"
    temp.mkdir(parents=True, exist_ok=True)
    os.environ["GRADIO_TEMP_DIR"] = str(temp)
    # The one deliberate late import of our own modules: gradio reads GRADIO_TEMP_DIR when it is imported, and the
    # Gradio layer (ui.blocks, ui.api, ui.web and their gradio/fastapi imports) needs the data dir's temp folder.
    import gradio as gr
    from fastapi import FastAPI

    from ui import api, web
    from ui.blocks import CSS, build_ui

    ctx = make_context(settings, **kwargs)
    app = FastAPI(title="Socratic tutor", docs_url=None, redoc_url=None)
    api.install(app, ctx)
    demo = build_ui(ctx)
    # Exports are not in allowed_paths: Gradio serves its copy from the temp dir, and only through ui.web.Guard
    # (a teacher's cookie; an export only to its teacher). Both folders are swept of files older than FILE_TTL_S.
    app = gr.mount_gradio_app(
        app,
        demo,
        path="/",
        theme=gr.themes.Soft(),
        css=CSS,
        allowed_paths=[str(Path(settings.data_dir) / "evals")],
        max_file_size=web.MAX_UPLOAD_BODY,
    )
    app.add_middleware(web.Guard, ctx=ctx)
    app.state.ctx = ctx
    web.start_sweeper([Path(settings.data_dir) / "exports", temp])
    ctx.start_knowledge()  # background: open the Chroma store, seed the starter bank on first run (logged)
    if settings.backend != "none":  # load the default model now (and read its prompt prefix), not on the first message
        threading.Thread(target=ctx.backend_for, args=("",), name="warm-backend", daemon=True).start()
    return app


def main(argv: list[str] | None = None) -> int:
    apply_offline_env()
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    add_settings_arguments(parser)
    args = parser.parse_args(argv)
    settings = settings_from_args(args)
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    import uvicorn

    try:
        app = create_app(settings)
    except RecoverableError as exc:
        log.error("%s", exc.log_message)
        print(f"error: {exc.user_message}", file=sys.stderr)
        return 1
    print(
        f"Socratic tutor on http://{settings.host}:{settings.port} (backend {settings.backend}, model "
        f"{settings.model})",
        flush=True,
    )
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0


if __name__ == "__main__":
    sys.exit(main())
