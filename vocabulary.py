"""The names of the project's fixed sets, each spelled once: a `Literal` type and the tuple of its values.

Every package imports its sets from here (this module imports nothing of ours, so store, knowledge, tutor,
simulator, evals, ui and settings can all use it); settings help texts and the app's and CLIs' choices derive from
these tuples. A subset is written as its own `Literal` and the whole as the union of the subset and the rest, so no
name is written twice.
"""

from __future__ import annotations

from typing import Literal, get_args

# -- tutor policies -------------------------------------------------------------------------------------------
# What a class of real students can be given: the Socratic policy and the two comparison policies. Not `null`: the
# content-free tutor is only the evaluation's validity baseline (DESIGN.md), so the store, its CLI and the app's
# class and lab choices accept this subset.
ClassPolicyName = Literal["tree", "vanilla", "telling"]
PolicyName = Literal[ClassPolicyName, "null"]  # every policy the tutor has (evaluations may run any)
CLASS_POLICY_NAMES: tuple[ClassPolicyName, ...] = get_args(ClassPolicyName)
POLICY_NAMES: tuple[PolicyName, ...] = get_args(PolicyName)
DEFAULT_POLICY: ClassPolicyName = "tree"

# -- teacher moves (MathDial's taxonomy) ----------------------------------------------------------------------
GuidingMove = Literal["focus", "probing", "telling"]  # the moves that act on the problem's content
Move = Literal[GuidingMove, "generic"]
GUIDING_MOVES: tuple[GuidingMove, ...] = get_args(GuidingMove)
MOVES: tuple[Move, ...] = get_args(Move)

# -- how a student's message was judged ------------------------------------------------------------------------
# A reference label (rule-derived or by hand) and the tutor's judgement share these: right (every claim checked is
# true), partly (a correct sub-result, but something still wrong or missing), wrong (claims checked false), none (no
# checkable claim). The tutor may also be unsure (a claim the evidence cannot decide: it asks for something it can
# check); a hand label may be unclear (the annotator cannot decide; evals/labels/GUIDE.md). The tutor's judgement is
# not tutor.planner's `TurnOutcome` (the planner's input) nor tutor.guard's `GuardVerdict`.
Reference = Literal["right", "partly", "wrong", "none"]
Judgement = Literal[Reference, "unsure"]
HandLabelValue = Literal[Reference, "unclear"]
REFERENCES: tuple[Reference, ...] = get_args(Reference)
JUDGEMENTS: tuple[Judgement, ...] = get_args(Judgement)
HAND_LABEL_VALUES: tuple[HandLabelValue, ...] = get_args(HandLabelValue)

# -- how a stored tutoring session stands or ended ------------------------------------------------------------
SessionOutcome = Literal["active", "solved", "max_turns", "restarted", "abandoned"]
SESSION_OUTCOMES: tuple[SessionOutcome, ...] = get_args(SessionOutcome)

# -- simulated students -----------------------------------------------------------------------------------------
PersonaMode = Literal["typical", "quiet", "confused", "adversarial"]
PERSONA_MODES: tuple[PersonaMode, ...] = get_args(PersonaMode)

# -- models -------------------------------------------------------------------------------------------------
# The registry (inference.models) holds every model and re-exports this name; it lives here because settings,
# which inference.models imports, needs it as its default. tests/test_vocabulary.py checks that it is registered.
DEFAULT_MODEL = "qwen2.5-coder-1.5b"


def or_list(names: tuple[str, ...]) -> str:
    """("tree", "vanilla", "telling") -> "tree, vanilla or telling": a set's names in a message or a help text."""
    return f"{', '.join(names[:-1])} or {names[-1]}" if len(names) > 1 else "".join(names)
