"""Named LLM prompts of the simulator. Inputs are tagged; each prompt states its output format.

The LLM never decides what the student knows: it only re-voices decided content, and `simulator.fidelity` checks
the result (on failure the template is used).
"""

from __future__ import annotations

import re

from simulator.personas import tier
from simulator.types import Persona

STUDENT_VOICE_SYSTEM = (
    "You write one chat message for a school student who is talking to a tutor. You are the student, not the tutor "
    "and not an assistant. Rewrite the student's draft message in the student's own casual words, in the first "
    "person, in the style described in <persona>.\n"
    "Rules: keep every number in the draft exactly as it is and add no other numbers; do not correct the draft, "
    "even if it is wrong; do not ask the tutor questions; do not praise anyone; never mention AI, models or "
    "assistants; do not write code.\n"
    "Output format: only the student's message as plain text, {length}, with no label, quotes or explanation."
)

STUDENT_VOICE_USER = (
    "<persona>\n{persona}\n</persona>\n"
    "<tutor_message>\n{tutor_message}\n</tutor_message>\n"
    "<draft>\n{draft}\n</draft>\n"
    "<numbers_to_keep>{numbers}</numbers_to_keep>\n"
    "Write the student's message now."
)

MOVE_CLASSIFIER_SYSTEM = (
    "You label a math tutor's message with its teaching move. Moves: focus = directs the student's attention to a "
    "specific step or quantity, usually with a question; probing = asks the student to explain, justify or check "
    "their reasoning; telling = states the answer, a value or the method directly; generic = greetings, praise, "
    "asking the student to talk through their solution.\n"
    'Output format: JSON {"move": "<focus|probing|telling|generic>"}.'
)
MOVE_CLASSIFIER_USER = "<tutor_message>\n{message}\n</tutor_message>\nChoose between: {choices}."


_ORDINALS = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
]


def _words_for_grades(text: str) -> str:
    """'7th grade' -> 'seventh grade': keeps stray digits out of the prompt (the model would repeat them)."""

    def ordinal(match: re.Match[str]) -> str:
        n = int(match.group(1))
        return _ORDINALS[n - 1] if 1 <= n <= len(_ORDINALS) else "school"

    return re.sub(r"\b(\d{1,2})(?:st|nd|rd|th)\b", ordinal, text)


def persona_description(persona: Persona) -> str:
    if persona.grade and 1 <= persona.grade <= len(_ORDINALS):
        grade = f"a {_ORDINALS[persona.grade - 1]}-grade student"
    else:
        grade = "a school student"
    style = {
        "typical": "writes plain, friendly sentences",
        "quiet": "answers in as few words as possible",
        "confused": "sounds unsure and hesitant",
        "adversarial": "sounds impatient",
    }[persona.mode]
    profile = f" {_words_for_grades(persona.profile.strip())}" if persona.profile.strip() else ""
    return f"{persona.name}, {grade}, {style}.{profile}"


LENGTH = {"quiet": "one short sentence", "normal": "one or two sentences", "verbose": "two to four sentences"}


def length_instruction(persona: Persona) -> str:
    return LENGTH[tier(persona)]


def render_student_voice(persona: Persona, tutor_message: str, draft: str, numbers: list[str]) -> tuple[str, str]:
    """(system, user) messages asking the LLM to re-voice `draft` as the persona."""
    system = STUDENT_VOICE_SYSTEM.format(length=length_instruction(persona))
    user = STUDENT_VOICE_USER.format(
        persona=persona_description(persona),
        tutor_message=(tutor_message or "(start of the conversation)").strip()[:1200],
        draft=draft.strip(),
        numbers=", ".join(numbers) if numbers else "(none)",
    )
    return system, user


def render_move_classifier(message: str, choices: list[str]) -> str:
    return MOVE_CLASSIFIER_USER.format(message=message.strip()[:1500], choices=", ".join(choices))
