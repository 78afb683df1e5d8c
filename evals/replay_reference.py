"""Rule-derived reference labels for the replay: only where the truth is objective, else no label (None).

Deliberately independent of the tutor's own understanding (tutor.numbers, tutor.verify): a plain digit reader
and the record's own solution texts, so the replay does not grade the tutor against itself.

Label semantics (shared with the hand labels, evals/labels/GUIDE.md): right = every checkable claim true; partly =
at least one correct sub-result and a wrong final/claim; wrong = claims, none true; none = no checkable claim.

MathDial (numbers against the record's solutions): every number of the turn that is not a given of the problem is
a claim. Correct values are the results of the ground truth's `... = c` lines and its final answer; the
malgorithm's values are those of `student_incorrect_solution` that are not correct values. Numbers are the same
within `knowledge.numbers.HALF_CENT` (money is written to the cent; relative `REL_TOL` above 5000).
- no number beyond the givens, in a plain statement (no "?", no "=") whose words are mostly the statement's own
  -> `none` (a restated fact);
- every claimed number correct, or the last one the final answer with no malgorithm value -> `right`;
- a correct one and then a last one that is not correct -> `partly`;
- no correct one and a malgorithm value among them -> `wrong`;
- otherwise (numbers that match neither solution) -> no label.
SDB: submitted code that defines the entry point is run against the unit tests (passes -> `right`, fails ->
`wrong`); a statement that names a line as the bug's place -> `right` when it is a bug line, else `wrong`;
otherwise no label.
"""

from __future__ import annotations

import re

from knowledge.dialogues import RealDialogue, RealTurn
from knowledge.numbers import HALF_CENT, NUMBER_WORDS, close, contains
from knowledge.types import Problem
from vocabulary import Reference

_NUMBER = re.compile(r"(?<![\w.])-?\$?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+)(?:st|nd|rd|th)?")
_WORDS = {w: v for w, v in NUMBER_WORDS.items() if v} | {
    "thousand": 1000,
    "half": 2,
    "twice": 2,
    "double": 2,
    "triple": 3,
    "quarter": 4,
    "third": 3,
    "dozen": 12,
    "once": 1,
}


def numbers(text: str) -> list[float]:
    """Digits as written (1,000 -> 1000; $5 -> 5; ordinals and line references are skipped), in order."""
    text = re.sub(r"\b(?:line|step|lines|steps)\s+\d+", " ", text, flags=re.I)
    out = []
    for m in _NUMBER.finditer(text):
        if m.group(0).endswith(("st", "nd", "rd", "th")):
            continue
        out.append(float(m.group(1).replace(",", "")))
    return out


def question_givens(question: str) -> set[float]:
    """The numbers a problem statement gives (digits, number words, a fraction's parts and value, percents as
    decimals): a reply that only repeats them claims nothing."""
    found = set(numbers(question))
    for word in re.findall(r"[a-z]+", question.lower()):
        if word in _WORDS:
            found.add(float(_WORDS[word]))
    # a fraction or percent of the statement is also written by students as its parts and as a decimal
    for a, b in re.findall(r"(\d+)\s*/\s*(\d+)", question):
        if float(b):
            found.add(float(a) / float(b))
    for p in re.findall(r"(\d+(?:\.\d+)?)\s*%", question):
        found.add(float(p) / 100)
    return found


def _results(solution: str) -> list[float]:
    """The `= c` results of a worked solution, then the number on its last line (the final answer)."""
    out = []
    for line in solution.splitlines():
        for part in line.split("=")[1:]:
            got = numbers(part[:30])
            if got:
                out.append(got[0])
    lines = [ln for ln in solution.strip().splitlines() if ln.strip()]
    last = numbers(lines[-1]) if lines else []
    if last:
        out.append(last[-1])
    return out


_FILLER = {
    "yes",
    "yeah",
    "okay",
    "ok",
    "so",
    "right",
    "the",
    "and",
    "that",
    "this",
    "there",
    "are",
    "was",
    "were",
    "has",
    "have",
    "had",
    "for",
    "with",
    "of",
    "his",
    "her",
    "its",
    "their",
    "they",
    "she",
    "he",
    "each",
    "per",
    "oh",
    "see",
    "well",
    "sure",
    "also",
    "then",
    "which",
    "who",
    "from",
    "into",
    "but",
    "all",
    "our",
}


def _words(text: str) -> list[str]:
    return [w.rstrip("s") for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2 and w not in _FILLER]


_CONCLUDES = re.compile(
    r"\b(?:so|therefore|thus|hence|answer|total|altogether|means|need|needs|will|would|"
    r"must|left|remaining)\b",
    re.I,
)


def restates(text: str, question: str) -> bool:
    """Most of the turn's words are the statement's own: a given fact said again, not a derived claim."""
    if _CONCLUDES.search(text):
        return False  # "so they need 3 boxes": a conclusion, even with a given number
    said, given = _words(text), set(_words(question))
    return bool(said) and sum(w in given for w in said) / len(said) >= 0.7


def mathdial_label(dialogue: RealDialogue, turn: RealTurn) -> tuple[Reference | None, str]:
    """(label, rule) for one student turn of a MathDial record."""
    text = turn.text
    givens = question_givens(dialogue.question)
    correct = _results(dialogue.ground_truth)
    if not correct:
        return None, "no ground-truth values"
    final = correct[-1]
    wrong = [v for v in _results(dialogue.incorrect_solution) if not contains(correct, v, floor=HALF_CENT)]
    found = numbers(text)
    if not found:
        return None, "no numbers"
    claims = [v for v in found if not contains(givens, v, floor=HALF_CENT)]
    if not claims:
        if "?" in text or "=" in text or not restates(text, dialogue.question):
            return None, "given numbers in a question, an equation or new words"
        return "none", "restates a given fact"
    kinds = [
        "C" if contains(correct, v, floor=HALF_CENT) else "M" if contains(wrong, v, floor=HALF_CENT) else "U"
        for v in claims
    ]
    if all(k == "C" for k in kinds):
        return "right", "every claimed number is a correct step value"
    if close(claims[-1], final, floor=HALF_CENT) and "M" not in kinds:
        return "right", "ends on the final answer"
    if "C" in kinds and kinds[-1] != "C":
        return "partly", "a correct step value, then a value that is not correct"
    if "C" not in kinds and "M" in kinds:
        return "wrong", "a wrong-solution value and no correct one"
    return None, "numbers that match neither solution"


_LOCATING = re.compile(r"\b(?:bug|error|issue|problem|mistake|wrong|culprit|causing|fault)\w*\b", re.I)
_LINE_REF = re.compile(r"\blines?\s*#?\s*(\d+)(?:\s*(?:and|,|&|or)\s*(\d+))?", re.I)


def sdb_label(problem: Problem, turn: RealTurn, code_passes: bool | None) -> tuple[Reference | None, str]:
    """(label, rule) for one student turn of an SDB dialogue; `code_passes` is the test run of its code (None when
    the turn has no runnable code)."""
    if code_passes is not None:
        return ("right", "submitted code passes the tests") if code_passes else ("wrong", "submitted code fails")
    text = turn.text
    bug_lines = {n for b in problem.bugs for n in b.lines}
    for sentence in re.split(r"(?<=[.!?])\s+", text):
        if "?" in sentence or not _LOCATING.search(sentence):
            continue
        named = [int(n) for m in _LINE_REF.finditer(sentence) for n in m.groups() if n]
        if named:
            if any(n in bug_lines for n in named):
                return "right", "names a bug line"
            return "wrong", "names a line that is not a bug line"
    return None, "no objective rule"


def runnable(code: str, problem: Problem) -> bool:
    """Code that can be run on its own against the tests: it defines the entry point."""
    return bool(code.strip()) and re.search(rf"\bdef\s+{re.escape(problem.entry_point)}\s*\(", code) is not None
