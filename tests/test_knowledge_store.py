"""The Chroma store: exact round trips, idempotent upserts, filters, search, diagnosis; offline reopen."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from knowledge import diagnose
from knowledge.bank import load_starter
from knowledge.embeddings import HashEmbedder
from knowledge.store import KnowledgeStore, seed_starter
from knowledge.types import NodeHit
from tests.test_knowledge_diagnosis import problem as jacket
from tests.test_knowledge_types import code_problem, math_problem

ROOT = Path(__file__).parents[1]


@pytest.fixture
def store(tmp_path):
    s = KnowledgeStore(tmp_path / "chroma", embedder=HashEmbedder())
    s.upsert([math_problem(), code_problem(), jacket()])
    return s


def test_round_trip_and_idempotent_upsert(store):
    for p in (math_problem(), code_problem(), jacket()):
        store._cache.clear()
        assert store.get(p.id) == p
    counts = {c: store.count(c) for c in ("problems", "malgorithms", "nodes")}
    assert counts["problems"] == 3 and counts["nodes"] == 4 + 3 + 8
    store.upsert([math_problem(), code_problem(), jacket()])
    assert {c: store.count(c) for c in counts} == counts
    with pytest.raises(KeyError):
        store.get("nope")


def test_upsert_replaces_removed_malgorithms(store):
    p = jacket()
    p.malgorithms = p.malgorithms[:1]
    store.upsert([p])
    store._cache.clear()
    assert [m.id for m in store.get(p.id).malgorithms] == ["adds"]
    assert {d.malgorithm_id for d in store.diagnose(p.id, "45 or 60 or 52")} == {"adds"}


def test_list_filters_and_search(store):
    assert [p.id for p in store.list()] == ["code-test-sum", "math-test-apples", "math-test-jacket"]
    assert [p.id for p in store.list(domain="code")] == ["code-test-sum"]
    assert [p.id for p in store.list(skill="Multiplication")] == ["math-test-apples"]
    assert store.list(domain="code", skill="multiplication") == []
    assert store.search("apples bags eats", k=1)[0].id == "math-test-apples"
    assert [p.id for p in store.search("apples", k=5, domain="code")] == ["code-test-sum"]


def test_search_nodes_returns_typed_hits(store):
    node = math_problem().tree.node("s0-concept")
    hits = store.search_nodes(node.concept, k=3)
    assert len(hits) == 3 and all(isinstance(h, NodeHit) for h in hits)
    assert [h.similarity for h in hits] == sorted((h.similarity for h in hits), reverse=True)
    top = hits[0]
    assert (top.problem_id, top.node_id, top.kind, top.domain) == (
        "math-test-apples",
        "s0-concept",
        "conceptual",
        "math",
    )
    assert top.skills == node.skills == ["multiplication", "subtraction"]
    assert top.document.startswith(node.concept + "\n") and 0.5 < top.similarity <= 1.0 + 1e-6
    only = store.search_nodes("the failing test", k=20, problem_id="code-test-sum")
    assert {h.problem_id for h in only} == {"code-test-sum"} and len(only) == 3
    assert {h.node_id for h in only} == {"b0-behaviour", "b0-locate", "b0-fix"}


def test_store_diagnose_matches_in_memory(store):
    for text in ("Sam pays 45", "I got 52", "the sale price was 55", "something about dollars"):
        at_scale = store.diagnose("math-test-jacket", text)
        in_memory = diagnose(jacket(), text, embedder=store.embedder)
        assert [d.malgorithm_id for d in at_scale][:1] == [d.malgorithm_id for d in in_memory][:1]
    top = store.diagnose("math-test-jacket", "Sam pays 45")[0]
    assert top.malgorithm_id == "dollars" and top.reason == "value"
    across = store.diagnose("", "adds the percentages", k=3)
    assert across and across[0].malgorithm_id == "adds"


def test_fresh_process_reopens_offline(tmp_path):
    """Write with the real model, then reopen in a new process with the hub offline, no cache and no network."""
    pytest.importorskip("sentence_transformers")
    path = tmp_path / "chroma"
    KnowledgeStore(path).upsert([jacket()])
    home = tmp_path / "home"
    home.mkdir()
    env = {
        **os.environ,
        "HOME": str(home),
        "HF_HOME": str(home / "hf"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
        "HF_ENDPOINT": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "PYTHONPATH": str(ROOT),
    }
    script = textwrap.dedent(f"""
        import chromadb
        from knowledge.embeddings import _ef_class
        from knowledge.store import KnowledgeStore
        s = KnowledgeStore({str(path)!r})
        assert s.get("math-test-jacket").answer == 54
        print("top", s.diagnose("math-test-jacket", "I took 25 dollars off then 10 dollars")[0].malgorithm_id)
        print("search", s.search("jacket discount coupon", k=1)[0].id)
        _ef_class()
        client = chromadb.PersistentClient(path={str(path)!r})
        col = client.get_collection("problems")  # embedding function rebuilt from its registered name
        ef = col.configuration.get("embedding_function")
        print("ef", ef.name(), len(col.query(query_texts=["jacket"], n_results=1)["ids"][0]))
    """)
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "top dollars" in out.stdout
    assert "search math-test-jacket" in out.stdout
    assert "ef socratic_tutor_minilm 1" in out.stdout
    downloads = [p for p in home.rglob("*") if p.is_file()]
    assert not [p for p in downloads if "onnx" in p.name.lower() or p.suffix in (".safetensors", ".bin")], downloads


def test_seed_starter_only_into_an_empty_store(tmp_path):
    s = KnowledgeStore(tmp_path / "seed", embedder=HashEmbedder())
    n = seed_starter(s)
    assert n == len(load_starter()) and s.count("problems") == n
    assert seed_starter(s) == 0
    code = s.list(domain="code")
    assert code and all(p.id.startswith("code-") and p.tree is not None for p in code)
