"""The `openai` backend against a real local llama.cpp server on loopback (marked `server` and `model`)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from errors import InferenceError
from inference import Message, Options, get_backend

ROOT = Path(__file__).parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, smollm2_path):
    pytest.importorskip("llama_cpp.server.app")
    pytest.importorskip("openai")

    path = smollm2_path
    port = free_port()
    log = tmp_path_factory.mktemp("server") / "server.log"
    cmd = [
        sys.executable,
        "-m",
        "inference.serve",
        "--model",
        str(path),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_threads",
        "1",
        "--n_ctx",
        "2048",
    ]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/models", timeout=2) as r:
                    json.load(r)
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"server did not start: {log.read_text()[-2000:]}")
                time.sleep(0.3)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


MESSAGES = [
    Message(role="system", content="You are a helpful math tutor. Answer briefly."),
    Message(role="user", content="What is 2 + 3?"),
]


@pytest.mark.server
@pytest.mark.model
def test_chat_against_real_server(server):
    backend = get_backend("openai", base_url=server, model="smollm2-135m")
    c = backend.chat(MESSAGES, Options(temperature=0, max_tokens=24, actor="tutor"))
    assert c.text.strip() and c.backend == "openai" and c.model == "smollm2-135m"
    assert c.usage.prompt_tokens > 10 and c.usage.completion_tokens > 0


@pytest.mark.server
@pytest.mark.model
def test_stream_against_real_server(server):
    backend = get_backend("openai", base_url=server, model="smollm2-135m")
    stream = backend.stream(MESSAGES, Options(temperature=0, max_tokens=24))
    deltas = list(stream)
    assert len(deltas) > 1 and stream.completion.text == "".join(deltas)
    assert stream.completion.ttft_s is not None


@pytest.mark.server
@pytest.mark.model
def test_structured_output_against_real_server(server):
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}, "why": {"type": "string"}},
        "required": ["answer", "why"],
    }
    backend = get_backend("openai", base_url=server, model="smollm2-135m")
    for seed in range(3):
        c = backend.chat(MESSAGES, Options(temperature=0.5, seed=seed, max_tokens=200, json_schema=schema))
        data = c.json()
        assert isinstance(data["answer"], int) and len(data["why"]) <= 200
    assert backend.json_mode == "json_object"  # llama-cpp-python's server rejected the OpenAI form once


def test_server_down_is_a_clear_error():
    pytest.importorskip("openai")
    port = free_port()  # nothing listens here
    backend = get_backend("openai", base_url=f"http://127.0.0.1:{port}/v1", model="m", timeout=5)
    with pytest.raises(InferenceError) as info:
        backend.chat(MESSAGES)
    assert "not reachable" in info.value.user_message and str(port) in info.value.user_message
    with pytest.raises(InferenceError):
        list(backend.stream(MESSAGES))
