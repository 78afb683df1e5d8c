"""`python -m inference.serve --model PATH --host 127.0.0.1 --port 8080`: llama-cpp-python's OpenAI-compatible
server, started with the same llama.cpp workaround as the in-process backend (no AMX/repack extra buffers; see
`inference.llama.new_llama`). All `llama_cpp.server` flags are accepted; a registered model name is resolved to its
verified GGUF path. Serve on loopback unless you mean to expose it.
"""

from __future__ import annotations

import runpy
import sys

from inference.llama import without_extra_buffers
from inference.models import model_path
from settings import apply_offline_env, settings_from_env


def main(argv: list[str] | None = None) -> None:
    apply_offline_env()
    argv = list(sys.argv[1:] if argv is None else argv)
    extra_buffers = "--extra-buffers" in argv
    argv = [a for a in argv if a != "--extra-buffers"]
    if "--model" in argv:
        i = argv.index("--model") + 1
        argv[i] = str(model_path(argv[i], cache_dir=settings_from_env().model_cache_dir))
    sys.argv = ["llama_cpp.server", *argv]
    if extra_buffers:
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
        return
    with without_extra_buffers():  # the server loads its model inside run_module
        runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
