"""Registry, options, the fake and none backends, call logging. No model needed."""

from __future__ import annotations

import logging
import subprocess
import sys

import pytest

import inference
from errors import ConfigError, InferenceError
from evals import bench
from inference import FakeBackend, Message, NoneBackend, Options, get_backend
from inference.base import Completion
from inference.common import require
from settings import Settings

HI = [Message(role="user", content="hi")]


def test_unknown_backend_lists_valid_names():
    with pytest.raises(ConfigError) as info:
        get_backend("gpt9")
    message = info.value.user_message
    assert "gpt9" in message
    for name in ("llama_cpp", "transformers", "openai", "langchain", "fake", "none"):
        assert name in message


def test_registry_names_match_contract():
    assert set(inference.BACKENDS) == {"llama_cpp", "transformers", "openai", "langchain", "fake", "none"}
    assert inference.DEFAULT_BACKEND == "llama_cpp"


def test_import_is_light():
    code = (
        "import sys, inference, inference.models, inference.bench; "
        "heavy = [m for m in ('llama_cpp', 'torch', 'transformers', 'openai', 'langchain_core') if m in sys.modules];"
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_backend_from_settings_fake_none_and_unknown():
    assert isinstance(inference.backend_from_settings(Settings(backend="fake")), FakeBackend)
    none = inference.backend_from_settings(Settings(backend="none"))
    assert isinstance(none, NoneBackend) and none.available is False
    with pytest.raises(ConfigError, match="Valid backends"):
        inference.backend_from_settings(Settings(backend="nope"))
    with pytest.raises(ConfigError, match="langchain"):
        inference.backend_from_settings(Settings(backend="langchain"))


def test_openai_backend_without_url_is_config_error():
    with pytest.raises(ConfigError, match="URL"):
        get_backend("openai", model="m")


def test_options_reject_unknown_fields_and_bad_values():
    with pytest.raises(ValueError):
        Options(temprature=0.5)
    with pytest.raises(ValueError):
        Options(max_tokens=0)
    with pytest.raises(ValueError):
        Options(temperature=3.0)


def test_fake_replies_in_order_and_records_history():
    fake = get_backend("fake")
    fake.enqueue("first reply", "second")
    a = fake.chat(HI, Options(actor="tutor"))
    b = fake.chat([Message(role="system", content="s"), Message(role="user", content="u")])
    assert (a.text, b.text) == ("first reply", "second")
    assert a.backend == "fake" and a.usage.completion_tokens == 2
    assert fake.history[0] == HI
    assert [m.role for m in fake.history[1]] == ["system", "user"]
    assert fake.options[0].actor == "tutor"


def test_fake_empty_queue_returns_empty_text():
    fake = FakeBackend()
    assert fake.chat(HI).text == ""
    stream = fake.stream(HI)
    assert list(stream) == []
    assert stream.completion is not None and stream.completion.text == ""


def test_fake_streams_in_several_deltas():
    fake = FakeBackend(["What do you get when you add them?"])
    stream = fake.stream(HI)
    deltas = list(stream)
    assert len(deltas) > 3
    assert "".join(deltas) == "What do you get when you add them?"
    assert stream.completion.text == "".join(deltas)
    assert stream.completion.ttft_s is not None and stream.completion.latency_s >= stream.completion.ttft_s


def test_fake_scripted_error_is_raised_and_process_continues():
    fake = FakeBackend().enqueue(InferenceError("down", "server down"), "ok")
    with pytest.raises(InferenceError):
        fake.chat(HI)
    assert fake.chat(HI).text == "ok"


def test_none_backend_is_unavailable_and_refuses():
    none = get_backend("none")
    assert none.available is False
    with pytest.raises(InferenceError):
        none.chat(HI)
    with pytest.raises(InferenceError):
        none.stream(HI)


def test_empty_message_list_is_an_inference_error():
    with pytest.raises(InferenceError):
        FakeBackend().chat([])


def test_every_call_is_logged_with_actor_tokens_latency(caplog):
    fake = FakeBackend(["one two three"])
    with caplog.at_level(logging.INFO, logger="inference.calls"):
        fake.chat(HI, Options(actor="student"))
    records = [r for r in caplog.records if hasattr(r, "model_call")]
    assert len(records) == 1
    call = records[0].model_call
    assert call["actor"] == "student" and call["backend"] == "fake" and call["model"] == "fake"
    assert call["completion_tokens"] == 3 and call["latency_s"] >= 0


def test_failed_call_is_logged(caplog):
    fake = FakeBackend().enqueue(InferenceError("down", "connection refused"))
    with caplog.at_level(logging.INFO, logger="inference.calls"), pytest.raises(InferenceError):
        fake.chat(HI, Options(actor="judge"))
    call = [r for r in caplog.records if hasattr(r, "model_call")][0].model_call
    assert call["error"] == "connection refused" and call["actor"] == "judge"


def test_broken_json_is_a_clear_inference_error():
    completion = Completion(text='{"a": "unterminated', backend="fake", model="m")
    with pytest.raises(InferenceError) as info:
        completion.json()
    assert "could not be read" in info.value.user_message
    assert "unterminated" in info.value.log_message


def test_missing_library_gives_install_message():
    with pytest.raises(ConfigError) as info:
        require("definitely_not_installed_pkg", "definitely-not-installed", "llama_cpp")
    assert "pip install" in info.value.user_message and "definitely-not-installed" in info.value.user_message


def test_bench_dispatcher_rejects_unknown_target(capsys):
    assert bench.main(["nope"]) == 2
    assert "inference" in capsys.readouterr().err


def test_bench_dispatcher_reaches_the_inference_benchmark(capsys):
    with pytest.raises(SystemExit) as info:
        bench.main(["inference", "--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    assert "--turns" in out and "--model" in out
