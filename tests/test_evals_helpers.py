"""Hand-made problems (tests/data/problems.yaml) and dialogue records for the evals tests (no session involved)."""

from __future__ import annotations

from evals.records import DialogueOutcome, DialogueRecord, Utterance
from knowledge.types import Diagnosis, Problem
from simulator.types import HiddenState, NodeState, Persona
from tests.problems import problem
from tutor.guard import GuardVerdict
from tutor.state import StateSnapshot
from tutor.types import TurnTrace


def math_problem() -> Problem:
    """3 boxes of 4 apples: 12; the wrong paths add (7) or count the boxes (3)."""
    return problem("t-apples")


def code_problem() -> Problem:
    """double(x) written as x + 2; the fix is `return x * 2`."""
    return problem("t-double")


def trace(
    turn: int,
    *,
    move: str = "focus",
    diagnoses: list[str] = (),
    mastery: float | None = None,
    guard_leaks: bool = False,
    policy: str = "tree",
) -> TurnTrace:
    """A tutor trace as the session writes it, with the fields the metrics read set from the arguments."""
    state = StateSnapshot(
        turn=turn,
        current_node=None,
        nodes={},
        produced_values=[],
        disclosed_values=[],
        solved=False,
        mastery={"multiplication": mastery} if mastery is not None else {},
    )
    return TurnTrace(
        turn=turn,
        policy=policy,
        student_message="",
        intent="answer",
        node_id=None,
        move=move,
        plan_kind="ask",
        reason="",
        state_before=state,
        state_after=state,
        text="",
        template_text="",
        diagnosis=[Diagnosis(malgorithm_id=d, label=d, confidence=0.9, reason="value") for d in diagnoses],
        guard=GuardVerdict(leaks=guard_leaks),
        guard_final=GuardVerdict(),
    )


def record(
    tutor: list[str],
    student: list[str],
    *,
    problem: Problem | None = None,
    policy: str = "tree",
    moves: list[str] | None = None,
    solved_turn: int | None = None,
    malgorithm_id: str | None = "t-apples-m0",
    diagnoses: list[list[str]] | None = None,
    mastery: float | None = None,
    hidden_resolved: bool | None = None,
    guard_flags: list[bool] | None = None,
    key: str = "k",
) -> DialogueRecord:
    """tutor[0] and student[0] are the openings; tutor[t], student[t] are turn t. `hidden_resolved` gives the
    student one final hidden state whose only node is known (True) or still misconceived (False)."""
    problem = problem or math_problem()
    transcript = []
    for t in range(max(len(tutor), len(student))):
        if t < len(tutor):
            transcript.append(Utterance(role="tutor", turn=t, text=tutor[t]))
        if t < len(student):
            transcript.append(Utterance(role="student", turn=t, text=student[t]))
    n = len(tutor) - 1
    moves = moves or ["focus"] * n
    traces = [
        trace(
            i + 1,
            move=moves[i],
            diagnoses=diagnoses[i] if diagnoses and i < len(diagnoses) else [],
            mastery=mastery,
            guard_leaks=bool(guard_flags[i]) if guard_flags else False,
            policy=policy,
        )
        for i in range(n)
    ]
    hidden = []
    if hidden_resolved is not None:
        node = NodeState(node_id="s0", status="knows" if hidden_resolved else "misconceived")
        hidden = [HiddenState(problem_id=problem.id, malgorithm_id=malgorithm_id, nodes=[node])]
    return DialogueRecord(
        key=key,
        problem=problem,
        policy=policy,
        persona=Persona(name="student", mode="typical"),
        persona_label="student/typical",
        seed=0,
        max_turns=12,
        malgorithm_id=malgorithm_id,
        transcript=transcript,
        tutor_traces=traces,
        student_hidden_states=hidden,
        outcome=DialogueOutcome(
            ended="solved" if solved_turn is not None else "max_turns",
            solved=solved_turn is not None,
            solved_turn=solved_turn,
            turns=n,
        ),
    )
