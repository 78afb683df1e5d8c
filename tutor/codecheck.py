"""Code claims checked against the real behaviour, not keywords.

A statement about what the buggy program does ("it returns 5", "it raises IndexError", "I get a syntax error") is
compared, as plain data, with what the failing tests really produce when the buggy program runs in the sandbox
(`tutor.sandbox.run_tests`, once per problem). A named line is compared with the bug's lines. Nothing here credits
a message for the words it uses: no claim -> no verdict; a behaviour claim whose value cannot be read -> `unsure`.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import re
from collections import OrderedDict
from typing import Literal

from pydantic import BaseModel

from knowledge.types import Problem
from tutor.sandbox import SandboxLimits, TestRun, run_tests

CodeVerdict = Literal["right", "wrong", "unsure"]

RUNS_KEPT = 256  # sandbox runs remembered (least recently used dropped first)
_RUNS: OrderedDict[tuple[str, str, str, tuple[str, ...]], TestRun] = OrderedDict()

_EXC = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception|Warning)|StopIteration|KeyboardInterrupt)s?\b")  # "TypeErrors"
_SYNTAX = re.compile(
    r"\b(?:syntax|compiler|compile|compilation|indentation)\s*error\b|\bwon'?t\s+(?:even\s+)?"
    r"(?:compile|run)\b",
    re.I,
)
# "raises the radius to a power" is arithmetic, not an exception
_ANY_ERROR = re.compile(
    r"\b(?:an?|the|some)\s+(?:\w+\s+)?(?:error|exception)\b|\b(?:throws?|throwing|raises?|"
    r"raising|crash(?:es|ing)?)\b(?![^.?!]{0,40}\bto\s+(?:the|a)\s+(?:\w+\s+)?power)",
    re.I,
)
_VERB = re.compile(
    r"\b(?:returns?|returned|returning|outputs?|outputted|prints?|printed|printing|evaluates? to|"
    r"responds? with|gives?(?: me| back)?|gave(?: me)?|(?:i|i'?m|i am|we|we'?re|we are|it'?s|it "
    r"is)\s+(?:get|got|getting)|"
    r"(?:(?:the|my)\s+)?(?:output|result|return value|answer)(?:,?\s+which)?\s+(?:is|was))\s+(?:back\s+|out\s+)?"
    r"(?:only\s+)?(?:the\s+value\s+)?(?:an?\s+(?=[-\d`]))?",
    re.I,
)
# "it should give me 5", "I want it to return 5": what the student expects, not what the program does
_EXPECTED = re.compile(
    r"\b(?:should|supposed to|expected to|expect it to|wants? it to|wanted it to|need it to|meant to|"
    r"must|has to|have to|would like it to)\s+(?:\w+\s+)?$",
    re.I,
)
_LITERAL = re.compile(
    r"`([^`]+)`|(-?\d+(?:\.\d+)?)|\b(True|False|None|nothing)\b|(\"[^\"]*\"|'[^']*')|(\[[^\]]*\])|"
    r"(\([^()]*\))|(?:an?\s+)?\b(empty\s+(?:list|string|str|dict(?:ionary)?|tuple))\b"
)
# "if I change it to <=, it returns 5": a sentence about a changed program, not the buggy one
_CHANGED = re.compile(
    r"\b(?:if|once|after|when)\s+(?:i|we|you)\s+(?:\w+\s+)?(?:change|changed|replace|replaced|fix|fixed|add|added|"
    r"remove|removed|use|used|move|moved|swap|swapped|put)\b",
    re.I,
)
_EMPTY = {"list": "[]", "string": "''", "str": "''", "dict": "{}", "dictionary": "{}", "tuple": "()"}
# "it's 8 ... instead of 5": the value the program gives, then the one the test expects
_LIT = r"(`[^`]+`|-?\d+(?:\.\d+)?|True|False|None|\"[^\"]*\"|'[^']*'|\[[^\]]*\])"
_INSTEAD = re.compile(rf"(?<![\w.]){_LIT}(?![\w.])(?:\s+[\w'`]+){{0,8}}?,?\s+instead\s+of\s+{_LIT}(?![\w.])", re.I)
# a trailing question after a statement ("it returns [], can you help?"): the statement still claims
_ASKS = re.compile(
    r",\s*(?:but\s+|so\s+|and\s+)?(?:can|could|would|will|is|are|do|does|did|what|why|how|any|should|am)\b[^,]*\?\s*$",
    re.I,
)
_QUESTION_START = re.compile(
    r"\s*(?:\w+[,!]\s+)?(?:can|could|would|will|is|are|do|does|did|what|why|how|should|shouldn'?t|isn'?t|am|which|where"
    r"|when|who)\b",
    re.I,
)
_LINE = re.compile(r"\blines?\s*(?:#|no\.?|number)?\s*(\d+)(?:\s*(?:,|and|to|-)\s*(\d+))*", re.I)
_NEGATED = re.compile(r"\b(?:no|not|don'?t|doesn'?t|isn'?t|never|any)\b[^.?!]{0,30}$", re.I)
_UNSURE_WORDS = re.compile(r"\b(?:not sure|don'?t know|no idea|can'?t tell|i'?m stuck|confused)\b", re.I)


class Claim(BaseModel):
    kind: Literal["raises", "returns"]
    value: str | None = None  # exception name, or the literal the student says is returned (None: unreadable)
    verb: str = ""  # the words that made it a claim ("returns", "prints", "I get")
    expected: str | None = None  # "8 instead of 5": the value the student says a test expects


def run_cached(
    code: str,
    problem: Problem,
    tests: list[str] | None = None,
    *,
    entry_point: str | None = None,
    limits: SandboxLimits | None = None,
) -> TestRun:
    """`code` run in the sandbox against `tests` (default: the problem's), remembered by problem id, code and
    tests; at most RUNS_KEPT runs are kept, the least recently used dropped first. A run the sandbox could not
    start is not remembered."""
    tests = list(problem.unit_tests if tests is None else tests)
    entry = problem.entry_point if entry_point is None else entry_point
    key = (problem.id, hashlib.sha256(code.encode()).hexdigest(), entry, tuple(tests))
    if key in _RUNS:
        _RUNS.move_to_end(key)
        return _RUNS[key]
    run = run_tests(code, tests=tests, entry_point=entry, limits=limits)
    if run.unavailable is None:
        _RUNS[key] = run
        while len(_RUNS) > RUNS_KEPT:
            _RUNS.popitem(last=False)
    return run


def buggy_run(problem: Problem, limits: SandboxLimits | None = None) -> TestRun:
    """The buggy program run against the problem's tests (memoised, see run_cached)."""
    return run_cached(problem.buggy_code, problem, limits=limits)


def plain_value(text: str) -> object:
    text = text.strip()
    if text.lower() == "nothing":
        return None
    try:
        return ast.literal_eval(re.sub(r"`([^`']*)`", r"'\1'", text))  # "(`C`, 70)" is ('C', 70)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def sentences(text: str) -> list[str]:
    """The message cut after . ! ? (also when a closing quote follows: 'gives me "Freezing!" Why?')."""
    out: list[str] = []
    for piece in re.split(r"(?<=[.!?])\s+|(?<=[.!?][\"'\u201d])\s+", text):
        if out and out[-1].count("`") % 2:  # inside a `code span`: not a sentence end
            out[-1] += " " + piece
        else:
            out.append(piece)
    return [s for s in out if s.strip()]


def statement(sentence: str) -> str | None:
    """The sentence as a statement: itself unless it asks; a statement with a question after it ("it always returns
    an empty list, can you help?") is its statement part; a question claims nothing (None)."""
    if not sentence.rstrip().endswith("?"):
        return sentence
    m = _ASKS.search(sentence)
    if m is None or _QUESTION_START.match(sentence):
        return None
    return sentence[: m.start()]


def _literal(m: re.Match[str]) -> str:
    found = next(g for g in m.groups() if g is not None)
    if m.group(7):
        return _EMPTY[m.group(7).split()[-1].lower()]
    return found


def claims(text: str) -> list[Claim]:
    """What the message says the program does, read as data (exception names, returned literals)."""
    out: list[Claim] = []
    for whole in sentences(text):
        sentence = statement(whole)
        if sentence is None or _CHANGED.search(sentence):
            continue  # a question claims nothing; nor does what a changed program would do
        pairs = [
            Claim(kind="returns", value=m.group(1).strip("`"), verb="instead of", expected=m.group(2).strip("`"))
            for m in _INSTEAD.finditer(sentence)
            if not _EXPECTED.search(sentence[: m.start()]) and not _NEGATED.search(sentence[: m.start()])
        ]
        out += pairs
        for m in _EXC.finditer(sentence):
            out.append(Claim(kind="raises", value=m.group(1)))
        if _SYNTAX.search(sentence) and not any(c.value for c in out):
            out.append(Claim(kind="raises", value="SyntaxError"))
        elif (
            _ANY_ERROR.search(sentence)
            and not out
            and not _NEGATED.search(sentence[: _ANY_ERROR.search(sentence).start()])
        ):
            out.append(Claim(kind="raises"))
        for m in _VERB.finditer(sentence):
            before = sentence[: m.start()]
            if (
                _NEGATED.search(before)
                or _EXPECTED.search(before)
                or re.search(r"\b(?:the|my|a|this|that)\s*$", before, re.I)
            ):
                continue  # "the return statement", "my output": a noun, not a claim; "should give": expected
            rest = sentence[m.end() :]
            lit = _LITERAL.match(rest)
            if lit:
                out.append(Claim(kind="returns", value=_literal(lit), verb=m.group(0).strip()))
            elif (
                re.match(r"(?:a|an|the|some)?\s*(?:wrong|incorrect|different|unexpected|weird)", rest, re.I)
                or not rest.strip()
            ):
                continue  # "it returns the wrong value": true of any failing test, checks nothing
            elif m.group(0).lower().startswith(("return", "output", "print", "evaluat", "respond")) and not pairs:
                out.append(Claim(kind="returns", verb=m.group(0).strip()))  # "returning 8 instead of 5": the pair
    return out


def judge_behaviour(text: str, run: TestRun) -> CodeVerdict | None:
    """right: a claim matches what a failing test really does; wrong: an exception it does not raise, or a returned
    value when every failing test raises; unsure: a value no failing test returns (it may be the student's own
    input's) or one that cannot be read; None: no claim."""
    said = claims(text)
    if not said or run.unavailable:
        return None
    failures = run.failures
    raised = {f.error_type for f in failures if f.error_type and f.error_type != "AssertionError"}
    if run.load_error is not None:
        raised.add(run.load_error.error_type)
    if run.timed_out or run.limit_hit:
        raised.add("timeout")
    returned = [f for f in failures if f.got is not None and f.error_type in (None, "AssertionError")]
    got = [plain_value(f.got) for f in returned]
    verdicts: list[CodeVerdict] = []
    for c in said:
        if c.expected is not None:
            # "8 instead of 5": credited when a failing test gives the one and expects the other, else it says nothing
            pair = (plain_value(c.value or ""), plain_value(c.expected))
            if any(
                same_value(pair[0], plain_value(f.got)) and same_value(pair[1], plain_value(f.expected or ""))
                for f in returned
            ):
                verdicts.append("right")
            continue
        if c.kind == "raises":
            if c.value is None:
                verdicts.append("right" if raised else "wrong")
            else:
                verdicts.append("right" if c.value in raised else "wrong")
        elif c.value is None:
            verdicts.append("unsure")
        else:
            # another value than the tests give may be their own input's: wrong only when no failing test returns
            value = plain_value(c.value)
            shown = c.verb.lower().startswith("print") and isinstance(value, str)  # "it prints "None"": the text
            found = any(same_value(value, g) or (shown and value.strip() == str(g)) for g in got)
            verdicts.append("right" if found else "unsure" if got else "wrong")
    if "wrong" in verdicts:
        return "wrong"
    return "right" if "right" in verdicts else "unsure" if verdicts else None


def same_value(a: object, b: object) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return abs(a - b) <= 1e-9 * max(1.0, abs(b))
    if isinstance(a, str) and isinstance(b, str):
        return a.strip().strip("'\"") == b.strip().strip("'\"")
    return a == b


def named_lines(text: str) -> list[int]:
    """Line numbers the message points at ("line 3", "lines 2 and 4"), skipping negated mentions."""
    out: list[int] = []
    for m in _LINE.finditer(text):
        if _NEGATED.search(text[max(0, m.start() - 40) : m.start()]):
            continue
        out += [int(g) for g in m.groups() if g]
    return out


def bug_lines(problem: Problem, bug: int) -> set[int]:
    """The bug's lines: those it names, and the buggy lines its first fix changes (a diff of the two programs)."""
    b = problem.bugs[bug]
    out = set(b.lines)
    if b.fixes and b.fixes[0].code:
        old, new = problem.buggy_code.splitlines(), b.fixes[0].code.splitlines()
        kept = {ln.strip() for ln in new}
        matcher = difflib.SequenceMatcher(None, [ln.strip() for ln in old], [ln.strip() for ln in new], autojunk=False)
        for tag, i1, i2, _j1, _j2 in matcher.get_opcodes():
            if tag in ("replace", "delete"):  # a line moved unchanged (indentation aside) is not a bug line
                out.update(i + 1 for i in range(i1, i2) if old[i].strip() and old[i].strip() not in kept)
    return out


_BLAME = re.compile(r"\b(?:bug|problem|issue|wrong|error|mistake|broken|fix|culprit|incorrect)\w*\b", re.I)


def judge_locate(text: str, problem: Problem, bug: int) -> CodeVerdict | None:
    """right: blames a line of the bug ("the bug is on line 3", or a bare "Line 3."); wrong: blames only other
    lines; None: names no line, or names one without blaming it ("Line 2 sets index to -1", "I handled that case on
    line 3": what it says of the line is judged elsewhere, tutor.codelines)."""
    lines = named_lines(text)
    if not lines or not (0 <= bug < len(problem.bugs)):
        return None
    bare = re.fullmatch(
        r"\W*(?:(?:i think\s+)?(?:it|that|this)(?:'?s|\s+is)\s+)?(?:on\s+|in\s+)?lines?\s*\d+\W*", text.strip(), re.I
    )
    if not bare and not _BLAME.search(text):
        return None  # "I handled these cases on lines 4 and 5": a line named, not as the bug's place
    return "right" if set(lines) & bug_lines(problem, bug) else "wrong"


def hedged(text: str) -> bool:
    """The message says the student does not know ("I don't know why it fails", "not sure")."""
    return bool(_UNSURE_WORDS.search(text))
