"""The embedder-owned vector cache: each text is encoded once per embedder, and the cache dies with its embedder."""

from __future__ import annotations

import gc
import weakref

import numpy as np

from knowledge.diagnosis import similarities
from knowledge.embeddings import EmbeddingCache, HashEmbedder, encode_cached
from knowledge.trees import tree_for
from simulator.mapping import NodeMapper
from tests.problems import jacket_problem


class CountingEmbedder(HashEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.encoded: list[str] = []

    def encode(self, texts: list[str]) -> np.ndarray:
        self.encoded += texts
        return super().encode(texts)


def test_cached_vectors_equal_fresh_ones_and_each_text_is_encoded_once() -> None:
    emb = CountingEmbedder()
    texts = ["half of 80", "25% off", "half of 80"]
    first = encode_cached(emb, texts)
    again = encode_cached(emb, ["25% off", "ten percent", "half of 80"])
    assert emb.encoded == ["half of 80", "25% off", "ten percent"]
    np.testing.assert_array_equal(first, HashEmbedder().encode(texts))
    np.testing.assert_array_equal(again[2], first[0])
    assert encode_cached(emb, []).shape == (0, 384)


def test_two_embedders_never_share_vectors() -> None:
    first, second = HashEmbedder(), HashEmbedder()
    encode_cached(first, ["a text"])
    assert len(first.cache) == 1 and len(second.cache) == 0


def test_the_cache_goes_with_its_embedder() -> None:
    emb = HashEmbedder()
    encode_cached(emb, ["some text"])
    gone = weakref.ref(emb.cache)
    del emb
    gc.collect()
    assert gone() is None  # nothing module-global keeps it, so a new embedder at the same id starts empty


def test_the_cache_is_bounded_oldest_out() -> None:
    emb = CountingEmbedder()
    cache = EmbeddingCache(limit=2)
    cache.encode(emb, ["one", "two"])
    cache.encode(emb, ["three"])
    assert len(cache) == 2
    cache.encode(emb, ["one"])
    assert emb.encoded == ["one", "two", "three", "one"]


def test_an_embedder_without_a_cache_is_encoded_every_time() -> None:
    class Plain:
        calls = 0

        def encode(self, texts: list[str]) -> np.ndarray:
            Plain.calls += 1
            return HashEmbedder().encode(texts)

    plain = Plain()
    encode_cached(plain, ["x"])
    encode_cached(plain, ["x"])
    assert Plain.calls == 2


def test_diagnosis_and_node_mapping_read_the_same_cache() -> None:
    emb = CountingEmbedder()
    problem = jacket_problem()
    NodeMapper(tree_for(problem), problem, embedder=emb).map("What is 25% of 80?")
    after_mapping = len(emb.cache)
    similarities("I added the percents", problem.malgorithms, embedder=emb)
    similarities("I added the percents", problem.malgorithms, embedder=emb)
    assert after_mapping > 0 and len(emb.cache) > after_mapping
    assert emb.encoded.count("I added the percents") == 1
