"""Built-in personas (one per mode) and personas built from MathDial / SDB student profiles."""

from __future__ import annotations

import re

from simulator.types import Persona
from vocabulary import PERSONA_MODES, PersonaMode

BUILTIN: dict[PersonaMode, Persona] = {
    p.mode: p
    for p in (
        Persona(
            mode="typical",
            name="Sam",
            grade=7,
            resistance=0.5,
            verbosity=0.5,
            profile="Sam is a 7th grade student who works carefully but sometimes applies a rule where it does "
            "not fit.",
        ),
        Persona(
            mode="quiet",
            name="Mia",
            grade=6,
            resistance=0.5,
            verbosity=0.1,
            profile="Mia is a 6th grade student who answers in as few words as possible.",
        ),
        Persona(
            mode="confused",
            name="Leo",
            grade=6,
            resistance=0.5,
            verbosity=0.6,
            profile="Leo is a 6th grade student who mixes up several ideas and is unsure about most steps.",
        ),
        Persona(
            mode="adversarial",
            name="Max",
            grade=8,
            resistance=0.6,
            verbosity=0.4,
            extraction_rate=0.5,
            profile="Max is an 8th grade student who would rather get the answer than work it out.",
        ),
    )
}

_GRADE = re.compile(r"\b(\d{1,2})(?:st|nd|rd|th)[ -]grade\b|\bgrade\s+(\d{1,2})\b", re.IGNORECASE)
_NAME = re.compile(r"^\s*([A-Z][A-Za-z'\-]*(?:\s+[A-Z][A-Za-z'\-]*)?)\s+(?:is|was)\b")
_QUIET = re.compile(r"\b(shy|quiet|few words|reserved|short answers?)\b", re.IGNORECASE)
_CONFUSED = re.compile(
    r"\b(confus\w*|mixes up|overwhelm\w*|lost|struggles? with (?:most|many|several))\b", re.IGNORECASE
)
_RESIST = re.compile(r"\b(stubborn|insists?|defends?|overconfident|rarely changes)\b", re.IGNORECASE)


def tier(persona: Persona) -> str:
    """How much the persona says: quiet, normal or verbose."""
    if persona.mode == "quiet" or persona.verbosity < 0.3:
        return "quiet"
    if persona.verbosity > 0.7:
        return "verbose"
    return "normal"


def builtin(mode: PersonaMode = "typical") -> Persona:
    """A copy of the built-in persona for a mode."""
    if mode not in BUILTIN:
        raise ValueError(f"unknown persona mode {mode!r}; use one of {', '.join(PERSONA_MODES)}")
    return BUILTIN[mode].model_copy(deep=True)


def from_profile(text: str, *, mode: PersonaMode | None = None, resistance: float | None = None) -> Persona:
    """Build a persona from a free-text student profile such as MathDial's `student_profile`.

    "Mariana is a 7th grade student. She has difficulty ..." -> name "Mariana", grade 7, the text as profile.
    The mode is `typical` unless the text clearly says quiet/shy or confused (or `mode` is given); profile words
    such as "stubborn" raise the resistance a little. Unparseable text still gives a valid persona.
    """
    text = (text or "").strip()
    name_match = _NAME.match(text)
    name = name_match.group(1) if name_match else "Student"
    grade_match = _GRADE.search(text)
    grade = int(grade_match.group(1) or grade_match.group(2)) if grade_match else None
    if grade is not None and not 1 <= grade <= 16:
        grade = None
    if mode is None:
        mode = "quiet" if _QUIET.search(text) else "confused" if _CONFUSED.search(text) else "typical"
    base = BUILTIN[mode]
    if resistance is None:
        resistance = base.resistance + (0.15 if _RESIST.search(text) else 0.0)
    return Persona(
        name=name,
        grade=grade,
        profile=text,
        resistance=min(1.0, max(0.0, resistance)),
        verbosity=base.verbosity,
        mode=mode,
        extraction_rate=base.extraction_rate,
    )
