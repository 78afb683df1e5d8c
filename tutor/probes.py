"""Which probing question the student sees for a diagnosed misconception.

Tree probes are written per malgorithm and may carry two things the student must not see:
- the malgorithm's wrong value ("You got 0.4 for this part ..."): true only when the student produced that value.
  A diagnosis by text similarity, or by a value of another step, gets the probe with the student's own value put
  in its place when that is unambiguous, otherwise no probe (the node's neutral probing question is asked);
- the misconception's label ("(Something to check: adds numerators and adds denominators.)"): naming what is wrong
  is telling, not probing. The label stays in the trace (the plan's reason), never in the student-facing text.
"""

from __future__ import annotations

import re

from knowledge.numbers import close, stands_for
from knowledge.types import Diagnosis, Malgorithm, Node, Problem
from tutor.numbers import Number, extract

# a teacher-facing note in parentheses: "(Something to check: ...)", "(Misconception: ...)"
_LABEL_NOTE = re.compile(
    r"\s*[(\[]\s*(?:something to (?:check|look at|watch)|to check|check|misconception|mistake|error|note)\s*:"
    r"[^)\]]*[)\]]\.?",
    re.IGNORECASE,
)
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def strip_label_notes(text: str) -> str:
    """Remove teacher-facing '(Something to check: ...)' notes from a student-facing text."""
    return re.sub(r"\s{2,}", " ", _LABEL_NOTE.sub("", text)).strip()


def names_label(text: str, label: str) -> bool:
    """The text names the misconception (its label, verbatim, case-insensitive)."""
    lab = label.strip().rstrip(".").lower()
    return len(lab) >= 8 and lab in text.lower()


def strip_label(text: str, label: str) -> str:
    """The text without label notes and without any sentence that still names the label."""
    t = strip_label_notes(text)
    if names_label(t, label):
        t = " ".join(s for s in _SENTENCE.split(t) if not names_label(s, label))
    return t.strip()


def _malgorithm(problem: Problem, malgorithm_id: str) -> Malgorithm | None:
    return next((m for m in problem.malgorithms if m.id == malgorithm_id), None)


def _wrong_values(m: Malgorithm | None) -> list[float]:
    if m is None:
        return []
    return [v for v in (m.wrong_answer, *m.step_values.values()) if v is not None]


def is_given(n: Number, problem: Problem) -> bool:
    given = [r for g in extract(problem.statement).numbers for r in g.readings()]
    return any(close(r, g) for r in n.readings() for g in given)


def value_mentions(text: str, problem: Problem, malgorithm_id: str) -> list[Number]:
    """Numbers in a probe that are the malgorithm's wrong values and not numbers given in the statement."""
    wrong = _wrong_values(_malgorithm(problem, malgorithm_id))
    given = [r for n in extract(problem.statement).numbers for r in n.readings()]
    out = []
    for n in extract(text).numbers:
        if n.kind == "word":
            continue
        if any(close(r, g) for r in n.readings() for g in given) and not attributed(text, n.text):
            continue  # a given of the statement, unless the probe says the student got it ("You got 150")
        if any(stands_for(r, w) for r in n.readings() for w in wrong):
            out.append(n)
    return out


_ATTRIBUTION = r"(?:you got|you said|you wrote|you found|you have|your answer(?: of| is| was)?|your)\s*\$?"


def attributed(text: str, number: str) -> bool:
    """The text says the student produced this number ("You got 150 for this part")."""
    return re.search(rf"\b{_ATTRIBUTION}{re.escape(number)}(?![\w]|\.\d)", text, re.IGNORECASE) is not None


def _said(n: Number, student: list[float]) -> bool:
    return any(close(r, v) for r in n.readings() for v in student)


def choose_probe(
    node: Node, diag: Diagnosis, problem: Problem, student_values: list[float], student_wrong: list[Number]
) -> tuple[str | None, str]:
    """(the probe to show, or None for the node's neutral probing question; a note for the trace).

    student_values: every reading of the numbers the student stated this turn; student_wrong: the stated numbers
    that match no step (their text is used when the probe's value has to be replaced)."""
    raw = node.probes.get(diag.malgorithm_id)
    if not raw:
        return None, "no probe for this misconception on the node"
    text = strip_label(raw, diag.label)
    if not text or "?" not in text:
        return None, "the probe only named the misconception"
    mentions = value_mentions(text, problem, diag.malgorithm_id)
    if not mentions:
        return text, "probe (no value in it)"
    if diag.reason == "value" and all(_said(n, student_values) for n in mentions):
        return text, "value probe: the student stated that value"
    distinct = {round(n.value, 9) for n in mentions}
    mine = list({n.text: n for n in student_wrong}.values())
    if len(distinct) == 1 and len(mine) == 1:
        out = text
        for n in sorted(mentions, key=lambda x: -len(x.text)):
            if is_given(n, problem):  # only where it is said to be the student's: the topic may quote the given
                out = re.sub(
                    rf"(\b{_ATTRIBUTION}){re.escape(n.text)}(?![\w]|\.\d)",
                    lambda m: m.group(1) + mine[0].text,
                    out,
                    flags=re.IGNORECASE,
                )
            else:
                out = re.sub(rf"(?<![\w.]){re.escape(n.text)}(?![\w]|\.\d)", mine[0].text, out)
        if not value_mentions(out, problem, diag.malgorithm_id) or _said_all(out, problem, diag, student_values):
            return out, f"probe with the student's own value {mine[0].text} (the tree's value was never said)"
    # the misconception's probe without the sentence that quotes a value the student never said (the reply quotes
    # the student's own numbers instead)
    kept = " ".join(x for x in _SENTENCE.split(text) if not value_mentions(x, problem, diag.malgorithm_id))
    if "?" in kept:
        return (
            kept.strip(),
            f"probe without the value {mentions[0].text} the student never said (diagnosed by {diag.reason})",
        )
    return None, f"value probe withheld: the student never said {mentions[0].text} (diagnosed by {diag.reason})"


def _said_all(text: str, problem: Problem, diag: Diagnosis, student_values: list[float]) -> bool:
    return all(_said(n, student_values) for n in value_mentions(text, problem, diag.malgorithm_id))
