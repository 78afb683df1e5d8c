"""Simulator types: JSON round trips, validation, personas from profiles."""

from __future__ import annotations

import pydantic
import pytest

from simulator.personas import BUILTIN, builtin, from_profile
from simulator.types import (
    Content,
    Event,
    FidelityVerdict,
    HiddenState,
    NodeMatch,
    NodeState,
    Persona,
    StudentTurn,
)

SAMPLES = [
    Persona(
        name="Mariana",
        grade=7,
        profile="Mariana is a 7th grade student.",
        resistance=0.3,
        verbosity=0.2,
        mode="quiet",
        extraction_rate=0.1,
    ),
    NodeState(node_id="s0-value", status="misconceived", malgorithm_id="m1", derived=True, step=0, questions=2),
    HiddenState(
        problem_id="p",
        malgorithm_id="m1",
        nodes=[
            NodeState(node_id="a", status="knows", resolved_by="told"),
            NodeState(node_id="b", status="unknown", bug=0),
        ],
    ),
    Event(turn=3, kind="extraction_attempt", detail="roleplay"),
    Event(turn=2, kind="resolved", node="s1-concept", move="probing", detail="question", value=2.5),
    NodeMatch(node_id="s0-value", score=0.71, method="embedding", runner_up="s0-concept"),
    Content(kind="code", node="b0-fix", code="def f():\n    return 1\n", accepted=True, template="Here:"),
    FidelityVerdict(ok=False, reasons=["drops the decided value 3"]),
    StudentTurn(
        turn=1,
        tutor_message="How many?",
        move="focus",
        node=NodeMatch(node_id="x", score=1.0, method="exact"),
        content=Content(kind="step", node="x", values=[3.0], forbidden=[4.0], template="It's 3."),
        text="It's 3.",
        used_llm=False,
        verdict=None,
        latency_ms=1.5,
    ),
]


@pytest.mark.parametrize("value", SAMPLES, ids=lambda v: type(v).__name__)
def test_json_round_trip(value: pydantic.BaseModel) -> None:
    again = type(value).model_validate_json(value.model_dump_json())
    assert again == value


def test_persona_rejects_bad_values() -> None:
    with pytest.raises(pydantic.ValidationError):
        Persona(resistance=1.5)
    with pytest.raises(pydantic.ValidationError):
        Persona(mode="sleepy")  # type: ignore[arg-type]
    with pytest.raises(pydantic.ValidationError):
        Persona(unknown_field=1)  # type: ignore[call-arg]


def test_mode_defaults() -> None:
    assert builtin("adversarial").effective_extraction_rate > 0
    assert builtin("typical").effective_extraction_rate == 0
    confused = builtin("confused")
    assert confused.effective_resistance > confused.resistance
    assert set(BUILTIN) == {"typical", "quiet", "confused", "adversarial"}
    with pytest.raises(ValueError, match="unknown persona mode"):
        builtin("sleepy")  # type: ignore[arg-type]


def test_hidden_state_views() -> None:
    state = SAMPLES[2]
    assert isinstance(state, HiddenState)
    assert state.unknown == ["b"] and state.misconceived == [] and not state.all_known
    assert state.status("a") == "knows"
    with pytest.raises(KeyError):
        state.node("zzz")


def test_from_mathdial_profile() -> None:
    p = from_profile(
        "Mariana is a 7th grade student. She has difficulty determining which pieces of information "
        "are relevant and which are irrelevant to solving the problem."
    )
    assert (p.name, p.grade, p.mode) == ("Mariana", 7, "typical")
    assert p.profile.startswith("Mariana is a 7th grade student.")


def test_from_profile_variants() -> None:
    assert from_profile("Jia is a shy 6th-grade student who gives short answers.").mode == "quiet"
    assert from_profile("Cody is a 7th grade student who gets confused by long problems.").mode == "confused"
    stubborn = from_profile("Ali is a stubborn 8th grade student who defends his answers.")
    assert stubborn.resistance > BUILTIN["typical"].resistance
    odd = from_profile("")
    assert odd.name == "Student" and odd.grade is None
    assert from_profile("Ronny is a 7th grade student.", mode="adversarial").mode == "adversarial"
