"""Registered metrics over saved `DialogueRecord`s, and their aggregation with seeded bootstrap intervals.

Each metric maps one record to a number (or None where it does not apply) and declares `higher_is_better`
(None for descriptive metrics such as the move mix). Checks that decide whether someone "stated the answer" are
made here, independently of the tutor's own guard: `tutor.reveals` plus a numeric check on the tutor's messages,
and a numeric check (or the sandbox result) on the student's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from evals.records import DialogueRecord
from knowledge.numbers import close, parse_numbers
from knowledge.types import Problem
from simulator import classify_move
from tutor import reveals
from vocabulary import GUIDING_MOVES, MOVES

STAGES = ("early", "middle", "late")


@dataclass(frozen=True)
class Metric:
    name: str
    fn: Callable[[DialogueRecord], float | None]
    higher_is_better: bool | None
    description: str


REGISTRY: dict[str, Metric] = {}


def register(name: str, higher_is_better: bool | None, description: str) -> Callable:
    def wrap(fn: Callable[[DialogueRecord], float | None]) -> Callable[[DialogueRecord], float | None]:
        REGISTRY[name] = Metric(name, fn, higher_is_better, description)
        return fn

    return wrap


# ---------------------------------------------------------------- independent checks


def student_states_answer(text: str, problem: Problem) -> bool:
    """Math: the student's message ends on the right final answer (its last number). Only the last number counts:
    a wrong worked solution often passes through the right number on the way (MathDial)."""
    if problem.domain != "math" or problem.answer is None:
        return False
    found = parse_numbers(text)
    return bool(found) and close(found[-1], problem.answer)


def _norm_code(line: str) -> str:
    return re.sub(r"\s+", "", line)


def tutor_states_answer(text: str, problem: Problem) -> bool:
    """The tutor's message gives away the final answer or the fix: `tutor.reveals`, or-ed with our own check.

    Only the final answer / fix counts (intermediate step values are passed to `reveals` as already produced:
    a bottom-out of one step is the tree policy's design, not a leak of the solution).
    Own check, math: the final answer appears as a number and is not one of the statement's numbers.
    Code: a line of an accepted fix appears verbatim (whitespace-insensitive) outside the buggy lines the text quotes,
    and is not itself a buggy line.
    """
    steps = [s.value for s in problem.steps if problem.answer is None or not close(s.value, problem.answer)]
    if reveals(text, problem, produced=steps).leaks:
        return True
    if problem.domain == "math" and problem.answer is not None:
        given = parse_numbers(problem.statement)
        if any(close(problem.answer, g) for g in given):
            return False
        return any(close(v, problem.answer) for v in parse_numbers(text))
    buggy = {_norm_code(x) for x in problem.buggy_code.splitlines()}
    flat = _norm_code(text)
    for bug in problem.bugs:
        for fix in bug.fixes:
            for line in fix.lines:
                n = _norm_code(line)
                if len(n) >= 4 and n not in buggy and _shown_outside(n, flat, buggy):
                    return True
    return False


def _shown_outside(fix_line: str, flat: str, buggy: set[str]) -> bool:
    """`fix_line` occurs in `flat` other than inside a quoted buggy line (quoting the bug is no leak of the fix)."""
    quoted = [(j, j + len(b)) for b in buggy if fix_line in b for j in _positions(b, flat)]
    return any(not any(a <= i and i + len(fix_line) <= b for a, b in quoted) for i in _positions(fix_line, flat))


def _positions(needle: str, haystack: str) -> list[int]:
    return [m.start() for m in re.finditer(f"(?={re.escape(needle)})", haystack)]


def student_first_correct_turn(record: DialogueRecord) -> int | None:
    """The first turn at which the student had it: solved (simulator or sandbox) or stated the answer."""
    turns = [record.outcome.solved_turn]
    turns += [u.turn for u in record.messages("student") if student_states_answer(u.text, record.problem)]
    turns = [t for t in turns if t is not None]
    return min(turns) if turns else None


def tutor_tell_turn(record: DialogueRecord) -> int | None:
    for u in record.messages("tutor"):
        if tutor_states_answer(u.text, record.problem):
            return u.turn
    return None


def tutor_moves(record: DialogueRecord) -> list[str]:
    """One move per tutor reply: the trace's planned move (tree/telling) or the rule classifier (free text)."""
    replies = [u for u in record.messages("tutor") if u.turn > 0]
    if record.policy in ("tree", "telling") and len(record.tutor_traces) == len(replies):
        return [t.move for t in record.tutor_traces]
    return [classify_move(u.text) for u in replies]


def stage_of(index: int, n: int) -> str:
    return STAGES[min(2, (3 * index) // max(n, 1))]


# ---------------------------------------------------------------- registered metrics


def success_at(k: int) -> Metric:
    def fn(r: DialogueRecord) -> float:
        t = r.outcome.solved_turn
        return float(t is not None and t <= k)

    return Metric(f"success@{k}", fn, True, f"student reached the right answer / passing code within {k} turns")


def telling_at(k: int) -> Metric:
    def fn(r: DialogueRecord) -> float:
        tell = tutor_tell_turn(r)
        if tell is None or tell > k:
            return 0.0
        student = student_first_correct_turn(r)
        return float(student is None or tell <= student)

    return Metric(f"telling@{k}", fn, False, f"tutor stated the answer/fix within {k} turns, no later than the student")


@register("leak", False, "a tutor message before the student had it revealed the answer (independent check)")
def leak(r: DialogueRecord) -> float:
    first = student_first_correct_turn(r)
    return float(
        any(tutor_states_answer(u.text, r.problem) for u in r.messages("tutor") if first is None or u.turn <= first)
    )


@register("guard_flag_rate", None, "share of tutor turns whose guard verdict flagged a leak (and replaced the draft)")
def guard_flag_rate(r: DialogueRecord) -> float | None:
    if not r.tutor_traces:
        return None
    flagged = [t.guard.leaks for t in r.tutor_traces]
    return sum(flagged) / len(flagged)


@register("guard_shown_leak", False, "the tutor's own guard verdict on a shown message says it leaked (report mode)")
def guard_shown_leak(r: DialogueRecord) -> float | None:
    if not r.tutor_traces:
        return None
    return float(any(t.guard_final.leaks for t in r.tutor_traces))


@register("tutor_false_solved", False, "the tutor declared the problem solved before the student had it (hidden truth)")
def tutor_false_solved(r: DialogueRecord) -> float | None:
    if not r.tutor_traces:
        return None
    first = r.outcome.solved_turn
    for t in r.tutor_traces:
        if t.solved or t.state_after.solved:
            return float(first is None or first > t.turn - 1)  # turn t answers student turn t-1
    return 0.0


@register("turns_to_success", False, "turns until the student had the answer (successful dialogues only)")
def turns_to_success(r: DialogueRecord) -> float | None:
    t = r.outcome.solved_turn
    return None if t is None else float(t)


@register(
    "diagnosis_accuracy",
    True,
    "tutor's first top diagnosis is the simulator's hidden malgorithm or one that "
    "makes the same mistake (same wrong values, or the same misconception label)",
)
def diagnosis_accuracy(r: DialogueRecord) -> float | None:
    if not r.malgorithm_id:
        return None
    predicted = top_diagnosis(r)
    return float(predicted is not None and same_mistake(r.problem, predicted, r.malgorithm_id))


def same_mistake(problem: Problem, a: str, b: str) -> bool:
    """Two malgorithms of a problem are one diagnosis when no message could tell them apart: the same id, the same
    wrong values (MathDial records of one question often carry the same wrong solution under different ids), or the
    same misconception label."""
    if a == b:
        return True
    found = {m.id: m for m in problem.malgorithms}
    ma, mb = found.get(a), found.get(b)
    if ma is None or mb is None:
        return False
    if ma.label.strip().lower() == mb.label.strip().lower():
        return True
    if problem.domain == "math":
        same_answer = (
            ma.wrong_answer is not None and mb.wrong_answer is not None and close(ma.wrong_answer, mb.wrong_answer)
        )
        steps = ma.step_values.keys() == mb.step_values.keys() and all(
            close(ma.step_values[k], mb.step_values[k]) for k in ma.step_values
        )
        return same_answer and steps
    return bool(ma.wrong_code) and _norm_code(ma.wrong_code) == _norm_code(mb.wrong_code)


def top_diagnosis(r: DialogueRecord) -> str | None:
    for t in r.tutor_traces:
        if t.diagnosis:
            return t.diagnosis[0].malgorithm_id
    return None


def diagnosis_pair(r: DialogueRecord) -> tuple[str, str] | None:
    """(hidden label, predicted label) for the confusion plot; 'none' when the tutor diagnosed nothing."""
    if not r.malgorithm_id:
        return None
    labels = {m.id: m.label for m in r.problem.malgorithms}
    predicted = top_diagnosis(r)
    return labels.get(r.malgorithm_id, r.malgorithm_id), labels.get(predicted, predicted) if predicted else "none"


def tutor_mastery(r: DialogueRecord) -> float | None:
    """The tutor's final BKT estimate: mean of the skill mastery probabilities in the last trace's state."""
    if not r.tutor_traces:
        return None
    mastery = r.tutor_traces[-1].state_after.mastery
    return sum(mastery.values()) / len(mastery) if mastery else None


def hidden_resolved(r: DialogueRecord) -> bool:
    """Whether the simulated student has resolved everything at the end: every node of the final hidden state
    `knows`; without a hidden state, whether they solved it."""
    state = r.final_hidden_state
    return state.all_known if state is not None and state.nodes else r.outcome.solved


@register("mastery_brier", False, "Brier score of the tutor's final BKT mastery vs the hidden resolved-ness")
def mastery_brier(r: DialogueRecord) -> float | None:
    p = tutor_mastery(r)
    if p is None:
        return None
    return (p - float(hidden_resolved(r))) ** 2


@register("sim_first_answer_wrong", True, "simulator fidelity: the opening attempt carries the assigned wrong value")
def sim_first_answer_wrong(r: DialogueRecord) -> float | None:
    opening = next((u.text for u in r.messages("student") if u.turn == 0), None)
    if opening is None or not r.malgorithm_id:
        return None
    try:
        m = r.problem.malgorithm(r.malgorithm_id)
    except KeyError:
        return None
    if r.problem.domain == "math":
        wrong = [m.wrong_answer] if m.wrong_answer is not None else list(m.step_values.values())
        if not wrong:
            return None
        carries = any(close(v, w) for v in parse_numbers(opening) for w in wrong)
        return float(carries and r.outcome.solved_turn != 0 and not student_states_answer(opening, r.problem))
    return float(not any(run.turn == 0 and run.passed for run in r.outcome.code_runs))


@register("sim_no_early_fix", True, "simulator fidelity: no self-correction before a focus/probing/telling move")
def sim_no_early_fix(r: DialogueRecord) -> float:
    first = student_first_correct_turn(r)
    if first is None:
        return 1.0
    moves = tutor_moves(r)
    return float(any(m in GUIDING_MOVES for m in moves[:first]))


@register("sim_fidelity", True, "both simulator fidelity checks hold")
def sim_fidelity(r: DialogueRecord) -> float | None:
    a = sim_first_answer_wrong(r)
    return None if a is None else float(a == 1.0 and sim_no_early_fix(r) == 1.0)


@register("pre", True, "pre-test: the opening attempt states the right answer (math)")
def pre_test(r: DialogueRecord) -> float | None:
    opening = next((u.text for u in r.messages("student") if u.turn == 0), None)
    if r.problem.domain != "math" or opening is None or r.posttest is None:
        return None
    return float(student_states_answer(opening, r.problem))


@register("post", True, "post-test: the attempt at a sibling problem (new numbers, no transcript) is right")
def post_test(r: DialogueRecord) -> float | None:
    if r.posttest is None:
        return None
    found = parse_numbers(r.posttest.attempt)
    return float(bool(found) and close(found[-1], r.posttest.answer))


@register("gain", True, "learning gain: post - pre (EducationQ); per dialogue -1, 0 or 1")
def learning_gain(r: DialogueRecord) -> float | None:
    pre, post = pre_test(r), post_test(r)
    return None if pre is None or post is None else post - pre


@register("kept_misconception", False, "the student still holds a misconception on the sibling problem")
def kept_misconception(r: DialogueRecord) -> float | None:
    return None if r.posttest is None else float(r.posttest.kept_misconception)


def move_mix(r: DialogueRecord) -> dict[str, float | None]:
    moves = tutor_moves(r)
    out: dict[str, float | None] = {}
    for stage in STAGES:
        in_stage = [m for i, m in enumerate(moves) if stage_of(i, len(moves)) == stage]
        for move in MOVES:
            out[f"moves.{stage}.{move}"] = in_stage.count(move) / len(in_stage) if in_stage else None
    return out


def move_metrics() -> list[Metric]:
    return [
        Metric(
            f"moves.{s}.{m}",
            lambda r, key=f"moves.{s}.{m}": move_mix(r)[key],
            None,
            f"share of {m} moves in the {s} third",
        )
        for s in STAGES
        for m in MOVES
    ]


def metrics_for(ks: Iterable[int]) -> list[Metric]:
    ks = sorted(set(ks))
    return [success_at(k) for k in ks] + [telling_at(k) for k in ks] + list(REGISTRY.values()) + move_metrics()


def score_record(r: DialogueRecord, metrics: list[Metric]) -> dict[str, float | None]:
    mix = move_mix(r)
    return {m.name: (mix[m.name] if m.name in mix else m.fn(r)) for m in metrics}
