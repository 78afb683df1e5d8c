"""Optional offline re-phrasing of a derived tree's questions with a local model (`python -m knowledge tree ID --llm`).

Never required: a failed, empty or unsafe rewrite keeps the template. A rewrite is unsafe when it adds a number or a
code span the template did not have (so it cannot leak a value or a fix), or when it is not a question where the
template was.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import knowledge.prompts as prompts
from errors import InferenceError
from inference.base import Message, Options
from knowledge.types import DEPTHS, Problem, QuestionTree

log = logging.getLogger(__name__)


def _numbers(text: str) -> set[str]:
    return {n.replace(",", "") for n in re.findall(r"\d[\d,]*(?:\.\d+)?", text)}


def safe_rewrite(original: str, candidate: str) -> bool:
    candidate = candidate.strip()
    if not candidate or len(candidate) > 3 * len(original) + 80:
        return False
    if not _numbers(candidate) <= _numbers(original):
        return False
    if not set(re.findall(r"`([^`]+)`", candidate)) <= set(re.findall(r"`([^`]+)`", original)):
        return False
    return not ("?" in original and "?" not in candidate)


def rephrase_tree(
    tree: QuestionTree, problem: Problem, backend: Any, *, depths: tuple[str, ...] = ("focus", "probing")
) -> QuestionTree:
    """A copy of `tree` whose first question at each of `depths` is re-phrased by `backend` where that is safe."""
    grade = f"grade {problem.grade}" if problem.grade else "middle-school"
    system = prompts.REPHRASE_SYSTEM.format(grade_phrase=grade)
    out = tree.model_copy(deep=True)
    changed = 0
    for node in out.nodes:
        for depth in DEPTHS:
            if depth not in depths:
                continue
            questions = getattr(node.questions, depth)
            if not questions:
                continue
            user = prompts.REPHRASE_USER.format(statement=problem.statement, depth=depth, question=questions[0])
            try:
                completion = backend.chat(
                    [Message(role="system", content=system), Message(role="user", content=user)],
                    Options(temperature=0.2, max_tokens=96, actor="tutor"),
                )
            except InferenceError as exc:
                log.warning("rephrase failed for %s/%s: %s", node.id, depth, exc.log_message)
                continue
            text = completion.text.strip().strip('"')
            if safe_rewrite(questions[0], text):
                questions[0] = text
                changed += 1
            else:
                log.info("rephrase rejected for %s/%s: %r", node.id, depth, text[:200])
    if changed:
        out.source = "llm"
    return out
