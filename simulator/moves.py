"""What a tutor message does (its move) and which tree node it is about.

`classify_move` is rule-based over MathDial's teacher-move taxonomy:
- focus: directs attention to a specific step or quantity, usually with a question ("How many cups would 2
  chickens need?", "Let's start with how much he spent on gumballs");
- probing: asks the student to explain, justify or check ("Why did you divide?", "How did you get 28?", "What does
  'twice as many' mean?", "Are you sure?");
- telling: states the answer, a value or the method directly ("The answer is 7", "You need to add 5", "12 + 3 = 15");
- generic: greetings, praise, "talk me through your solution", checks on the student's well-being.
The rules were developed on MathDial's dev file (see `python -m evals.moves`). An optional LLM tie-break is used
only when the rules are unsure and a backend is available; any failure degrades to the rule result.

`simulator.move_model.classify_in_context` is what the simulator uses: the fitted linear model of
`simulator.move_model` (MiniLM
embedding + lexical features + the rules' scores + where the message sits in the dialogue; on MathDial dev under
nested 5-fold cross-validation grouped by qid, macro-F1 0.611 (focus+probing merged 0.751) against the rules' 0.527
(0.706): `python -m evals.moves ../shared/data/mathdial/dev.jsonl --cv`), its lexical variant (0.596 / 0.742) when
no embedding is given, and the rules when the parameter file is absent.

Which tree node a message is about is `simulator.mapping`'s question (`map_to_node`).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from errors import RecoverableError
from inference.base import Message, Options
from knowledge.numbers import NUMBER
from simulator.prompts import MOVE_CLASSIFIER_SYSTEM, render_move_classifier
from vocabulary import MOVES, Move

if TYPE_CHECKING:
    from inference.base import Backend

log = logging.getLogger(__name__)

# ---------------------------------------------------------------- move classification

_R = re.IGNORECASE
GREETING = re.compile(r"^\s*(hi|hello|hey|good (morning|afternoon|evening)|welcome)\b", _R)
WALKTHROUGH = re.compile(
    r"\b(walk|talk|take|guide|run|go)\s+me\s+through\b|\bexplain (your|the) (solution|answer|working|workings|method|"
    r"maths?|approach|strategy|thinking|reasoning|steps)\b|\b(tell|show) me (your|about your|how you (got|did|solved|"
    r"worked|came|arrived|approached))\b|\bhow you (got|arrived at|came to|came up with) (your|that|this|the) "
    r"(answer|solution|result)\b|\bhow (did|do) you (approach|solve)(d)? (this|the|it)\b|\bcan you explain (it|this)\b",
    _R,
)
PRAISE = re.compile(
    r"\b(well done|great( job| work)?|good( job| work)?|excellent|brilliant|perfect|spot on|fantastic|awesome|nice( "
    r"job| work)?|correct|that'?s (it|right)|you got it|you'?ve got it|exactly|amazing|super|wonderful|"
    r"there you go)\b",
    _R,
)
WELLBEING = re.compile(
    r"\b(are you ok(ay)?|how are you|does (that|this) make sense|do you understand|any questions|ready\??|"
    r"shall we (start|begin)|let'?s (start|begin)\.?$)",
    _R,
)
PROBE = re.compile(
    r"\bwhy\b|\bhow (did|do|would|could|can) you (get|know|work|find|calculate|come|arrive|figure|decide|think)|\bhow "
    r"(did|do) you\b|\bwhat (did|do) you (do|mean|think|notice|get)\b|\bexplain\b|\bjustify\b|\bare you sure\b|"
    r"\bis (that|this|it) (right|correct|true)\b|\bdoes (that|this|it) (make sense|seem|look) (right|correct|"
    r"reasonable)?|\bwhat does\b.*\bmean\b|\bwhat is an?\b \w+\?|\bcheck\b|\bwhere (did|does|do) (you|that|the)\b|"
    r"\bcan you (see|spot|find|identify) (where|what|the|your)\b|\b(mistake|error|wrong)\b.*\?|\bhave you "
    r"(thought|considered|checked|tried)\b|\bdo you (remember|think|agree|see)\b|\bwhat (calculation|operation|"
    r"information|strategy)\b|\bhow (does|would) (this|that) (affect|change)\b|\bthink (again|about)\b|\brethink\b|"
    r"\bre-?read\b|\blook (again|back|at the question)\b|\bwhere('?s| is) the\b|\bwhat if\b|\bis there\b|"
    r"\bwhat happens\b|\bwhich\b.*\?|\bshould (it|you|we)\b.*\?|\bwould (it|you|that)\b.*\?",
    _R,
)
STRONG_PROBE = re.compile(
    r"\bwhy\b|\bhow (did|do) you\b|\bare you sure\b|\bexplain\b|\bwhat does\b|\bwhat if\b|\bsuppose\b|"
    r"\bdid you (know|notice|consider|mean|forget|remember|think|check|read)\b|\b(do|can) you see\b|\bwhere (you|it) "
    r"(went|were going|goes) wrong\b|\bwhat (calculation|operation) did\b|\bwhere did\b.*\bcome from\b|"
    r"\bhow (does|can|could) [^?]*=|\b(is|are|was|were) (it|that|this|they|he|she) [^?]*\bor\b[^?]*\?|"
    r"\bequal to\b[^?]*\?|=\s*\$?\d[\d.]*\s*\?|\bline by line\b|\bwhat does (each|this|that) (line|part|step)\b",
    _R,
)
QUANTITY_Q = re.compile(
    r"\bhow (many|much|long|far|old|often)\b|\bwhat (is|was|are|were|would|will|'s)\b|\bwhat'?s\b|\bcan you "
    r"(work out|calculate|find|figure out|tell me|compute|count|add|subtract|multiply|divide)\b|\bwhat number\b|"
    r"\bhow (do|can|would) we (find|get|work out|calculate)\b|=\s*\?",
    _R,
)
FOCUS_DIRECTIVE = re.compile(
    r"\blet'?s (start|begin|look|focus|think|go back|take|try|revisit|check|work|first|break)\b|\blets\b|"
    r"\b(start|begin) (with|by)\b|\bfocus (on|first)\b|\bfirst step\b|\bstep by step\b|\bone step at a time\b|"
    r"\bnext step\b|\blook at\b|\bconsider\b|\bremember\b|\bthink about\b|\bnow\b|\bfirst\b",
    _R,
)
TELL_PHRASE = re.compile(
    r"\bthe (correct |right |final )?answer is\b|\banswer should be\b|\bshould (be|have been|get)\b|\byou (need|have) "
    r"to\b|\byou (should|must|would need to|'d need to)\b|\bwe (would|need to|have to|should|must|can|then)\b|"
    r"\bthe (total|result|sum|difference|product) (is|was|would be|should be)\b|\bit (is|was|should be|would be)\b"
    r"|\b(is|are|was|were) (not|n't) \w+|\bnot \$?\d|\binstead of\b|\byou (forgot|missed|didn'?t|don'?t need|"
    r"are (adding|subtracting|multiplying|dividing|taking|using|missing|confusing|not)|have (added|subtracted|"
    r"multiplied|divided|forgotten|made|missed|used))\b|\bthat means\b|\bso (she|he|they|it|there) (has|have|had|"
    r"is|are|was|were|will|would)\b|\bbecause\b|\bthis (is|means) (because|that)\b|\bi will explain\b|"
    r"\b(add|subtract|multiply|divide|take away|times) (it |this |that |them |the \w+ )?(by|from|to|with|and)\b",
    _R,
)
EQUATION = re.compile(r"\d[\d.,]*\s*[-+x×*/÷]\s*\$?\d[\d.,]*\s*=\s*\$?\d")
NEGATION_START = re.compile(r"^\s*(no\b|nope|not quite|incorrect|that'?s (not|incorrect|wrong)|wrong|close)", _R)
IMPERATIVE_START = re.compile(
    r"^\s*(add|subtract|multiply|divide|take|work out|calculate|find|use|put|start|forget|remember|try|do|"
    r"check|look|read|think)\b",
    _R,
)


@dataclass
class MoveScores:
    """The rule scores behind a classification; `confident` is False when the top two are close."""

    scores: dict[str, float]
    move: Move
    margin: float
    features: list[str] = field(default_factory=list)

    @property
    def confident(self) -> bool:
        return self.margin >= 1.0


def _numbers(text: str) -> list[str]:
    return NUMBER.findall(text)


def score_move(text: str) -> MoveScores:
    """Score a tutor message for each move with transparent rules (see the module docstring)."""
    t = " ".join((text or "").split())
    s = {m: 0.0 for m in MOVES}
    feats: list[str] = []

    def add(move: str, weight: float, name: str) -> None:
        s[move] += weight
        feats.append(f"{name}->{move}")

    question = "?" in t
    nums = _numbers(t)
    words = len(t.split())
    if not t:
        return MoveScores(scores=s, move="generic", margin=0.0, features=["empty"])
    if GREETING.search(t):
        add("generic", 1.5, "greeting")
    if WALKTHROUGH.search(t):
        add("generic", 2.5, "walkthrough")
    if PRAISE.search(t):
        add("generic", 1.5 if words <= 8 else 0.5, "praise")
    if WELLBEING.search(t):
        add("generic", 1.5, "wellbeing")
    if not nums and not question and words <= 6 and not TELL_PHRASE.search(t):
        add("generic", 0.75, "short_statement")
    if PROBE.search(t):
        add("probing", 2.0, "probe")
    if STRONG_PROBE.search(t):
        add("probing", 1.0, "strong_probe")
    if QUANTITY_Q.search(t) and question:
        add("focus", 1.5, "quantity_question")
    elif QUANTITY_Q.search(t):
        add("focus", 0.75, "quantity_phrase")
    elif question:
        add("focus", 0.75, "other_question")
    if FOCUS_DIRECTIVE.search(t):
        add("focus", 0.75, "directive")
    if nums and question:
        add("focus", 0.5, "numbers_in_question")
    if TELL_PHRASE.search(t):
        add("telling", 1.5, "tell_phrase")
    if EQUATION.search(t):
        add("telling", 2.0 if not question else 1.0, "equation")
    if NEGATION_START.search(t) and not question:
        add("telling", 1.0, "negation")
    if IMPERATIVE_START.search(t) and not question:
        add("telling", 0.75, "imperative")
    if not question and len(nums) >= 2:
        add("telling", 1.0, "numbers_statement")
    elif not question and nums:
        add("telling", 0.5, "number_statement")
    if not question and words >= 12:
        add("telling", 0.5, "long_statement")
    ranked = sorted(MOVES, key=lambda m: (-s[m], MOVES.index(m)))
    best = ranked[0]
    if s[best] == 0.0:
        best = "probing" if question else "generic"
    margin = s[ranked[0]] - s[ranked[1]]
    return MoveScores(scores=s, move=best, margin=margin, features=feats)


MOVE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"move": {"type": "string", "enum": list(MOVES)}},
    "required": ["move"],
    "additionalProperties": False,
}


def classify_move(text: str, backend: Backend | None = None, *, seed: int = 0) -> Move:
    """The move of a tutor message: focus, probing, telling or generic.

    Rule-based; when the rules are unsure and `backend` is an available LLM, the LLM breaks the tie between the
    top two moves (structured output). Any LLM failure keeps the rule result.
    """
    scored = score_move(text)
    if backend is None or scored.confident or not getattr(backend, "available", False):
        return scored.move
    return llm_tie_break(text, scored, backend, seed)


def llm_tie_break(text: str, scored: MoveScores, backend: Backend, seed: int) -> Move:
    top = sorted(MOVES, key=lambda m: -scored.scores[m])[:2]
    messages = [
        Message(role="system", content=MOVE_CLASSIFIER_SYSTEM),
        Message(role="user", content=render_move_classifier(text, top)),
    ]
    options = Options(temperature=0.0, max_tokens=20, seed=seed, json_schema=MOVE_SCHEMA, actor="classifier")
    try:
        move = backend.chat(messages, options).json().get("move")
    except (RecoverableError, AttributeError, ValueError) as exc:
        log.info("move tie-break failed, keeping the rule result %s: %s", scored.move, exc)
        return scored.move
    return move if move in top else scored.move
