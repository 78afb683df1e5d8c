"""The schema-bounding helper that keeps constrained JSON output finite."""

from __future__ import annotations

import copy
import json

from inference import FakeBackend, Message, Options
from inference.common import normalize_json
from inference.schema import bound_schema, is_bounded

SCHEMA = {
    "type": "object",
    "properties": {
        "reason": {"type": "string"},
        "short": {"type": "string", "maxLength": 10},
        "verdict": {"type": "string", "enum": ["yes", "no"]},
        "tags": {"type": "array", "items": {"type": "string"}},
        "maybe": {"type": ["string", "null"]},
        "nested": {"type": "object", "properties": {"note": {"type": "string", "minLength": 300}}},
        "choice": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
        "ref": {"$ref": "#/$defs/Item"},
    },
    "required": ["reason", "verdict"],
    "$defs": {"Item": {"type": "object", "properties": {"name": {"type": "string"}}}},
}


def test_every_string_gets_a_max_length_and_existing_bounds_are_kept():
    out = bound_schema(SCHEMA, max_length=50, max_items=4)
    props = out["properties"]
    assert props["reason"]["maxLength"] == 50
    assert props["short"]["maxLength"] == 10
    assert "maxLength" not in props["verdict"]
    assert props["tags"]["maxItems"] == 4 and props["tags"]["items"]["maxLength"] == 50
    assert props["maybe"]["maxLength"] == 50
    assert props["nested"]["properties"]["note"]["maxLength"] == 300  # never below minLength
    assert props["choice"]["anyOf"][0]["maxLength"] == 50
    assert out["$defs"]["Item"]["properties"]["name"]["maxLength"] == 50
    assert out["additionalProperties"] is False and props["nested"]["additionalProperties"] is False


def test_input_is_not_modified():
    before = copy.deepcopy(SCHEMA)
    bound_schema(SCHEMA)
    assert before == SCHEMA


def test_is_bounded():
    assert not is_bounded(SCHEMA)
    assert is_bounded(bound_schema(SCHEMA))
    assert is_bounded({"type": "string", "pattern": "^[a-z]{1,5}$"})


def test_explicit_additional_properties_is_kept():
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}, "additionalProperties": True}
    assert bound_schema(schema)["additionalProperties"] is True


def test_normalize_json_repairs_raw_newlines_only():
    assert json.loads(normalize_json('{"b": "line\none", "a": 1}')) == {"b": "line\none", "a": 1}
    assert list(json.loads(normalize_json('{"b": "x\n", "a": 1}'))) == ["b", "a"]  # key order kept
    assert normalize_json('{"a": 1}') == '{"a": 1}'
    assert normalize_json('{"a": "unterminated') == '{"a": "unterminated'


def test_structured_fake_output_is_normalized():
    fake = FakeBackend(['{"why": "two\nlines"}'])
    c = fake.chat([Message(role="user", content="x")], Options(json_schema={"type": "object"}))
    assert c.json() == {"why": "two\nlines"}
