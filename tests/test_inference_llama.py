"""Real llama.cpp generation with the 98 MB smollm2-135m test model (marked `model`)."""

from __future__ import annotations

import json

import pytest

from errors import InferenceError
from inference import Message, Options, get_backend

pytestmark = pytest.mark.model

VERDICT = {
    "type": "object",
    "properties": {
        "correct": {"type": "boolean"},
        "value": {"type": "integer"},
        "reason": {"type": "string", "maxLength": 40},
        "move": {"type": "string", "enum": ["focus", "probing", "telling", "generic"]},
    },
    "required": ["correct", "value", "reason", "move"],
}


@pytest.fixture(scope="module")
def backend(smollm2_path, model_cache_dir):
    pytest.importorskip("llama_cpp")
    backend = get_backend("llama_cpp", model="smollm2-135m", threads=1, context_size=2048, cache_dir=model_cache_dir)
    return backend.load()


def ask(text: str) -> list[Message]:
    return [
        Message(role="system", content="You are a helpful math tutor. Answer briefly."),
        Message(role="user", content=text),
    ]


def test_chat_generates_text_with_usage_and_timing(backend):
    c = backend.chat(ask("What is 2 + 3?"), Options(temperature=0, max_tokens=24, actor="tutor"))
    assert c.text.strip()
    assert c.backend == "llama_cpp" and c.model == "smollm2-135m"
    assert c.usage.prompt_tokens > 10 and 0 < c.usage.completion_tokens <= 24
    assert c.latency_s > 0 and c.ttft_s is not None and c.ttft_s <= c.latency_s
    assert c.finish_reason in ("stop", "length")


def test_max_tokens_is_respected(backend):
    c = backend.chat(ask("Write a long story about a dragon."), Options(temperature=0, max_tokens=5))
    assert c.usage.completion_tokens == 5 and c.finish_reason == "length"


def test_stream_deltas_join_to_the_completion(backend):
    stream = backend.stream(ask("Name three prime numbers."), Options(temperature=0, max_tokens=20))
    deltas = list(stream)
    assert len(deltas) > 1
    assert stream.completion.text == "".join(deltas)
    greedy = backend.chat(ask("Name three prime numbers."), Options(temperature=0, max_tokens=20))
    assert greedy.text == stream.completion.text  # temperature 0 is deterministic, prefix cache or not


def test_seed_makes_sampling_reproducible(backend):
    opts = Options(temperature=1.0, max_tokens=16, seed=1234)
    a = backend.chat(ask("Say something about cats."), opts).text
    backend.chat(ask("Unrelated prompt to move the cache."), Options(temperature=0, max_tokens=4))
    b = backend.chat(ask("Say something about cats."), opts).text
    assert a == b


def test_structured_output_parses_every_time(backend):
    questions = [
        "Is 7 + 5 = 12? Give the value.",
        "Is 3 x 4 = 13? Give the value.",
        "A student says 10 - 3 = 6.",
        "A student says 25% of 48 is 25.",
        "Check: 9 + 9 = 18.",
        "Check: 100 / 4 = 20.",
        "The student answered 36 for 48 minus a quarter of 48.",
        "Is 2 to the power 5 equal to 32?",
        "Student: 'half of 50 is 20'.",
        "Student: 'the sum of 1, 2 and 3 is 6'.",
    ]
    for i, q in enumerate(questions):
        c = backend.chat(
            ask(f"Judge the student's claim and reply as JSON. {q}"),
            Options(temperature=0.7, seed=i, max_tokens=80, json_schema=VERDICT, actor="judge"),
        )
        data = json.loads(c.text)  # must never fail
        assert set(data) == {"correct", "value", "reason", "move"}
        assert isinstance(data["correct"], bool) and isinstance(data["value"], int)
        assert len(data["reason"]) <= 40 and data["move"] in VERDICT["properties"]["move"]["enum"]
        assert c.json() == data


def test_unbounded_schema_is_bounded_automatically(backend):
    schema = {"type": "object", "properties": {"explanation": {"type": "string"}}, "required": ["explanation"]}
    for seed in range(2):
        c = backend.chat(
            ask("Explain fractions in detail, as JSON."),
            Options(temperature=0.8, seed=seed, max_tokens=256, json_schema=schema),
        )
        assert len(c.json()["explanation"]) <= 200


def test_context_overflow_is_a_recoverable_error(backend):
    huge = "number " * 3000
    with pytest.raises(InferenceError) as info:
        backend.chat(ask(huge), Options(max_tokens=8))
    assert "context" in info.value.user_message
    assert backend.chat(ask("Hi"), Options(temperature=0, max_tokens=4)).text  # still works afterwards


def test_prefix_is_reused_across_turns(backend):
    """A later turn that shares the long prefix evaluates only the new tokens (llama.cpp's KV reuse)."""
    prefix = [Message(role="system", content="You are a tutor. " + "Be patient and ask questions. " * 60)]
    turn1 = [*prefix, Message(role="user", content="I think 25% of 48 is 25.")]
    first = backend.chat(turn1, Options(temperature=0, max_tokens=8))
    llm = backend.llm
    cached_before = llm.n_tokens
    turn2 = [*turn1, Message(role="assistant", content=first.text), Message(role="user", content="Is it 12?")]
    second = backend.chat(turn2, Options(temperature=0, max_tokens=8))
    assert cached_before > 300
    assert second.usage.prompt_tokens > cached_before - 8  # the whole dialogue is the prompt ...
    assert second.ttft_s < first.ttft_s  # ... but only the new turn was evaluated


def test_corrupt_gguf_is_a_clear_error(tmp_path):
    bad = tmp_path / "corrupt.gguf"
    bad.write_bytes(b"GGUF" + b"\x03\x00\x00\x00" + b"\xff" * 64)
    with pytest.raises(InferenceError) as info:
        get_backend("llama_cpp", model=str(bad), threads=1).chat([Message(role="user", content="hi")])
    assert "corrupt.gguf" in info.value.user_message


def test_the_backend_owns_its_model_and_reports_the_reused_prefix(backend, caplog, model_cache_dir):
    system = Message(role="system", content="You are a tutor. " + "Ask one short question at a time. " * 20)
    first = [system, Message(role="user", content="I think 25% of 48 is 25.")]
    second = [system, Message(role="user", content="Is a quarter of 48 twelve?")]
    a = backend.chat(first, Options(temperature=0, max_tokens=4))
    assert a.usage.prompt_tokens == len(backend.prompt_tokens(first))
    b = backend.chat(second, Options(temperature=0, max_tokens=4))
    assert b.usage.prompt_tokens == len(backend.prompt_tokens(second))
    shared = len(backend.prompt_tokens([system]))  # the system turn, then the user turn's header
    assert shared - 2 <= b.usage.cached_tokens < b.usage.prompt_tokens
    # a stream closed after its first token still logs its prompt and what was reused
    caplog.set_level("INFO", logger="inference.calls")
    stream = backend.stream(first, Options(temperature=0, max_tokens=30))
    next(iter(stream))
    stream.close()
    cancelled = [
        r.model_call for r in caplog.records if getattr(r, "model_call", {}).get("finish_reason") == "cancelled"
    ]
    assert cancelled and cancelled[-1]["prompt_tokens"] == a.usage.prompt_tokens
    assert cancelled[-1]["cached_tokens"] >= shared - 2
    # another backend object has its own model; close() frees it and the next call loads it again
    other = get_backend("llama_cpp", model="smollm2-135m", threads=1, context_size=512, cache_dir=model_cache_dir)
    assert other.llm is not backend.llm
    other.close()
    assert other._resident is None
    assert other.chat(ask("Hi"), Options(temperature=0, max_tokens=2)).text is not None
    other.close()


def test_two_kinds_of_prompt_keep_their_prefixes_and_their_texts(backend):
    """A classifier call between two revoice-like calls does not evict the revoice prompt's prefix: its saved KV
    state is restored (only the new message is read) and the text is the one a fresh read gives."""
    revoice = Message(role="system", content="Restate the student's words. " + "Speak to the student. " * 30)
    intent = Message(role="system", content="Classify the message. " + "Output one word. " * 30)

    def turn(system: Message, said: str) -> list[Message]:
        return [system, Message(role="user", content=said)]

    fresh = backend.chat(turn(revoice, "I divided 28 by 2"), Options(temperature=0, seed=0, max_tokens=12))
    backend.chat(turn(intent, "so what now"), Options(temperature=0, max_tokens=2))
    shared = len(backend.prompt_tokens([revoice])) - 2
    restores = backend.resident.states.restores
    again = backend.chat(turn(revoice, "I divided 28 by 2"), Options(temperature=0, seed=0, max_tokens=12))
    assert backend.resident.states.restores == restores + 1
    assert again.usage.cached_tokens >= shared  # without the saved state: the chat template's first tokens only
    assert again.text == fresh.text
    other = backend.chat(turn(intent, "hello there"), Options(temperature=0, max_tokens=2))
    assert other.usage.cached_tokens >= len(backend.prompt_tokens([intent])) - 2  # and the classifier's, too
