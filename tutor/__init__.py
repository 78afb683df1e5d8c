"""The Socratic tutor: understand -> update state -> plan -> phrase -> guard -> trace.

Public API:
    TutorSession.start(problem, settings=TutorSettings(), backend=None) -> session
    session.opening, session.reply(message) -> Iterator[str], session.last / .trace / .state / .done / .solved
    reveals(message, problem, state=None) -> GuardVerdict
    tutor.sandbox.run_tests(code, problem) -> TestRun
Imports stay light (pydantic + stdlib); no model is loaded here.
"""

from __future__ import annotations

from tutor.guard import GuardVerdict, reveals
from tutor.planner import POLICIES, Plan, Policy, get_policy
from tutor.sandbox import SandboxLimits, TestResult, TestRun, run_tests
from tutor.session import TutorSession
from tutor.state import KnowledgeState, StateSnapshot, bkt_update
from tutor.types import TurnTrace, TutorSettings
from tutor.understand import Understanding, understand

__all__ = [
    "POLICIES",
    "GuardVerdict",
    "KnowledgeState",
    "Plan",
    "Policy",
    "SandboxLimits",
    "StateSnapshot",
    "TestResult",
    "TestRun",
    "TurnTrace",
    "TutorSession",
    "TutorSettings",
    "Understanding",
    "bkt_update",
    "get_policy",
    "reveals",
    "run_tests",
    "understand",
]
