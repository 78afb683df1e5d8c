"""Step 2 for math: judge the student's message and update the knowledge state from it.

The verdict (`Evidence.judgement`, shown to teachers and measured by `python -m evals replay`):
- `none`  - no checkable claim: a question, "I'm stuck", a greeting; a fact restated from the problem ("Donuts cost
  $68 per dozen.") is acknowledged as true and is never a failed attempt; an extraction or override attempt
  ("you are allowed to break the rules ... 10 minutes") is no answer, whatever numbers it carries;
- `right` - every value it states that the verifier can place is a step value or the final answer (said again or
  new); new ones resolve their nodes;
- `partly` - a right value and a wrong one in the same message (typically a worked attempt with a right
  intermediate and a wrong final value): the right ones are credited to their nodes, the wrong one is an attempt
  at the next open node, with its diagnosis, and the reply names what is still wrong - never praise;
- `wrong` - stated values, none of them right;
- `unsure` - the evidence does not decide: an explanation in words that meets no node's check, or a message that
  merely lists numbers (or hedges "10 or 12"). Nothing is credited or counted as a failure; the tutor asks for one
  value it can check.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from knowledge.numbers import canonical_unit, convert, stands_for
from knowledge.types import Diagnosis, Problem, QuestionTree
from tutor.numbers import Number, extract
from tutor.planner import Evidence
from tutor.state import AttemptWrong, KnowledgeState, NodeResolved, Solved, Stuck, ValuesProduced
from tutor.understand import Understanding, vocabulary
from tutor.verify import MathCheck, check_math, node_value

Diagnose = Callable[[Understanding, list[Diagnosis], float | None], list[Diagnosis]]

_HEDGE = re.compile(r"\d\S*\s+or\s+(?:maybe\s+|perhaps\s+|even\s+)?\$?-?\d", re.IGNORECASE)
_FILLER = {"and", "or", "maybe", "is", "it", "the", "answer", "then", "so", "um", "uh", "like", "also", "too"}
_DERIVES = re.compile(r"[=+*/×÷]|\b(?:so|therefore|thus|hence|means|total|altogether|left|remain\w*|need|needs|"
                      r"got|get|gets|answer|equals?|times|plus|minus|divided|multiplied|added|subtracted)\b",
                      re.IGNORECASE)


def claimed(u: Understanding) -> list[Number]:
    return [n for n in u.values if n.kind != "computed"]


def lists_numbers(u: Understanding) -> bool:
    """A message that merely lists numbers ("1, 2, 3, ... 100") or hedges between values ("10 or 12"): no single
    value is offered, so none can be credited or held against the student."""
    values = claimed(u)
    distinct = {round(n.value, 9) for n in values}
    if len(distinct) >= 2 and _HEDGE.search(u.text):
        return True
    words = [w for w in re.findall(r"[a-z]+", u.text.lower()) if w not in _FILLER]
    return len(distinct) >= 4 and len(words) < len(values)


# what comes right before a number the student gives as a result ("= 8", "is 8", "so 8", "it will take her 8")
_RESULT_BEFORE = re.compile(
    r"(?:=|\b(?:is|was|are|be|get|gets|got|getting|gives?|gave|makes?|equals?|total(?: of)?|comes? to|answer|"
    r"leaves?|left with|need|needs|take|takes|took|so|means|therefore)\b)\s*(?:about|approximately|exactly|only|"
    r"just|at least|a total of|her|him|them|us|me|you|it)?\s*\$?\s*$", re.IGNORECASE)


def result_positions(u: Understanding) -> dict[int, bool]:
    """For each claimed number (by its index in u.numbers): is it given as a result, not quoted in passing?"""
    out, cursor = {}, 0
    for i, n in enumerate(u.numbers):
        m = re.search(rf"(?<![\w.]){re.escape(n.text)}(?![\w])", u.text[cursor:]) if n.text else None
        if m is None:
            out[i] = n.kind == "result"
            continue
        start = cursor + m.start()
        cursor = start + len(n.text)
        out[i] = n.kind == "result" or bool(_RESULT_BEFORE.search(u.text[max(0, start - 30):start]))
    return out


def statement_numbers(problem: Problem) -> list[float]:
    return [r for n in extract(problem.statement).numbers for r in n.readings()]


def is_given(n: Number, problem: Problem) -> bool:
    return any(stands_for(r, g) and stands_for(g, r) for r in n.readings() for g in statement_numbers(problem))


def restates_given(u: Understanding, problem: Problem, check: MathCheck) -> bool:
    """Every number is a given of the statement, said as a plain statement in mostly the statement's own words."""
    values = claimed(u)
    if not values or not all(is_given(n, problem) for n in values) or u.intent == "question":
        return False
    if check.diagnosis or _DERIVES.search(u.text) or u.text.rstrip().endswith("?"):
        return False
    words = vocabulary(u.text)
    return bool(words) and len(words & vocabulary(problem.statement)) / len(words) >= 0.5


def derived_operands(u: Understanding, problem: Problem) -> list[Number]:
    """Operands the student worked out earlier in the message or before ("30 + 45 + 90 = 165" with 45 and 90 step
    values, not givens): right sub-results for the verdict, though they resolve no node by themselves."""
    out = []
    for n in u.numbers:
        if n.operand and n.kind != "computed" and not is_given(n, problem) \
                and any(stands_for(r, step.value) for r in n.readings() for step in problem.steps):
            out.append(n)
    return out


_ANSWER_BEFORE = re.compile(r"(?:=|\b(?:answer|got|get|gets|getting|total|equals?|comes? to|result|makes|"
                            r"is|was|it's|that's|(?:take|takes|took)(?:\s+\w+)?)\b)"
                            r"(?:\s+(?:is|was|of|would be|will be))?\s*(?:about|approximately|exactly|just)?\s*\$?\s*$",
                            re.IGNORECASE)


def quotes_givens(u: Understanding, problem: Problem, check: MathCheck) -> bool:
    """A sentence whose only numbers are givens of the problem, none of them offered as an answer ("= 12", "I got
    12", a bare "12") nor a wrong path's value: it uses the problem's facts, it does not claim a result."""
    values = claimed(u)
    if not values or not all(is_given(n, problem) for n in values) or check.diagnosis:
        return False
    if any(m.by == "value" for m in check.right) or len(re.findall(r"[a-z]+", u.text.lower())) <= 3:
        return False
    cursor = 0
    for n in u.numbers:
        m = re.search(rf"(?<![\w.]){re.escape(n.text)}(?![\w])", u.text[cursor:]) if n.text else None
        if n.kind == "result":
            return False
        if m is not None:
            start = cursor + m.start()
            cursor = start + len(n.text)
            if _ANSWER_BEFORE.search(u.text[max(0, start - 30):start]):
                return False
    return True


_PER_UNIT = re.compile(r"^\s*(?:in|per)\s+(?:a|an|one|each|every|1)\s+([a-z]+)", re.IGNORECASE)


def true_conversions(u: Understanding, problem: Problem) -> set[float]:
    """Values that are true unit facts: a given in another unit ("3 weeks would be 21 days") or a conversion
    constant ("7 days in a week", "60 minutes per hour")."""
    givens = [n for n in extract(problem.statement).numbers if n.unit]
    out: set[float] = set()
    cursor = 0
    for n in u.numbers:
        m = re.search(rf"(?<![\w.]){re.escape(n.text)}(?![\w])", u.text[cursor:]) if n.text else None
        after = ""
        if m is not None:
            cursor += m.end()
            after = u.text[cursor:cursor + 40]
        if not n.unit or n.kind == "computed":
            continue
        per = _PER_UNIT.match(re.sub(r"^\s*[a-z]+", "", after, count=1))
        if per and canonical_unit(per.group(1)) and stands_for(convert(1, per.group(1), n.unit) or -1, n.value) or any(g.unit != n.unit and stands_for(convert(g.value, g.unit, n.unit) or -1, n.value) for g in givens):
            out.add(round(n.value, 9))
    return out


def percent_of_step(value: float, u: Understanding, problem: Problem) -> bool:
    """The same quantity written as a fraction or decimal of a percent step ("6/10 = 0.6 = 60%")."""
    if "%" not in u.text and "percent" not in u.text.lower():
        return False
    if value in (1, 100) and re.search(r"(?:[x×*]|times)\s*100\s*%", u.text, re.IGNORECASE):
        return True  # "x 100%" converts to a percent; it is no value of its own
    return 0 < abs(value) <= 1 and any(stands_for(value * 100, s.value) for s in problem.steps)


# --- a step's value said for another quantity, or as the final answer ------------------------------------------
_NOT_QUANTITY = {"many", "much"}
_AS_ANSWER_BEFORE = re.compile(r"\b(?:final\s+)?answer(?:\s+(?:is|was|would be|will be|should be|of|=|:))?\s*"
                               r"(?:about|approximately|exactly|just)?\s*\$?\s*$", re.IGNORECASE)
_AS_ANSWER_AFTER = re.compile(r"^\S*\s+(?:is|as|would be|will be)\s+(?:my|the|our)\s+(?:final\s+)?answer\b",
                              re.IGNORECASE)


def _stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)]
            break
    word = word[:-1] if word.endswith("e") and len(word) > 3 else word
    return word[:-1] if len(word) > 3 and word[-1] == word[-2] and word[-1] not in "aeiou" else word


def _stems(text: str) -> set[str]:
    return {_stem(w) for w in vocabulary(text) if w not in _NOT_QUANTITY}


_CLAUSE = re.compile(r"[.;:!?,\n()=]|\b(?:and|so|but|then|which|because|since|while|or|if|when)\b", re.IGNORECASE)
_NOUN_AFTER = re.compile(r"^\s*(?:(?:more|extra|additional|other|new)\s+)?[a-z]+", re.UNICODE)


def _clauses(u: Understanding) -> list[tuple[Number, str, str]]:
    """Each claimed result (no operand) with the words next to it in its clause: back to the clause start or the
    previous number, and on to the clause end ("So it would take Cindy | 30 | minutes to run half a mile")."""
    spans, cursor = [], 0
    for n in u.numbers:
        m = re.search(rf"(?<![\w.]){re.escape(n.text)}(?![\w])", u.text[cursor:]) if n.text else None
        if m is not None:
            spans.append((n, cursor + m.start(), cursor + m.end()))
            cursor += m.end()
    out = []
    for i, (n, start, end) in enumerate(spans):
        if n.kind == "computed" or n.operand:
            continue
        before = _CLAUSE.split(u.text[spans[i - 1][2] if i else 0:start])[-1]
        out.append((n, before, _CLAUSE.split(u.text[end:])[0]))
    return out


def _parallel(a: set[str], b: set[str]) -> bool:
    """Two steps that ask the same thing of different people or things ("minutes to run half a mile" / "to walk
    half a mile"; "how much Sean has" / "how much Rick has")."""
    return bool(a - b) and bool(b - a) and len(a & b) >= max(1, len(a | b) // 2)


def _bare(text: str) -> float:
    """A concept pattern's hit that is the value itself ("72"), as a number; nan for anything else."""
    m = re.fullmatch(r"\$?(\d+(?:\.\d+)?)", text.replace(",", "").strip())
    return float(m.group(1)) if m else float("nan")


def misattributed(u: Understanding, problem: Problem, check: MathCheck) -> dict[float, str]:
    """Step values the student gives for something else: as the final answer ("so the answer is 18" when 18 is a
    step on the way), or for the parallel quantity or person of another step ("30 minutes to run half a mile" when
    30 is the walk's time): the words next to it name the other step's own words and none of its step's (four
    words on, the noun right after it left out: the unit is shared by parallel quantities). A value also said once
    for its own quantity keeps its credit, unless it is offered as the answer. Returns each such value (rounded)
    with the student's own words it was attached to ("Rick has 24 dollars"), for the reply to say back."""
    steps = [_stems(s.description) for s in problem.steps]
    credited = {round(m.value, 9) for m in check.right if m.by == "value" and not m.final}
    other: set[float] = set()
    own: set[float] = set()
    answered: set[float] = set()
    words_of: dict[float, str] = {}
    for n, before, clause_after in _clauses(u):
        after = _NOUN_AFTER.sub("", " ".join(clause_after.split()[:4]), count=1)
        key = round(n.value, 9)
        if key not in credited or is_given(n, problem):
            continue
        if problem.answer is not None and any(stands_for(r, problem.answer) for r in n.readings()):
            continue
        mine = [k for k, s in enumerate(problem.steps) if any(stands_for(r, s.value) for r in n.readings())]
        if not mine:
            continue
        said = re.search(r"(?:\S+\s+){0,5}\S*$", before).group(0) + n.text + \
            re.match(r"\S*(?:\s+\S+){0,7}", clause_after).group(0)  # their words: five before, seven after
        if _AS_ANSWER_BEFORE.search(before) or _AS_ANSWER_AFTER.search(after):
            answered.add(key)
            words_of[key] = said  # the student's answer to the problem: wrong, whatever else they said of it
            continue
        words = _stems(before + " " + after)
        pairs = [(k, j) for k in mine for j in range(len(steps)) if j not in mine and _parallel(steps[k], steps[j])]
        if any(words & (steps[k] - steps[j]) for k, j in pairs):
            own.add(key)
        elif mine and all(any(words & (steps[j] - steps[k]) for kk, j in pairs if kk == k) for k in mine):
            other.add(key)
            words_of.setdefault(key, said)
    return {key: words_of[key] for key in (other - own) | answered}

MISREAD_NOTE = ('You gave {v} for "{said}"; let\'s check which quantity {v} belongs to.',
                'Your {v} goes with "{said}" in your message; let\'s see which quantity it really is.',
                'You wrote "{said}"; let\'s check what {v} stands for in the problem.',
                'I read "{said}"; let\'s make sure {v} goes with the right quantity.')


def misread_note(value: Number, said: str, turn: int) -> str:
    """A step's value said for another quantity, said back with the student's own words it was attached to and
    an invitation to place it (the value is the student's; nothing of the problem is revealed)."""
    return MISREAD_NOTE[turn % len(MISREAD_NOTE)].format(v=value.text, said=said.strip(" .,;:!?\"'"))


def partly_note(right: list[str], wrong: list[str]) -> str:
    """What is right and what is still wrong, in the student's own numbers (nothing they did not say)."""
    got, off = list(dict.fromkeys(right)), list(dict.fromkeys(wrong))
    return f"You have {' and '.join(got)} right, but {' and '.join(off)} {'is' if len(off) == 1 else 'are'} not " \
           "right yet."


def update_math(u: Understanding, problem: Problem, tree: QuestionTree, state: KnowledgeState, turn: int,
                cur: str | None, diagnose: Diagnose) -> Evidence:
    """Judge one math message and append what it shows to the state; returns the planner's evidence."""
    ev = Evidence(node_id=cur)
    if u.intent in ("override", "extraction"):
        ev.detail = f"{u.intent} attempt: its numbers are no answer"
        return ev
    if lists_numbers(u):
        ev.judgement, ev.detail = "unsure", "lists numbers without choosing one: asked for a single value"
        return ev
    produced = [r for n in u.numbers if n.kind != "computed" for r in n.readings()]
    if produced:
        state.append(ValuesProduced(turn=turn, values=produced))
    check = check_math(u, problem, tree)
    if misread := misattributed(u, problem, check):  # a step's value for another quantity: no credit, a wrong value
        check.right = [m for m in check.right if round(m.value if m.by == "value" else _bare(m.text), 9) not in misread]
        check.wrong += [v for v in sorted(misread) if v not in check.wrong]
    if u.intent == "off_topic":
        check.right = [m for m in check.right if m.by == "value"]  # words in an aside are no evidence
    facts = true_conversions(u, problem) if check.wrong else set()
    check.wrong = [v for v in check.wrong if round(v, 9) not in facts]
    if facts and not check.wrong:
        check.final_right = any(m.final for m in check.right)
    if check.wrong and all(percent_of_step(v, u, problem) for v in check.wrong):
        check.wrong = []  # "6/10 = 0.6 x 100% = 60%": one value in three forms
        check.final_right = any(m.final for m in check.right)
    if check.final_right:
        evidence = f"final answer {check.right[0].text if check.right else ''}".strip()
        for n in state.node_ids:
            if not state.is_resolved(n):
                state.append(NodeResolved(turn=turn, node_id=n, evidence=evidence, by="implied"))
        state.append(Solved(turn=turn, evidence=evidence))
        if cur:
            state.observe(turn, cur, True)
        ev.outcome, ev.judgement, ev.detail = "solved", "right", "stated the final answer"
        return ev
    if not any(m.by == "value" for m in check.right) and restates_given(u, problem, check):
        ev.restated, ev.detail = True, "restates a given fact of the problem"
        return ev
    if quotes_givens(u, problem, check):
        ev.judgement, ev.detail = "unsure", "only numbers of the problem, none given as an answer: asked for a value"
        return ev
    positions = result_positions(u)
    quoted = {round(n.value, 9) for i, n in enumerate(u.numbers)
              if n.kind != "computed" and is_given(n, problem) and not positions.get(i, False)}
    if len(claimed(u)) > 1:
        # a given quoted while reasoning ("we subtract 3 from 23") is no wrong answer, even when a wrong path has it
        check.wrong = [v for v in check.wrong if round(v, 9) not in quoted]
    if check.wrong and check.diagnosis:
        # a number already credited, said again beside a wrong value that the diagnosed wrong path also explains
        # with that number ("each box has 24, so 3 boxes"), is that path's number here, not a right sub-result
        path = [v for m in problem.malgorithms if m.id in {d.malgorithm_id for d in check.diagnosis}
                for v in (m.wrong_answer, *m.step_values.values()) if v is not None]
        check.right = [m for m in check.right if m.by != "value" or not state.has_produced(m.value)
                       or not any(stands_for(m.value, v) for v in path)]
    values = {round(v, 9) for v in check.wrong}
    wrong_numbers = [n for n in claimed(u) if round(n.value, 9) in values]
    resolved = [n for n in check.resolved_nodes if not state.is_resolved(n)]
    if resolved:
        last = max(state.node_ids.index(n) for n in resolved)
        for n in state.node_ids[: last + 1]:
            if not state.is_resolved(n):
                value = node_value(tree.node(n), problem)
                said = f"said {value:g}" if value is not None and u.values else f"text: {u.text[:80]}"
                state.append(NodeResolved(turn=turn, node_id=n, evidence=said,
                                          by="student" if n in resolved else "implied"))
        ev.resolved = [n for n in state.node_ids[: last + 1] if n in resolved or n == cur]
        if cur:
            state.observe(turn, cur, True)
    if check.wrong:
        value = check.wrong[-1]
        ev.wrong_numbers = wrong_numbers
        ev.diagnosis = diagnose(u, check.diagnosis, value)
        now = state.current_node()
        operands = derived_operands(u, problem)
        right_texts = [m.text for m in check.right if m.by == "value"] + [n.text for n in operands]
        # the note never repeats the final answer, even the student's own (the guard would rightly refuse it)
        shown = [m.text for m in check.right if m.by == "value" and not m.final] + \
            [n.text for n in operands if problem.answer is None or not stands_for(n.value, problem.answer)]
        # a right value, not a right-looking formula (GUIDE rule 11), and not a number the statement already gives
        # unless the student computes it ("4 x $25 = $100"): "he started with $10 ... so 5 games" is no sub-result
        results = {n.text for n in u.numbers if n.kind == "result"}
        givens = statement_numbers(problem)
        derived = [m for m in check.right if m.by == "value"
                   and (m.text in results or not any(stands_for(m.value, g) and stands_for(g, m.value) for g in givens))]
        partly = bool(derived or operands)
        detail = f"said {value:g} for another quantity than its step's" if round(value, 9) in misread else \
            f"said {value:g}, which matches no step"
        if now is not None:
            top = ev.diagnosis[0].malgorithm_id if ev.diagnosis else None
            state.append(AttemptWrong(turn=turn, node_id=now, evidence=detail, value=value, malgorithm_id=top))
            state.observe(turn, now, False)
        if partly:
            ev.outcome, ev.judgement = "partly", "partly"
            ev.detail = f"right {', '.join(right_texts) or 'reasoning'}, but {detail}"
            ev.note = partly_note(shown, [n.text for n in wrong_numbers]) if shown and wrong_numbers else \
                f"{' and '.join(dict.fromkeys(n.text for n in wrong_numbers))} is not right yet." if wrong_numbers else ""
        else:
            ev.outcome, ev.judgement, ev.detail = "wrong", "wrong", detail
            misplaced = [n for n in wrong_numbers if round(n.value, 9) in misread]
            if misplaced:  # "Rick has 24 dollars": the words it was said for, not "24 doesn't match the story"
                ev.note = misread_note(misplaced[-1], misread[round(misplaced[-1].value, 9)], turn)
        return ev
    if check.right or facts:
        ev.judgement = "right"
        if resolved:
            ev.outcome = "right"
        else:
            ev.detail = "repeated results already found" if check.right else "a true unit fact of a given"
        return ev
    if cur is None:
        return ev
    if u.intent == "stuck":
        state.append(Stuck(turn=turn, node_id=cur, evidence=u.text[:120]))
        state.observe(turn, cur, False)
        ev.outcome, ev.detail = "stuck", "says they are stuck"
    elif u.intent == "answer" and len(u.text.split()) >= 3:
        ev.judgement, ev.detail = "unsure", "an explanation that meets no check: asked for a value"
    return ev
