"""Saved KV states of a resident llama.cpp model, so two kinds of prompt do not evict each other's prefix.

llama.cpp keeps one KV cache: the previous prompt. A tutor turn that first asks the intent classifier and then the
revoice job would read the revoice prompt's shared prefix (instructions and worked examples, ~300 tokens) again
after every classifier call, and the classifier's own prefix after every revoice call. `KVStates` keeps the KV
state of the last call of each kind of prompt (keyed by its first message), a few at most, and before a call
restores the saved state that shares more of the new prompt than the live cache does. A state is the sequence's
KV data (llama_state_seq_get_data), a few MB for a few hundred tokens: saving or restoring it takes milliseconds,
reading the tokens again seconds. The caller holds the model's gate.
"""

from __future__ import annotations

import ctypes
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from inference.common import require

MAX_STATES = 4  # kinds of prompt kept (revoice, classifier, a dialogue prompt, ...)
MAX_TOKENS = 1536  # a longer context is not saved (its state is large; long dialogues re-read their own prefix)
MIN_GAIN = 16  # restore only when it saves at least this many tokens of reading


@dataclass
class Saved:
    tokens: list[int]  # what the KV holds, in order
    data: Any  # the ctypes buffer from llama_state_seq_get_data
    size: int


def common_prefix(a: Any, b: list[int]) -> int:
    """How many leading tokens two sequences share (llama.cpp reuses that much of its KV cache)."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class KVStates:
    """The saved states of one loaded `llama_cpp.Llama` (sequence 0), by key, least recently used first."""

    def __init__(self, max_states: int = MAX_STATES, max_tokens: int = MAX_TOKENS) -> None:
        self.max_states = max_states
        self.max_tokens = max_tokens
        self._saved: OrderedDict[str, Saved] = OrderedDict()
        self.restores = 0

    def __len__(self) -> int:
        return len(self._saved)

    def save(self, llm: Any, key: str) -> bool:
        """Keep the live KV state under `key` (replacing the one there). False when not kept (too long, failed)."""
        n = int(llm.n_tokens)
        if n == 0 or n > self.max_tokens:
            return False
        low = require("llama_cpp", "llama-cpp-python", "llama_cpp")
        ctx = llm._ctx.ctx
        size = int(low.llama_state_seq_get_size(ctx, 0))
        data = (ctypes.c_uint8 * size)()
        written = int(low.llama_state_seq_get_data(ctx, data, size, 0))
        if written <= 0:
            return False
        self._saved[key] = Saved(tokens=[int(t) for t in llm.input_ids[:n]], data=data, size=written)
        self._saved.move_to_end(key)
        while len(self._saved) > self.max_states:
            self._saved.popitem(last=False)
        return True

    def best(self, live: int, prompt: list[int]) -> Saved | None:
        """The saved state sharing the most of `prompt`, when that beats the live cache's `live` tokens by
        MIN_GAIN."""
        scored = [(common_prefix(s.tokens, prompt), s) for s in self._saved.values()]
        shared, saved = max(scored, key=lambda pair: pair[0], default=(0, None))
        return saved if saved is not None and shared >= live + MIN_GAIN else None

    def restore(self, llm: Any, prompt: list[int]) -> int:
        """Load the best saved state for `prompt` into the live cache (see `best`); returns the tokens of the
        prompt the cache now holds (the live cache's share when nothing was restored)."""
        live = common_prefix(llm.input_ids[: llm.n_tokens], prompt)
        saved = self.best(live, prompt)
        if saved is None:
            return live
        low = require("llama_cpp", "llama-cpp-python", "llama_cpp")
        llm._ctx.kv_cache_clear()
        if int(low.llama_state_seq_set_data(llm._ctx.ctx, saved.data, saved.size, 0)) != saved.size:
            llm._ctx.kv_cache_clear()  # a failed load leaves nothing usable: read the whole prompt
            llm.n_tokens = 0
            return 0
        n = len(saved.tokens)
        llm.input_ids[:n] = saved.tokens
        llm.n_tokens = n
        llm._requires_eval = True  # the logits are not restored: llama.cpp decodes the prompt's rest first
        self.restores += 1
        return common_prefix(saved.tokens, prompt)
