"""Batch evaluation of tutor policies against simulated students: run configs, the dialogue runner, registered
metrics with bootstrap intervals, an optional LLM judge, reports and benchmarks.

    python -m evals run evals/configs/starter.yaml      # generate (resumable) -> score -> report
    python -m evals compare RUN_A RUN_B

Importing this package is light (no model, no tutor/simulator session is loaded).
"""

from evals.config import PersonaSpec, ProblemSet, RoleConfig, RunConfig, load_config
from evals.metrics import REGISTRY, Metric, metrics_for
from evals.records import DialogueOutcome, DialogueRecord, Utterance
from evals.runner import generate, run_dialogue

__all__ = [
    "REGISTRY",
    "DialogueOutcome",
    "DialogueRecord",
    "Metric",
    "PersonaSpec",
    "ProblemSet",
    "RoleConfig",
    "RunConfig",
    "Utterance",
    "generate",
    "load_config",
    "metrics_for",
    "run_dialogue",
]
