"""Steps 4 and 5 of a turn, on a decided plan: the model's job and words, their quality gate, and the guard.

- `model_job`: which job the model gets this turn ('' for none), and why (no model, rephrase off, measured
  acceptance for the move kind);
- `model_text`: the model's whole text for a job checked whole (rewrite, tell); `None` when it failed or was busy;
- `reject_reason`: the strict quality gate for that text (None: usable; a telling's text must keep the final answer);
- `guard_reply`: the leak guard on the first candidate, then the fallbacks (template, other wordings of the node's
  questions, a generic question) until one passes.
The streamed jobs (revoice, vanilla) use the same guard sentence by sentence (tutor.stream).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from errors import InferenceError
from inference.base import Backend
from inference.common import ModelBusy
from knowledge.numbers import contains, parse_numbers
from knowledge.types import Problem, QuestionTree
from tutor import phrase, voice
from tutor.guard import GuardVerdict, reveals
from tutor.planner import Plan
from tutor.state import KnowledgeState
from tutor.types import TutorSettings

log = logging.getLogger(__name__)

REPHRASED = ("question", "redirect", "bottom_out", "success", "out_of_turns")  # plan kinds the model may voice


def model_job(plan: Plan, settings: TutorSettings, backend: Backend | None) -> tuple[str, str]:
    """Which model job this turn gets ('' for none) and why. `backend`: None when no model is available."""
    if backend is None:
        return "", "no model"
    if plan.kind == "llm":
        return "vanilla", "vanilla policy"
    if plan.kind == "tell":
        return ("tell", "telling policy") if settings.rephrase else ("", "rephrase off")
    if not settings.rephrase or plan.kind not in REPHRASED:
        return "", "rephrase off" if not settings.rephrase else f"no model job for {plan.kind}"
    job = settings.voice
    if settings.llm_moves == "all":
        return job, "every move kind (llm_moves=all)"
    ok, why = voice.may_voice(backend, job, voice.move_kind(plan))
    return (job if ok else ""), why


@dataclass
class ModelText:
    """The model's whole text for a job (None when there is none) and what to note about the call."""

    text: str | None = None
    ttft_s: float | None = None
    note: str | None = None  # why there is no text (model busy or failed); None: the job's note stands


def model_text(
    job: str,
    problem: Problem,
    history: list[tuple[str, str]],
    student: str,
    template: str,
    backend: Backend,
    settings: TutorSettings,
) -> ModelText:
    """Generate the whole text of a job checked whole: `tell` (an explanation over the dialogue) or a rewrite."""
    if job == "tell":
        messages = voice.telling_messages(problem, history, student, template)
    else:
        messages = voice.rephrase_messages(problem, student, template)
    try:
        text, ttft = voice.generate(
            backend,
            messages,
            temperature=settings.temperature,
            seed=settings.seed,
            max_tokens=settings.max_tokens,
            wait_s=settings.model_wait_s,
        )
        text = voice.strip_echo(text, student)
    except ModelBusy as exc:
        return ModelText(note=exc.log_message)
    except InferenceError as exc:
        return ModelText(note=f"model failed: {exc.log_message}")  # the template stands in; the backend logs it
    return ModelText(text=text or None, ttft_s=ttft)


def reject_reason(
    plan: Plan, llm_text: str, student: str, template: str, problem: Problem, earlier: list[str]
) -> str | None:
    """The strict quality gate for LLM text (None: usable). A rewrite of a decided move must keep the decided
    question, add no number beyond the plan, the student's message and the statement, and must not repeat an
    earlier tutor message (small models copy the previous turn); vanilla's free text gets the basic checks."""
    needs_question = plan.kind in ("question", "redirect", "bottom_out", "llm")
    if plan.kind == "tell" and _drops_answer(llm_text, template, problem):
        return "drops the final answer the telling states"
    if plan.kind in ("llm", "tell"):
        return voice.reject_reason(llm_text, student, needs_question, template if plan.kind == "tell" else "")
    allowed = voice.allowed_numbers(template, student, problem.statement)
    return voice.reject_reason(llm_text, student, needs_question, template, previous=earlier, allowed=allowed)


def _drops_answer(llm_text: str, template: str, problem: Problem) -> bool:
    """The template states the final answer (math) and the model's text does not (a telling that stops short)."""
    answer = problem.answer
    if problem.domain != "math" or answer is None or not contains(parse_numbers(template), answer):
        return False
    return not contains(parse_numbers(llm_text), answer)


def guard_reply(
    plan: Plan,
    llm_text: str | None,
    template: str,
    rejected: str | None,
    *,
    problem: Problem,
    tree: QuestionTree,
    state: KnowledgeState,
    earlier: list[str],
    allow_final_bottom_out: bool,
) -> tuple[str, GuardVerdict, GuardVerdict]:
    """(text shown, verdict on the first candidate with the action taken, verdict on the text shown). Guard the
    first candidate (the LLM text when there is one); on a hit (enforce mode), or when the LLM text failed the
    quality check, fall back: template -> other wordings of the node's questions -> generic."""
    allow = allow_final_bottom_out and plan.kind == "bottom_out"
    candidate = llm_text if llm_text is not None else template
    verdict = reveals(candidate, problem, state, allow_final=allow)
    if plan.kind == "success":  # the student has produced the answer; echoing it is no leak
        verdict = GuardVerdict()
    verdict.mode = plan.guard_mode
    if verdict.leaks:
        log.info(
            "guard hit (%s, problem %s, %s): %s; spans %s",
            plan.guard_mode,
            problem.id,
            "llm" if llm_text is not None else "template",
            "; ".join(verdict.reasons),
            verdict.spans,
        )
    unusable = llm_text is not None and bool(rejected)
    if not verdict.leaks and not unusable:
        return candidate, verdict, verdict
    if verdict.leaks and plan.guard_mode == "report" and not unusable:  # report mode waives the leak, not the quality
        verdict.action = "reported"
        return candidate, verdict, verdict
    fallbacks: list[tuple[str, str]] = []
    if llm_text is not None:
        replaced = verdict.leaks and plan.guard_mode == "enforce"
        fallbacks.append(("replaced_with_template" if replaced else "llm_rejected", template))
    said = phrase.said_sentences(earlier)
    fallbacks += [("replaced_with_alternative", alt) for alt in phrase.alternatives(plan, tree, said)]
    for action, text in fallbacks:
        shown = reveals(text, problem, state, allow_final=allow)
        if not shown.leaks or plan.guard_mode == "report":
            verdict.action = action
            return text, verdict, shown
    verdict.action = "replaced_with_generic"
    generic = phrase.generic(said)
    return generic, verdict, reveals(generic, problem, state)
