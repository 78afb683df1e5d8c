"""Knowledge base: typed problems, malgorithms and question trees; diagnosis; the Chroma store; importers.

Imports here stay light (pydantic only): torch, sentence-transformers and chromadb load inside the functions that
need them.
"""

from __future__ import annotations

from knowledge.diagnosis import diagnose
from knowledge.trees import derive_tree, tree_for
from knowledge.types import (
    DEPTHS,
    Bug,
    Check,
    Diagnosis,
    Fix,
    Malgorithm,
    Node,
    NodeHit,
    Problem,
    Questions,
    QuestionTree,
    Step,
)

__all__ = [
    "DEPTHS",
    "Bug",
    "Check",
    "Diagnosis",
    "Fix",
    "Malgorithm",
    "Node",
    "NodeHit",
    "Problem",
    "QuestionTree",
    "Questions",
    "Step",
    "derive_tree",
    "diagnose",
    "tree_for",
]
