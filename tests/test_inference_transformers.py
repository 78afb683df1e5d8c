"""The transformers backend on CPU with the smollm2-135m GGUF (de-quantized by transformers; slow)."""

from __future__ import annotations

import pytest

from inference import Message, Options, get_backend

pytestmark = [pytest.mark.model, pytest.mark.slow]


@pytest.fixture(scope="module")
def backend(smollm2_path, model_cache_dir):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    b = get_backend("transformers", model="smollm2-135m", threads=1, device="cpu", cache_dir=model_cache_dir)
    yield b.load()
    b.close()


MESSAGES = [Message(role="user", content="What is 2 + 3?")]


def test_chat_and_stream_on_cpu(backend):
    c = backend.chat(MESSAGES, Options(temperature=0, max_tokens=6, actor="tutor"))
    assert c.text.strip() and c.backend == "transformers"
    assert c.usage.prompt_tokens > 5 and 0 < c.usage.completion_tokens <= 6
    stream = backend.stream(MESSAGES, Options(temperature=0, max_tokens=6))
    deltas = list(stream)
    assert deltas and "".join(deltas) == stream.completion.text
    assert stream.completion.text == c.text  # greedy decoding is deterministic


def test_local_hf_directory_loads(tmp_path, smollm2_path):
    """A Hugging Face model directory (here: a tiny random Llama with the test model's tokenizer) is accepted."""
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("gguf")

    gguf = smollm2_path
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    config = transformers.LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        num_key_value_heads=1,
        max_position_embeddings=512,
    )
    transformers.LlamaForCausalLM(config).save_pretrained(tmp_path)
    tokenizer.save_pretrained(tmp_path)
    backend = get_backend("transformers", model=str(tmp_path), device="cpu")
    c = backend.chat(MESSAGES, Options(temperature=0, max_tokens=4))
    assert c.usage.completion_tokens == 4 and c.model == str(tmp_path)
