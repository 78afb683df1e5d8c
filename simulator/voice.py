"""The student's voice: an optional LLM re-phrases the content the simulator decided, under a fidelity check.

`voice` renders the decided content's template; with an available backend it asks the model to say the same in
the persona's words (`simulator.prompts.render_student_voice`) and keeps the model's text only when
`simulator.fidelity.check` finds the content intact, else the template (also on a model error). Extraction
attempts are never re-voiced.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import simulator.fidelity as fidelity
from errors import RecoverableError
from inference.base import Message, Options
from knowledge.numbers import fmt
from simulator.content import render
from simulator.prompts import render_student_voice
from simulator.types import Content, FidelityVerdict, Persona

if TYPE_CHECKING:
    from inference.base import Backend

log = logging.getLogger(__name__)


def voice(
    backend: Backend | None,
    persona: Persona,
    content: Content,
    tutor_message: str,
    *,
    seed: int,
    turn: int,
    statement: str,
) -> tuple[str, bool, str, FidelityVerdict | None]:
    """(text sent, used the LLM, the LLM's raw text, fidelity verdict)."""
    template_text = render(content.template, content)
    if content.kind == "extraction" or backend is None or not backend.available:
        return template_text, False, "", None
    system, user = render_student_voice(persona, tutor_message, content.template, [fmt(v) for v in content.values])
    budget = min(320, max(60, len(content.template) // 3 + 40))  # room for the draft's length, no rambling
    options = Options(
        temperature=0.7,
        top_p=0.95,
        max_tokens=budget,
        seed=seed * 1000 + turn,
        stop=["\nTutor:", "\nTeacher:", "\nStudent:", "```"],
        actor="student",
    )
    try:
        completion = backend.chat([Message(role="system", content=system), Message(role="user", content=user)], options)
    except RecoverableError as exc:
        log.warning("student phrasing failed, using the template: %s", exc.log_message)
        return template_text, False, "", FidelityVerdict(ok=False, reasons=[f"llm error: {exc.user_message}"])
    raw = completion.text or ""
    text = raw.strip().strip('"').strip()
    verdict = fidelity.check(text, content, statement=statement, tutor_message=tutor_message)
    if not verdict.ok:
        log.info("student phrasing rejected (%s): %r", "; ".join(verdict.reasons), raw[:200])
        return template_text, False, raw, verdict
    return render(text, content), True, raw, verdict
