"""Step 1 of a turn: understand the student's message.

Rules decide: numbers and expressions (tutor.numbers), code (tutor.message_code: fenced blocks or a pasted
`def`), and the intent. An LLM classifier is consulted only when the rules are ambiguous, through a JSON schema with
bounded strings; any failure keeps the deterministic result.
"""

from __future__ import annotations

import logging
import re
from typing import Literal, get_args

from pydantic import BaseModel, Field

from errors import InferenceError
from inference.base import Backend, Message, Options
from knowledge.words import STOP_WORDS, word_set
from tutor import prompts
from tutor.message_code import extract_code
from tutor.numbers import Number, extract

log = logging.getLogger(__name__)

Intent = Literal["answer", "question", "stuck", "off_topic", "extraction", "override", "greeting", "other"]
INTENTS: tuple[str, ...] = get_args(Intent)


class Understanding(BaseModel):
    text: str
    intent: Intent
    values: list[Number] = Field(default_factory=list)  # claimed values (results, standalone numbers)
    numbers: list[Number] = Field(default_factory=list)  # every number mentioned, operands included
    expressions: list[str] = Field(default_factory=list)
    code: str = ""
    ambiguous: bool = False
    source: Literal["rules", "llm"] = "rules"
    rule: str = ""  # which rule decided the intent

    def value_readings(self) -> list[float]:
        return [r for n in self.values for r in n.readings()]


_OVERRIDE = [
    r"\bignore\b.{0,40}\b(instructions?|rules?|prompt|directions?|guidelines?|previous|above)\b",
    r"\bdisregard\b.{0,40}\b(instructions?|rules?|prompt|previous|above)\b",
    r"\bforget\b.{0,30}\b(instructions?|rules?|prompt|everything)\b",
    r"\byou are now\b",
    r"\bfrom now on,? you\b",
    r"\bpretend (?:to be|you(?:'re| are))\b",
    r"\bact as\b",
    r"^\s*(?:system|assistant|developer)\s*:",
    r"<\s*/?\s*system\s*>",
    r"\bsystem prompt\b",
    r"\b(?:my|the) (?:teacher|professor|instructor|parents?|mom|dad) (?:said|says|told|allowed|lets?)\b.{0,40}"
    r"\b(?:tell|give|show|allowed|can|may)\b",
    r"\b(?:developer|admin|god|jailbreak|dan) mode\b",
    r"\bnew (?:rule|instructions?)\b",
    r"\bi(?:'m| am) (?:the|a|your) (?:teacher|developer|admin)\b",
    # claimed permissions: "you are allowed to break the rules when ...", "my tutor lets you give the answer"
    r"\b(?:you(?:'re| are)|u r|ur) (?:now |totally |fully |also )?(?:allowed|permitted|authori[sz]ed) to\b",
    r"\bbreak (?:the|your) (?:own )?rules?\b",
    r"\brules? (?:don'?t|do not|doesn'?t|does not|no longer) apply\b",
    r"\b(?:the |your )?rules? (?:have |has )?(?:changed|been (?:changed|lifted|updated))\b",
    r"\b(?:teacher|tutor|professor|instructor|school|parents?|mom|dad|boss|admin)\s+(?:lets?|allows?|permits?|"
    r"said|says|told|wants?)\s+you\b",
    r"\byou (?:must|have to|need to|are supposed to|are required to) (?:now )?(?:tell|give|reveal|show|confirm|say)\b",
    r"\b(?:override|bypass|jailbreak)\b",
]
# where a request starts: the message or a clause, or after "can you", "please", "just" ("that would give me the
# answer" is no request)
_REQUEST = r"(?:^\s*|[.!?,;:]\s*|\b(?:you|u|please|pls|plz|just|now|and|so|then|ok|okay)\s+)"
_EXTRACTION = [
    _REQUEST + r"(?:tell|give|show|send) me (?:the |your )?(?:final |right |correct |whole )?"
    r"(?:answer|solution|result|fix|fixed code|corrected code|correct code|code|working code)\b",
    r"\bwhat(?:'s| is| was)? the (?:final |right |correct |real )?(?:answer|solution|result|fix)\b",
    r"\b(?:solve|fix|do|write) (?:it|this|the (?:problem|code|function)) for me\b",
    r"\bjust (?:tell|give|say|show)\b",
    r"\bwhat should (?:the answer|i write|the code)\b",
    r"\bwhat(?:'s| is) the (?:correct|right|fixed) (?:line|code|version)\b",
    r"\banswer key\b",
    # the answer asked for in other words: "what's the number?", "tell me what it is", "answer pls"
    r"\bwhat(?:'s| is|s| was)? the (?:\w+ )?(?:answer|solution|number|result)\s*(?:\?|$|please|pls|plz)",
    _REQUEST
    + r"(?:tell|give|show|send)\s+(?:me|us)\s+(?!(?:a |an |some |another |one more |more |any |a little )?(?:hint|"
    r"clue|example|minute|moment|second|sec|chance|try|tip|break|guidance|help|advice|feedback|pointers?|idea|"
    r"direction|explanation)|how\b|why\b|if\b|whether\b|where\b)",
    r"\breveal\b",
    r"\bgive it to me\b",
    r"\bspit it out\b",
    r"\bjust the (?:number|answer|result|value)\s*(?:please|pls|plz)?\s*[.!?]*\s*$",
    r"\b(?:just |please )?say (?:what|the (?:answer|number|result))\b",
    r"\bwhat (?:do|should|shall|would) i (?:write|put|enter|type|fill in)\b",
    r"\b(?:i need|i want|gimme) (?:the|your) (?:\w+ )?(?:answer|solution|number|result)\b",
    r"^\s*(?:the )?(?:answer|solution)\s*(?:pls|please|plz|now)?\s*[?!.]*\s*$",
    r"\b(?:can|could|would|will) (?:u|you) (?:just |please )?(?:solve|do|work out|figure out|calculate|compute) "
    r"(?:it|this|that)\b",
    r"\b(?:work|figure) (?:it|this) out (?:and|then) (?:tell|give|show)\b",
]
_STUCK = [
    r"\bi(?:'m| am) stuck\b",
    r"\bstuck\b",
    r"\bi (?:do not|don'?t|dont) (?:know|understand|get it|get)\b",
    r"\bidk\b",
    r"\bno idea\b",
    r"\bno clue\b",
    r"\bnot sure\b",
    r"\bi give up\b",
    r"\bconfused\b",
    r"\bdunno\b",
    r"\bi can'?t\b",
    r"\bhelp( me)?\b",
    r"\bi(?:'m| am) lost\b",
    r"\bclueless\b",
    r"^\s*\?+\s*$",
    r"\bno\s*idea\b",
]
_GREETING = (
    r"^\s*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|yo|greetings|howdy)\b[\s!,.]*"
    r"(?:there|tutor|teacher)?[\s!.]*$"
)
_QUESTION_START = (
    r"^\s*(?:what|why|how|when|where|which|who|can|could|should|would|is|are|do|does|did|will|shall|may)\b"
)
_STOP = STOP_WORDS | word_set(
    "about don't dont get got how i'm im it's know let let's lets like maybe no ok okay out really think up very "
    "well where why yes"
)  # and the fillers of chat


# words of the subject itself: a student explaining "I added the numerators" is on topic even when the statement
# never says "numerator" (prefix match, so "numerators", "multiplied", "looping" count)
_SUBJECT = re.compile(
    r"\b(?:numerator|denominator|fraction|decimal|percent|adding|added|subtract|multipl|divid|division|quotient|"
    r"calculat|comput|equation|formula|operation|remainder|"
    r"loop|function|return|variable|index|indices|off.by.one|append|argument|parameter)",
    re.IGNORECASE,
)


def _any(patterns: list[str], text: str) -> str | None:
    for p in patterns:
        if re.search(p, text, re.IGNORECASE | re.MULTILINE):
            return p
    return None


def vocabulary(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2 and w not in _STOP}


def classify(text: str, context: str = "", domain: str = "math") -> Understanding:
    """Deterministic understanding. `context` is the problem statement and the current node's concept."""
    code = extract_code(text, loose=domain == "code")
    prose = (
        re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
        if "```" in text
        else (text.replace(code, " ") if code else text)
    )
    ex = extract(prose)
    values, numbers = ex.values, ex.numbers
    base = {"text": text, "values": values, "numbers": numbers, "expressions": ex.expressions, "code": code}
    if (rule := _any(_OVERRIDE, text)) is not None:
        return Understanding(intent="override", rule=rule, **base)
    if (rule := _any(_EXTRACTION, prose)) is not None:
        return Understanding(intent="extraction", rule=rule, **base)
    is_question = prose.strip().endswith("?") or bool(re.match(_QUESTION_START, prose, re.IGNORECASE))
    stuck = _any(_STUCK, prose)
    claimed = [v for v in values if v.kind != "computed"]
    if code or claimed:
        # "is it 15?" is an answer offered as a question; "I don't know, maybe 15" still carries an answer
        ambiguous = bool(stuck) and not code and len(claimed) == 1 and is_question
        return Understanding(intent="answer", rule="has code" if code else "has values", ambiguous=ambiguous, **base)
    if stuck is not None:
        return Understanding(intent="stuck", rule=stuck, **base)
    if values:
        # an expression left unevaluated claims no value: "4 times 7/8?" is thinking aloud, not a wrong answer
        if is_question:
            return Understanding(intent="question", rule="expression posed as a question", **base)
        return Understanding(intent="answer", rule="unevaluated expression", **base)
    if re.match(_GREETING, prose, re.IGNORECASE):
        return Understanding(intent="greeting", rule="greeting", **base)
    words = vocabulary(prose)
    overlap = words & vocabulary(context) if context else words
    if is_question:
        return Understanding(intent="question", rule="question form", ambiguous=not overlap and len(words) >= 2, **base)
    if context and not overlap and len(words) >= 2 and not _SUBJECT.search(prose):
        return Understanding(intent="off_topic", rule="no overlap with the problem", ambiguous=len(words) <= 3, **base)
    if words:
        return Understanding(intent="answer", rule="explanation in words", ambiguous=not overlap, **base)
    return Understanding(intent="other", rule="nothing recognised", ambiguous=True, **base)


INTENT_SCHEMA = {
    "type": "object",
    "properties": {
        "intent": {"type": "string", "enum": list(INTENTS)},
        "reason": {"type": "string", "maxLength": 80},
    },
    "required": ["intent", "reason"],
}


def understand(
    text: str, context: str = "", backend: Backend | None = None, *, use_llm: bool = True, domain: str = "math"
) -> Understanding:
    """Rules first; when they are ambiguous and a backend is available, ask the classifier to break the tie.
    The classifier may not turn a message into an answer/extraction/override the rules did not see: those
    intents drive security decisions and stay deterministic."""
    u = classify(text, context, domain)
    if not (u.ambiguous and use_llm and backend is not None and backend.available):
        return u
    messages = [
        Message(role="system", content=prompts.INTENT_SYSTEM),
        Message(
            role="user",
            content=prompts.INTENT_USER.format(context=context[:1500], message=text[:1500], rules_intent=u.intent),
        ),
    ]
    try:
        completion = backend.chat(
            messages, Options(temperature=0.0, max_tokens=60, json_schema=INTENT_SCHEMA, actor="classifier")
        )
        data = completion.json()
        intent = data.get("intent") if isinstance(data, dict) else None
    except InferenceError as exc:
        log.info("intent classifier failed, keeping rules (%s): %s", u.intent, exc.log_message)
        return u
    allowed = {"question", "stuck", "off_topic", "greeting", "other", u.intent}
    if intent in INTENTS and intent in allowed and intent != u.intent:
        if u.intent == "answer" and (u.values or u.code):
            return u  # evidence in the message is never discarded
        return u.model_copy(update={"intent": intent, "source": "llm", "rule": f"llm tie-break (rules: {u.intent})"})
    if intent not in INTENTS:
        log.info("intent classifier returned %r; keeping rules (%s)", intent, u.intent)
    return u
