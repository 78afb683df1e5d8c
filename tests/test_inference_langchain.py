"""LangChain both ways: a LangChain chat model as our backend, and our backend as a LangChain chat model."""

from __future__ import annotations

import pytest

from errors import ConfigError
from inference import FakeBackend, Message, Options, as_langchain, get_backend

pytest.importorskip("langchain_core")
from langchain_core.language_models import BaseChatModel  # noqa: E402
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel  # noqa: E402
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage  # noqa: E402


def test_langchain_model_as_our_backend():
    lc = GenericFakeChatModel(messages=iter([AIMessage(content="What is 25% of 100?"), AIMessage(content="Good.")]))
    backend = get_backend("langchain", chat_model=lc)
    c = backend.chat([Message(role="user", content="hi")], Options(actor="tutor"))
    assert c.text == "What is 25% of 100?" and c.backend == "langchain"
    stream = backend.stream([Message(role="user", content="again")])
    deltas = list(stream)
    assert "".join(deltas) == "Good." and stream.completion.text == "Good."


def test_langchain_backend_needs_a_chat_model():
    with pytest.raises(ConfigError, match="chat model"):
        get_backend("langchain")
    with pytest.raises(ConfigError):
        get_backend("langchain", chat_model="not a model")


def test_our_backend_as_langchain_model_invoke():
    fake = FakeBackend(["Which step comes first?"])
    model = as_langchain(fake, options=Options(actor="tutor", max_tokens=20))
    assert isinstance(model, BaseChatModel)
    reply = model.invoke([SystemMessage(content="be Socratic"), HumanMessage(content="help")])
    assert reply.content == "Which step comes first?"
    assert [(m.role, m.content) for m in fake.history[0]] == [("system", "be Socratic"), ("user", "help")]
    assert fake.options[0].actor == "tutor" and fake.options[0].max_tokens == 20
    assert reply.usage_metadata["output_tokens"] == 4  # the fake counts words


def test_our_backend_as_langchain_model_stream_and_stop():
    fake = FakeBackend(["What do you notice about the numbers?"])
    model = as_langchain(fake)
    chunks = list(model.stream("hi", stop=["END"]))
    assert len(chunks) > 2
    assert "".join(c.content for c in chunks) == "What do you notice about the numbers?"
    assert fake.options[0].stop == ["END"]


def test_round_trip_through_both_adapters():
    fake = FakeBackend(["round trip"])
    backend = get_backend("langchain", chat_model=as_langchain(fake))
    assert backend.chat([Message(role="user", content="x")]).text == "round trip"
    assert fake.history[0][0].content == "x"
