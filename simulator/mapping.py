"""Which node of a question tree a tutor message is about.

An exact question-text match first, then embedding similarity (packaged MiniLM via `knowledge.embeddings`, lexical
overlap when it is unavailable) combined with numeric cues (the message mentions a step's operands or value, or a
bug's line number). "Talk me through your solution" is about the whole attempt and maps to no node.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING, Any

import numpy as np

from errors import RecoverableError
from knowledge.embeddings import DIMENSION, Embedder, default_embedder, encode_cached
from knowledge.numbers import close, parse_numbers
from knowledge.words import FUNCTION_WORDS, word_set
from simulator.moves import WALKTHROUGH
from simulator.types import NodeMatch

if TYPE_CHECKING:
    from knowledge.types import Node, Problem, QuestionTree

log = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z][a-z']+")
_STOP = FUNCTION_WORDS | word_set(
    "find how let's lets look no now ok okay our out tell their them these think us where why work yes"
)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _STOP}


def node_segments(node: Node, problem: Problem | None = None) -> list[str]:
    """The texts that describe a node: concept, its questions, and the step or bug it targets."""
    parts = [node.concept]
    for depth in ("focus", "probing", "hint"):
        parts.extend(node.questions.at(depth))  # type: ignore[arg-type]
    if problem is not None and node.step is not None and 0 <= node.step < len(problem.steps):
        parts.append(problem.steps[node.step].description)
    return [p for p in parts if p and p.strip()]  # a bug's description is shared by its nodes: it cannot discriminate


def node_text(node: Node, problem: Problem | None = None) -> str:
    return " ".join(node_segments(node, problem))


def node_numbers(node: Node, problem: Problem | None) -> set[float]:
    """Numeric cues for a node: a math step's operands and value; a bug's line numbers."""
    nums: set[float] = set()
    if problem is None:
        return nums
    if node.step is not None and 0 <= node.step < len(problem.steps):
        st = problem.steps[node.step]
        nums.update(parse_numbers(st.expression))
        nums.add(float(st.value))
    if node.bug is not None and 0 <= node.bug < len(problem.bugs):
        nums.update(float(n) for n in problem.bugs[node.bug].lines)
    return nums


EMBEDDING_THRESHOLD = 0.3
LEXICAL_THRESHOLD = 0.12


def _normalise(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


class NodeMapper:
    """Maps tutor messages to the nodes of one problem's tree. Node texts are embedded once, on first use.

    `embedder`: an object with `.encode(list[str]) -> ndarray` (L2-normalised rows); None loads the packaged
    MiniLM through `knowledge.embeddings.default_embedder()`; `use_embeddings=False` (or a failed load) uses
    lexical overlap instead.
    """

    def __init__(
        self,
        tree: QuestionTree,
        problem: Problem | None = None,
        *,
        embedder: Any = None,
        use_embeddings: bool = True,
        threshold: float | None = None,
    ) -> None:
        self.tree = tree
        self.problem = problem
        self._threshold = threshold
        self._embedder = embedder
        self._use_embeddings = use_embeddings
        self._segments = [node_segments(n, problem) or [n.id] for n in tree.nodes]
        # per node: each segment, then the whole description (a node scores half its closest segment, half the whole)
        self._owner = np.array([i for i, segs in enumerate(self._segments) for _ in range(len(segs) + 1)])
        self._is_whole = np.array([k == len(segs) for segs in self._segments for k in range(len(segs) + 1)])
        self._texts = [t for segs in self._segments for t in [*segs, " ".join(segs)]]
        self._words = [content_words(" ".join(segs)) for segs in self._segments]
        self._numbers = [node_numbers(n, problem) for n in tree.nodes]
        self._questions = [
            [_normalise(q) for d in ("focus", "probing", "hint", "bottom_out") for q in n.questions.at(d) if q.strip()]  # type: ignore[arg-type]
            for n in tree.nodes
        ]
        self._matrix: np.ndarray | None = None
        statement = problem.statement if problem is not None else ""
        self._statement_numbers = set(parse_numbers(statement, percent_fractions=True))
        self.method = "lexical"
        self._last: tuple[str, np.ndarray] | None = None  # the last message embedded (classifier and mapping share it)

    @property
    def threshold(self) -> float:
        """Below this score a message is about no node (embedding cosine and word-overlap scales differ)."""
        if self._threshold is not None:
            return self._threshold
        return EMBEDDING_THRESHOLD if self.method == "embedding" else LEXICAL_THRESHOLD

    def _embed_nodes(self) -> np.ndarray | None:
        if not self._use_embeddings:
            return None
        if self._matrix is None:
            try:
                if self._embedder is None:
                    self._embedder = default_embedder()
                self._matrix = encode_cached(self._embedder, self._texts)  # node texts: the embedder's cache
                self.method = "embedding"
            except (ImportError, OSError, RecoverableError) as exc:  # the packaged model is missing
                log.warning("node mapping falls back to lexical overlap: %s", exc)
                self._use_embeddings = False
                return None
        return self._matrix

    def _query(self, message: str) -> np.ndarray:
        if self._last is None or self._last[0] != message:
            self._last = (message, np.asarray(self._embedder.encode([message]), dtype=np.float32)[0])
        return self._last[1]

    def message_vector(self, message: str) -> np.ndarray | None:
        """The message's packaged-MiniLM embedding, for the fitted move classifier; None when this mapper is
        lexical or maps with another embedder (whose vectors the classifier was not fitted on)."""
        if self._embed_nodes() is None or not isinstance(self._embedder, Embedder) or self._embedder.path is not None:
            return None
        vector = self._query(message)
        return vector if vector.shape == (DIMENSION,) else None

    def scores(self, message: str) -> np.ndarray:
        n = len(self.tree.nodes)
        matrix = self._embed_nodes()
        if matrix is not None:
            query = self._query(message)
            per_text = matrix @ query
            best = np.full(n, -1.0, dtype=np.float32)
            np.maximum.at(best, self._owner[~self._is_whole], per_text[~self._is_whole])
            whole = per_text[self._is_whole]
            sim = 0.5 * best + 0.5 * whole
        else:
            words = content_words(message)
            sim = np.zeros(n, dtype=np.float32)
            for i, node_words in enumerate(self._words):
                if words and node_words:
                    sim[i] = len(words & node_words) / (len(words) ** 0.5 * len(node_words) ** 0.5)
        numbers = parse_numbers(message, percent_fractions=True)
        bonus = np.zeros(n, dtype=np.float32)
        for i, cues in enumerate(self._numbers):
            hits = sum(1 for x in numbers if any(close(x, c) for c in cues))
            specific = sum(
                1
                for x in numbers
                if any(close(x, c) for c in cues) and not any(close(x, s) for s in self._statement_numbers)
            )
            bonus[i] = 0.08 * min(hits, 3) + 0.07 * min(specific, 2)
        return sim + bonus

    def map(self, message: str) -> NodeMatch | None:
        """The node the message is about, or None when nothing is similar enough."""
        if not message.strip() or not self.tree.nodes:
            return None
        if WALKTHROUGH.search(message) and not parse_numbers(message) and len(message.split()) <= 20:
            return None  # "talk me through your solution" is about the whole attempt, not one node
        norm = _normalise(message)
        exact = [
            i
            for i, qs in enumerate(self._questions)
            if any(q and (q == norm or (len(q) > 25 and q in norm)) for q in qs)
        ]
        if exact:
            i = exact[0]
            return NodeMatch(node_id=self.tree.nodes[i].id, score=1.0, method="exact")
        scores = self.scores(message)
        order = np.argsort(-scores, kind="stable")
        best = int(order[0])
        if float(scores[best]) < self.threshold:
            return None
        runner = self.tree.nodes[int(order[1])].id if len(order) > 1 else None
        return NodeMatch(
            node_id=self.tree.nodes[best].id,
            score=round(float(scores[best]), 4),
            method="embedding" if self.method == "embedding" else "lexical",
            runner_up=runner,
        )


def map_to_node(
    message: str,
    tree: QuestionTree,
    problem: Problem | None = None,
    *,
    embedder: Any = None,
    use_embeddings: bool = True,
) -> NodeMatch | None:
    """One-off mapping of a tutor message to a tree node (see `NodeMapper`)."""
    return NodeMapper(tree, problem, embedder=embedder, use_embeddings=use_embeddings).map(message)
