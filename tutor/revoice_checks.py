"""The revoice job's quality gates: is the model's one sentence in the student's own words usable?

A revoicing sentence (see `tutor.voice.revoice_messages`) must speak to the student, use only the student's numbers,
give no verdict (the decided message carries it), name no operation the student did not signal, ask nothing, be
about what the student said, and not repeat an earlier tutor message (`revoice_reason`). `revoice_early_reason`
stops the model mid-sentence once a check fails that no continuation can undo (the same checks, on the words
completed so far; the number check on the `settled` words); `salvage_long` keeps the first clause of a draft that
ran past the word limit; `template_revoices` says when the decided text already says the student's value back, so
the model is not asked. The shared text comparisons (content words, similarity, new numbers) are in tutor.voice.
"""

from __future__ import annotations

import re

from knowledge.numbers import close
from tutor.numbers import extract
from tutor.voice import META, REPEAT_SIMILARITY, allowed_numbers, content_words, new_numbers, similarity

REVOICE_MAX_WORDS = 25
_VERDICT = re.compile(
    r"\b(?:right|correct(?:ly)?|incorrect|wrong|mistakes?|exactly|perfect|great|well done|good job|"
    r"nice|not quite|error|oops|close)\b",
    re.IGNORECASE,
)
_TAG = re.compile(r"</?\s*[a-z_]+\s*>", re.IGNORECASE)
_TO_STUDENT = re.compile(r"you(?:'re|'ve|r)?\b", re.IGNORECASE)


# an operation a revoicing sentence names must be one the student's message signals
_CLAIMS = {
    "addition": re.compile(r"\badd(?:s|ed|ing)?\b|\bsum(?:med)?\b", re.IGNORECASE),
    "multiplication": re.compile(r"\bmultipl", re.IGNORECASE),
    "division": re.compile(r"\bdivid", re.IGNORECASE),
    "subtraction": re.compile(r"\bsubtract", re.IGNORECASE),
}
_SIGNALS = {
    "addition": re.compile(r"\+|\bplus\b|\badd|\bsum\b|\btotal|\bcombin|\btogether|\bin all\b", re.IGNORECASE),
    "multiplication": re.compile(
        r"[*×]|\d\s*x\s*\d|\btimes\b|\bmultipl|\bdoubl|\btripl|\beach\b|\bper\b", re.IGNORECASE
    ),
    "division": re.compile(r"/|÷|\bdivid|\bsplit|\bper\b|\beach\b|\bhalf\b|\bhalve|\bshare", re.IGNORECASE),
    "subtraction": re.compile(
        r"\d\s*-\s*\d|−|\bminus\b|\bsubtract|\btak(?:e|es|ing) away\b|\btook away\b|\bleft\b|"
        r"\bless\b|\bdifference\b|\bfewer\b",
        re.IGNORECASE,
    ),
}


def revoice_reason(sentence: str, student: str, previous: list[str] | tuple[str, ...] = ()) -> str | None:
    """Why a revoicing sentence is unusable (the template is shown alone), or None. It must speak to the student,
    use only the student's numbers, give no verdict (the decided message carries it), ask nothing, and be about
    what the student said."""
    sentence = sentence.strip()
    if len(sentence) < 8:
        return "empty or too short"
    if why := _never_passes(sentence, student):
        return why
    if why := _adds_numbers(sentence, student):
        return why
    theirs = content_words(student) | {n for n in re.findall(r"\d+(?:\.\d+)?", student)}
    mine = content_words(sentence) | {n for n in re.findall(r"\d+(?:\.\d+)?", sentence)}
    if theirs and not theirs & mine:
        return "not about the student's message"
    for prev in previous:
        if similarity(sentence, prev) >= REPEAT_SIMILARITY:
            return f"repeats an earlier tutor message: {prev[:60]!r}"
    return None


def revoice_early_reason(partial: str, student: str) -> str | None:
    """Why an unfinished revoicing sentence will be rejected whatever follows, or None (wait for its end): the
    checks no continuation can undo, on the words completed so far (the text up to its last space), so the model
    is stopped at once instead of finishing a sentence nobody will see. None does not pass the sentence:
    `revoice_reason` checks it when it ends."""
    cut = partial.rfind(" ")
    done = partial[:cut].strip() if cut > 0 else ""
    if not done:
        return None
    return _never_passes(done, student) or _adds_numbers(settled(done), student)


# a comma followed by one of these starts a new clause ("…, which", "…, then", "…, and then", "…, but"); a comma in
# a list ("brown, black, and green") does not
_CLAUSE_START = re.compile(
    r",\s+(?:which|then|and then|and so|so|but|resulting|giving|leaving|making|because|since|while|where|when|"
    r"before|after|to get|to find)\b",
    re.IGNORECASE,
)
_MIN_SALVAGE_WORDS = 8


def salvage_long(partial: str) -> str | None:
    """The first clause of a revoicing draft whose completed words ran past REVOICE_MAX_WORDS, as a sentence
    ("You divided 126 by 14 to get each share, then multiplied …" -> "You divided 126 by 14 to get each share."),
    or None: a shorter draft, or no clause of at least _MIN_SALVAGE_WORDS ending within the limit. The words were
    generated already; the sentence still has to pass `revoice_reason`."""
    words = partial[: partial.rfind(" ")].split()  # the completed words, as `revoice_early_reason` counts them
    if len(words) <= REVOICE_MAX_WORDS:
        return None
    head = " ".join(words[:REVOICE_MAX_WORDS])
    cuts = [m.start() for m in _CLAUSE_START.finditer(head)]
    if not cuts:
        return None
    clause = head[: cuts[-1]].rstrip(" ,;:")
    return clause + "." if len(clause.split()) >= _MIN_SALVAGE_WORDS else None


# words that may still join a number to what follows ("5 hundred", "12 + 3 is 15", "added 3 to 4", "20 percent
# of 50", "3 and a half"): a number is read for good only once a word outside this set follows it
_JOINS = re.compile(
    r"and|an?|halfs?|halves|quarters?|thirds?|hundreds?|thousands?|millions?|dozens?|percent|per|cent|of|times|by|"
    r"over|plus|minus|divided|multiplied|x|point|out|into|to|from|with|take|away|is|equals?|makes|gives|comes|"
    r"gets?|got|so|i|we|you|me|us",
    re.IGNORECASE,
)
_PLAIN_WORD = re.compile(r"[a-z']+[,.;:!]?", re.IGNORECASE)


def settled(done: str) -> str:
    """The completed words whose numbers no continuation can change: the text up to its last plain word (letters
    only, not one of _JOINS), so a number or expression still open at the end ("You got 12 + 3", "You have 5") is
    left for later. '' when there is none."""
    words = done.split()
    for i in range(len(words) - 1, -1, -1):
        if _PLAIN_WORD.fullmatch(words[i]) and not _JOINS.fullmatch(words[i].rstrip(",.;:!")):
            return " ".join(words[: i + 1])
    return ""


def _adds_numbers(sentence: str, student: str) -> str | None:
    """The number check of `revoice_reason` (digits the student did not write), on a whole or a settled text."""
    if sentence and (extra := new_numbers(sentence, allowed_numbers(student))):
        return f"adds a number the student did not write: {', '.join(extra[:3])}"
    return None


def _never_passes(sentence: str, student: str) -> str | None:
    """The revoice checks that stay failed however the sentence goes on (see `revoice_early_reason`)."""
    if len(words := sentence.split()) > REVOICE_MAX_WORDS:
        return f"too long ({len(words)} words)"
    if _TAG.search(sentence):
        return "echoes prompt tags"
    if META.search(sentence):
        return "talks about its instructions"
    if re.match(r"(?:i|i'm|i've|i'll|me|my)\b", sentence, re.IGNORECASE):
        return "speaks as the student"
    if "?" in sentence:
        return "asks a question"
    if (m := _VERDICT.search(sentence)) is not None:
        return f"gives a verdict ({m.group(0).lower()!r})"
    for op, claim in _CLAIMS.items():
        if claim.search(sentence) and not _SIGNALS[op].search(student):
            return f"names an operation the student did not write ({op})"
    if not _TO_STUDENT.match(sentence):  # decided at the first word: a sentence that copies the student stops there
        return "does not speak to the student (it must start with 'You')"
    return None


def template_revoices(template: str, student: str, statement: str) -> bool:
    """Does the decided text already say back a value of the student's (one not given in the statement)? Then a
    revoicing sentence would only repeat it, and the model is not asked."""
    given = allowed_numbers(statement)
    theirs = [
        r
        for n in extract(student).numbers
        if n.kind != "word"
        for r in n.readings()
        if not any(close(r, g) for g in given)
    ]
    said = allowed_numbers(template)
    return any(close(reading, quoted) for reading in theirs for quoted in said)
