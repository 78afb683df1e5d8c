"""Make a JSON schema safe for grammar-constrained decoding.

Small models given an unbounded string field keep writing until `max_tokens` runs out (the JSON never closes) or
put raw newlines in it. `bound_schema` returns a copy where every string has a `maxLength`, every array a
`maxItems`, and every object with `properties` forbids extra keys — so a constrained decoder always reaches the
closing brace within a predictable number of tokens. Existing bounds, enums, consts and patterns are kept.
"""

from __future__ import annotations

import copy
from typing import Any

DEFAULT_MAX_LENGTH = 200
DEFAULT_MAX_ITEMS = 8

_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SUBSCHEMA_MAPS = ("properties", "$defs", "definitions", "patternProperties")


def bound_schema(
    schema: dict[str, Any], *, max_length: int = DEFAULT_MAX_LENGTH, max_items: int = DEFAULT_MAX_ITEMS
) -> dict[str, Any]:
    """Return a bounded deep copy of `schema` (the input is not modified)."""
    if not isinstance(schema, dict):
        raise TypeError(f"a JSON schema must be a dict, got {type(schema).__name__}")
    out = copy.deepcopy(schema)
    _bound(out, max_length, max_items)
    return out


def _types(node: dict[str, Any]) -> set[str]:
    kind = node.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list):
        return {k for k in kind if isinstance(k, str)}
    return set()


def _bound(node: Any, max_length: int, max_items: int) -> None:
    if not isinstance(node, dict):
        return
    kinds = _types(node)
    fixed = "enum" in node or "const" in node
    if "string" in kinds and not fixed and "maxLength" not in node and "pattern" not in node:
        node["maxLength"] = max(max_length, int(node.get("minLength", 0)))
    if "array" in kinds and "maxItems" not in node:
        node["maxItems"] = max(max_items, int(node.get("minItems", 0)))
    if "properties" in node and "additionalProperties" not in node:
        node["additionalProperties"] = False
    for key in _SUBSCHEMA_MAPS:
        sub = node.get(key)
        if isinstance(sub, dict):
            for child in sub.values():
                _bound(child, max_length, max_items)
    for key in _SUBSCHEMA_LISTS:
        sub = node.get(key)
        if isinstance(sub, list):
            for child in sub:
                _bound(child, max_length, max_items)
    for key in ("items", "additionalProperties", "not", "if", "then", "else"):
        if isinstance(node.get(key), dict):
            _bound(node[key], max_length, max_items)


def is_bounded(schema: dict[str, Any]) -> bool:
    """True when every string in the schema has a maxLength (or is an enum/const/pattern)."""
    return _all_strings_bounded(schema)


def _all_strings_bounded(node: Any) -> bool:
    if isinstance(node, list):
        return all(_all_strings_bounded(n) for n in node)
    if not isinstance(node, dict):
        return True
    if (
        "string" in _types(node)
        and "maxLength" not in node
        and "pattern" not in node
        and "enum" not in node
        and "const" not in node
    ):
        return False
    return all(_all_strings_bounded(v) for k, v in node.items() if isinstance(v, dict | list) and k != "enum")
