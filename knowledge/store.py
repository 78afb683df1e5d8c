"""The Chroma-backed knowledge store: problems, malgorithms and tree nodes with metadata filters.

Each problem's full JSON is kept in its metadata, so `get()` round-trips exactly. Embeddings come from the packaged
all-MiniLM-L6-v2 through the registered embedding function (`knowledge.embeddings`), so a fresh process reopens the
store with no download; telemetry is off; every collection uses cosine space.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from errors import ConfigError
from knowledge.bank import load_starter
from knowledge.diagnosis import malgorithm_texts, rank
from knowledge.embeddings import chroma_embedding_function, default_embedder, encode_cached
from knowledge.numbers import numbers_in
from knowledge.trees import tree_for
from knowledge.types import Diagnosis, Malgorithm, NodeHit, Problem
from settings import Settings, apply_offline_env

COLLECTIONS = ("problems", "malgorithms", "nodes")


def _skill_key(skill: str) -> str:
    return "skill:" + skill.strip().lower()


def _problem_doc(p: Problem) -> str:
    return f"{p.title}\n{p.statement}\nSkills: {', '.join(p.skills)}"


def chroma_client(path: str | Path | None, url: str = "") -> Any:
    """An embedded Chroma under `path`, or (with `url`, e.g. http://127.0.0.1:8000) a client of a Chroma server
    shared by several app workers. Telemetry off either way; an unreachable server is a ConfigError."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    if not url:
        assert path is not None, "an embedded store needs a path"
        Path(path).mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(path), settings=settings)
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError("The Chroma URL must look like http://host:port.", f"bad chroma_url {url!r}")
    try:
        return chromadb.HttpClient(
            host=parts.hostname,
            port=parts.port or (443 if parts.scheme == "https" else 8000),
            ssl=parts.scheme == "https",
            settings=settings,
        )
    except Exception as exc:  # chromadb raises plain ValueError/ConnectError when the server is not there
        raise ConfigError(
            f"Could not reach the Chroma server at {url}; check that it runs (`chroma run`).",
            f"chromadb.HttpClient({url}): {type(exc).__name__}: {exc}",
        ) from exc


class KnowledgeStore:
    """`KnowledgeStore(path)` opens (or creates) the store under `path` (e.g. `settings.chroma_dir`);
    `KnowledgeStore(url="http://host:port")` uses a Chroma server instead (`settings.chroma_url`)."""

    def __init__(self, path: str | Path | None = None, *, url: str = "", embedder: Any = None) -> None:
        apply_offline_env()
        self.path = Path(path) if path is not None else None
        self.url = url
        self.embedder = embedder or default_embedder()
        self.client = chroma_client(path, url)
        # Other workers write to a shared server: read problems and their vectors from it, never a local copy.
        self._caching = not url
        ef = chroma_embedding_function()
        self._cols = {
            name: self.client.get_or_create_collection(
                name, embedding_function=ef, configuration={"hnsw": {"space": "cosine"}}
            )
            for name in COLLECTIONS
        }
        self._batch = max(1, min(self.client.get_max_batch_size(), 2000))
        self._cache: dict[str, Problem] = {}
        self._vectors: dict[str, tuple[list[str], np.ndarray]] = {}

    # --- writing --------------------------------------------------------------------------------------------
    def upsert(self, problems: Iterable[Problem]) -> int:
        """Insert or replace problems with their malgorithms and tree nodes. Idempotent; returns the count."""
        problems = list(problems)
        if not problems:
            return 0
        ids = [p.id for p in problems]
        p_rows, m_rows, n_rows = [], [], []
        for p in problems:
            meta = {"domain": p.domain, "difficulty": p.difficulty, "source": p.source, "title": p.title,
                    "skills": ",".join(p.skills), "json": p.model_dump_json()}  # fmt: skip
            meta.update({_skill_key(s): True for s in p.skills})
            if p.grade is not None:
                meta["grade"] = p.grade
            p_rows.append((p.id, _problem_doc(p), meta))
            for m in p.malgorithms:
                base = {"problem_id": p.id, "malgorithm_id": m.id, "domain": p.domain, "source": p.source,
                        "label": m.label, "json": m.model_dump_json()}  # fmt: skip
                for k, text in enumerate(self._texts(m)):
                    m_rows.append((f"{m.id}#{k}", text, base))
            for node in tree_for(p).nodes:
                meta_n = {"problem_id": p.id, "node_id": node.id, "kind": node.kind, "domain": p.domain,
                          "skills": ",".join(node.skills)}  # fmt: skip
                doc = node.concept + "\n" + "\n".join(node.questions.focus[:2])
                n_rows.append((f"{p.id}/{node.id}", doc, meta_n))
        for name, rows in (("malgorithms", m_rows), ("nodes", n_rows)):  # drop rows the new versions no longer have
            keep = {r[0] for r in rows}
            for chunk in _chunks(ids, 500):
                old = self._cols[name].get(where={"problem_id": {"$in": list(chunk)}}, include=[])["ids"]
                stale = [i for i in old if i not in keep]
                if stale:
                    self._cols[name].delete(ids=stale)
        self._write("problems", p_rows)
        self._write("malgorithms", m_rows)
        self._write("nodes", n_rows)
        for p in problems:
            if self._caching:
                self._cache[p.id] = p
            self._vectors.pop(p.id, None)
        return len(problems)

    @staticmethod
    def _texts(m: Malgorithm) -> list[str]:
        return malgorithm_texts(m)

    def _write(self, name: str, rows: list[tuple[str, str, dict[str, Any]]]) -> None:
        """Upsert rows, embedding each distinct new text once and reusing stored vectors for unchanged texts."""
        if not rows:
            return
        col = self._cols[name]
        for chunk in _chunks(rows, self._batch):
            ids = [r[0] for r in chunk]
            docs = [r[1] for r in chunk]
            known: dict[str, Any] = {}
            old = col.get(ids=ids, include=["documents", "embeddings"])
            for doc, emb in zip(
                old["documents"] or [], old["embeddings"] if old["embeddings"] is not None else [], strict=False
            ):
                if doc is not None and emb is not None:
                    known[doc] = emb
            fresh = [d for d in dict.fromkeys(docs) if d not in known]
            if fresh:
                known.update(zip(fresh, self.embedder.encode(fresh), strict=True))
            col.upsert(
                ids=ids,
                documents=docs,
                metadatas=[r[2] for r in chunk],
                embeddings=[[float(x) for x in known[d]] for d in docs],
            )

    def delete(self, problem_ids: Sequence[str]) -> None:
        ids = list(problem_ids)
        for name in ("malgorithms", "nodes"):
            self._cols[name].delete(where={"problem_id": {"$in": ids}})
        self._cols["problems"].delete(ids=ids)
        for pid in ids:
            self._cache.pop(pid, None)
            self._vectors.pop(pid, None)

    # --- reading --------------------------------------------------------------------------------------------
    def count(self, collection: str = "problems") -> int:
        return self._cols[collection].count()

    def get(self, problem_id: str) -> Problem:
        """The stored problem, exactly as upserted; KeyError when absent."""
        if problem_id in self._cache:
            return self._cache[problem_id]
        got = self._cols["problems"].get(ids=[problem_id], include=["metadatas"])
        if not got["ids"]:
            raise KeyError(problem_id)
        problem = Problem.model_validate_json(got["metadatas"][0]["json"])
        if self._caching:
            self._cache[problem_id] = problem
        return problem

    def ids(self) -> list[str]:
        return sorted(self._cols["problems"].get(include=[])["ids"])

    def list(self, domain: str | None = None, skill: str | None = None, source: str | None = None) -> list[Problem]:
        """Problems matching every given filter, ordered by id."""
        where = _where(domain=domain, source=source, skill=skill)
        got = (
            self._cols["problems"].get(where=where, include=["metadatas"])
            if where
            else self._cols["problems"].get(include=["metadatas"])
        )
        problems = [Problem.model_validate_json(m["json"]) for m in got["metadatas"]]
        return sorted(problems, key=lambda p: p.id)

    def search(self, text: str, k: int = 5, domain: str | None = None, skill: str | None = None) -> list[Problem]:
        """Problems nearest in meaning to `text`."""
        col = self._cols["problems"]
        if col.count() == 0 or not text.strip():
            return []
        where = _where(domain=domain, skill=skill)
        res = col.query(
            query_embeddings=[self._query_vector(text)],
            n_results=min(k, col.count()),
            where=where,
            include=["metadatas"],
        )
        return [Problem.model_validate_json(m["json"]) for m in res["metadatas"][0]]

    def search_nodes(self, text: str, k: int = 5, problem_id: str | None = None) -> list[NodeHit]:
        """Tree nodes nearest in meaning to `text`, nearest first (optionally of one problem)."""
        col = self._cols["nodes"]
        if col.count() == 0:
            return []
        res = col.query(
            query_embeddings=[self._query_vector(text)],
            n_results=min(k, col.count()),
            where={"problem_id": problem_id} if problem_id else None,
            include=["metadatas", "distances", "documents"],
        )
        return [
            NodeHit(
                problem_id=meta["problem_id"],
                node_id=meta["node_id"],
                kind=meta["kind"],
                domain=meta["domain"],
                skills=[s for s in meta["skills"].split(",") if s],
                document=doc,
                similarity=1.0 - dist,
            )
            for meta, doc, dist in zip(res["metadatas"][0], res["documents"][0], res["distances"][0], strict=True)
        ]

    def _query_vector(self, text: str) -> list[float]:
        return [float(x) for x in encode_cached(self.embedder, [text])[0]]

    def diagnose(
        self,
        problem: Problem | str,
        student_text: str,
        student_value: float | None = None,
        *,
        k: int = 10,
        domain: str | None = None,
    ) -> list[Diagnosis]:
        """Ranked malgorithms from the store: a value match first, then similarity, as `knowledge.diagnose`.

        With a problem (or its id) the search is restricted to that problem's malgorithms; with `problem=""` it runs
        over every malgorithm (optionally one domain) and returns the best `k`.
        """
        pid = problem.id if isinstance(problem, Problem) else problem
        if not (student_text or "").strip() and student_value is None:
            return []
        query = np.asarray(self._query_vector(student_text or " "), dtype=np.float32)
        if pid:  # one problem: its few stored vectors (cached), every malgorithm takes part in value matching
            try:
                stored = self.get(pid)
            except KeyError:
                return []
            ids, matrix = self._problem_vectors(pid)
            scores = matrix @ query if len(ids) else np.zeros(0, dtype=np.float32)
            best: dict[str, float] = {}
            for mid, score in zip(ids, scores, strict=True):
                best[mid] = max(best.get(mid, 0.0), float(score))
            ms = list(stored.malgorithms)
            sims = [min(1.0, max(0.0, best.get(m.id, 0.0))) for m in ms]
            return rank(ms, student_text or "", student_value, sims, limit=k, givens=numbers_in(stored.statement))
        res = self._cols["malgorithms"].query(
            query_embeddings=[query.tolist()],
            n_results=max(1, 3 * k),
            where={"domain": domain} if domain else None,
            include=["metadatas", "distances"],
        )
        found: dict[str, tuple[Malgorithm, float]] = {}
        for meta, dist in zip(res["metadatas"][0], res["distances"][0], strict=True):
            sim = max(0.0, min(1.0, 1.0 - float(dist)))
            mid = meta["malgorithm_id"]
            if mid not in found or sim > found[mid][1]:
                found[mid] = (Malgorithm.model_validate_json(meta["json"]), sim)
        ms = [f[0] for f in found.values()]
        return rank(ms, student_text or "", student_value, [f[1] for f in found.values()], limit=k)

    def _problem_vectors(self, pid: str) -> tuple[list[str], np.ndarray]:
        """(malgorithm id per row, row vectors) of one problem's stored malgorithm texts; cached until it changes."""
        if pid in self._vectors:
            return self._vectors[pid]
        got = self._cols["malgorithms"].get(where={"problem_id": pid}, include=["embeddings", "metadatas"])
        ids = [m["malgorithm_id"] for m in got["metadatas"]]
        emb = got["embeddings"]
        matrix = np.asarray(emb, dtype=np.float32) if emb is not None and len(emb) else np.zeros((0, 1), np.float32)
        if self._caching:
            self._vectors[pid] = (ids, matrix)
        return ids, matrix


def _where(**filters: str | None) -> dict[str, Any] | None:
    clauses: list[dict[str, Any]] = []
    for key, value in filters.items():
        if value is None:
            continue
        clauses.append({_skill_key(value): True} if key == "skill" else {key: value})
    if not clauses:
        return None
    return clauses[0] if len(clauses) == 1 else {"$and": clauses}


def _chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@functools.lru_cache(maxsize=4)
def open_store(path: str, url: str = "") -> KnowledgeStore:
    """One store per location per process (Chroma clients are heavy)."""
    return KnowledgeStore(None if url else path, url=url)


def default_store(settings: Settings) -> KnowledgeStore:
    """The app's store: the Chroma server at `settings.chroma_url`, else the one under `settings.chroma_dir`."""
    return open_store(str(settings.chroma_dir), settings.chroma_url)


def seed_starter(store: KnowledgeStore) -> int:
    """Seed the starter bank into an empty store (first run); returns how many problems were added."""
    if store.count("problems") > 0:
        return 0
    return store.upsert(load_starter())


def export_json(problems: Sequence[Problem]) -> str:
    return json.dumps([p.model_dump(mode="json") for p in problems], indent=2)
