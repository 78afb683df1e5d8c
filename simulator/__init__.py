"""Simulated students: personas, a hidden knowledge state seeded from a real wrong solution, decided replies.

Public API (see DESIGN.md, "Simulated students"):
- `Persona`, `HiddenState`, `NodeState`, `Event`, `StudentTurn` (pydantic, JSON round trips)
- `StudentSession.start(problem, persona, seed=0, backend=None, malgorithm_id=None)`; `.opening`,
  `.respond(tutor_message)`, `.hidden_state`, `.events`, `.solved`, `.told`, `.malgorithm_id`
- `classify_move(tutor_message)` -> focus / probing / telling / generic; `map_to_node(message, tree, problem)`
- `personas.from_profile(text)`, `personas.builtin(mode)`; `fidelity.check(text, content)`
This package never imports `tutor` (they meet in `evals` and the app).
"""

from simulator.mapping import map_to_node
from simulator.moves import classify_move
from simulator.personas import builtin, from_profile
from simulator.student import StudentSession
from simulator.types import (
    Content,
    Event,
    FidelityVerdict,
    HiddenState,
    NodeState,
    Persona,
    StudentTurn,
)
from vocabulary import MOVES, PERSONA_MODES, Move, PersonaMode

__all__ = [
    "MOVES",
    "PERSONA_MODES",
    "Content",
    "Event",
    "FidelityVerdict",
    "HiddenState",
    "Move",
    "NodeState",
    "Persona",
    "PersonaMode",
    "StudentSession",
    "StudentTurn",
    "builtin",
    "classify_move",
    "from_profile",
    "map_to_node",
]
