"""What the fitted transitions see of one tutor message: its cue (`simulator.transitions.Cue`), built before it acts.

`cue_of` reads the message against the problem and the hidden state: which step values it states that the
statement does not, whether it names anything of the problem at all (a number or a content word of the statement),
what the mapped node's status is (`target_of`), whether it praises or points at an error, and how far the student
has got (taught before, one misconception left, unknown steps).

`revealed_by` reads what the message gives away, whatever its move: the final answer, a step value the student has
not written yet, or an accepted fix line (code); the state then counts those nodes as told.
"""

from __future__ import annotations

import re

from knowledge.numbers import READ_BACK_TOL, contains, fmt, parse_numbers
from knowledge.types import Problem
from simulator.transitions import Cue
from simulator.types import HiddenState
from vocabulary import Move


def target_of(state: HiddenState, node_id: str | None) -> str:
    """The transitions' target of a move: the mapped node's status, `none` when it maps to no unresolved node."""
    if node_id is None:
        return "none"
    status = state.node(node_id).status
    return status if status != "knows" else "none"


_WORD = re.compile(r"[a-z][a-z']{2,}")
# words of a tutor message that name no part of a problem (content-free prompts use only these and stop words)
_GENERIC_WORDS = frozenset(
    [
        "about",
        "again",
        "all",
        "another",
        "answer",
        "any",
        "are",
        "back",
        "can",
        "check",
        "could",
        "correct",
        "did",
        "does",
        "done",
        "down",
        "each",
        "effort",
        "first",
        "for",
        "from",
        "good",
        "great",
        "have",
        "help",
        "how",
        "just",
        "know",
        "let",
        "lets",
        "let's",
        "look",
        "missing",
        "more",
        "next",
        "now",
        "number",
        "once",
        "one",
        "over",
        "part",
        "please",
        "problem",
        "question",
        "right",
        "same",
        "see",
        "slow",
        "solution",
        "step",
        "still",
        "story",
        "sure",
        "take",
        "talk",
        "tell",
        "than",
        "thanks",
        "that",
        "the",
        "then",
        "there",
        "these",
        "think",
        "this",
        "through",
        "time",
        "try",
        "walk",
        "was",
        "way",
        "well",
        "what",
        "when",
        "where",
        "which",
        "why",
        "will",
        "with",
        "work",
        "would",
        "you",
        "your",
    ]
)


_PRAISE = re.compile(r"\b(good|great|well done|correct|right|nice|excellent|brilliant|perfect|yes|exactly)\b", re.I)
_ERROR = re.compile(r"\b(mistakes?|errors?|wrong|incorrect|not quite|careful|isn't|not|doesn't)\b", re.I)


def _words(text: str) -> set[str]:
    return {w.rstrip("s") for w in _WORD.findall(text.lower()) if w not in _GENERIC_WORDS}


def cue_of(
    problem: Problem, state: HiddenState, message: str, move: Move, node_id: str | None, answer_told: bool, turn: int
) -> Cue:
    """The fitted transitions' view of one tutor message (see `simulator.transitions`), before it acts."""
    said = parse_numbers(message)
    statement = parse_numbers(problem.statement)
    steps = problem.steps
    last = len(steps) - 1
    fresh = [
        i
        for i, s in enumerate(steps)
        if contains(said, s.value, READ_BACK_TOL) and not contains(statement, s.value, READ_BACK_TOL)
    ]
    known_numbers = [*statement, *(s.value for s in steps), *(x for s in steps for x in parse_numbers(s.expression))]
    content = any(contains(known_numbers, x, READ_BACK_TOL) for x in said) or bool(
        _words(message) & _words(problem.statement)
    )
    node = state.node(node_id) if node_id is not None else None
    misconceived_steps = {n.step for n in state.nodes if n.status == "misconceived"}
    return Cue(
        turn=turn,
        move=move,
        target=target_of(state, node_id),
        answer_told=answer_told,
        fresh_values=len(fresh),
        fresh_previous=last >= 1 and (last - 1) in fresh,
        last_step=node is not None and node.step == last,
        content=content,
        taught_before=state.taught,
        praise=bool(_PRAISE.search(message)),
        error_pointed=bool(_ERROR.search(message)),
        single_misconception=len(misconceived_steps) == 1,
        unknown_steps=len({n.step for n in state.nodes if n.status == "unknown"}),
    )


_SPACE = re.compile(r"\s+")


def _norm_code(text: str) -> str:
    return _SPACE.sub("", text)


def revealed_by(
    problem: Problem, state: HiddenState, said_before: list[float], message: str, move: str
) -> tuple[list[str], bool]:
    """Nodes whose content the tutor's message gives away (the final answer, a step value the student has not
    said (`said_before`), an accepted fix), and whether it states the final answer."""
    if problem.domain == "code":
        norm = _norm_code(message)
        buggy = _norm_code(problem.buggy_code)
        out: list[str] = []
        told = False
        for j, bug in enumerate(problem.bugs):
            lines = [ln for fix in bug.fixes for ln in fix.lines if len(_norm_code(ln)) >= 6]
            if any(_norm_code(ln) in norm and _norm_code(ln) not in buggy for ln in lines):
                out += [n.node_id for n in state.nodes if n.bug == j and n.status != "knows"]
                told = True
        return out, told
    said = parse_numbers(message)
    statement = parse_numbers(problem.statement)
    fresh = [
        x for x in said if not contains(statement, x, READ_BACK_TOL) and not contains(said_before, x, READ_BACK_TOL)
    ]
    answer = problem.answer
    if answer is not None and contains(fresh, answer, READ_BACK_TOL):
        return [n.node_id for n in state.nodes if n.status != "knows"], True
    out = []
    for i, step in enumerate(problem.steps):
        if not contains(fresh, step.value, READ_BACK_TOL):
            continue
        stated = move == "telling" or re.search(
            rf"(=|\bis|\bare|\bwas|\bget)\s*\$?{re.escape(fmt(step.value))}\b", message
        )
        if stated:
            out += [n.node_id for n in state.nodes if n.step == i and n.status != "knows"]
    return out, False
