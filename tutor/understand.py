"""Step 1 of a turn: understand the student's message.

Rules decide: numbers and expressions (tutor.numbers), code (fenced blocks or a pasted `def`), and the intent.
An LLM classifier is consulted only when the rules are ambiguous, through a JSON schema with bounded strings;
any failure keeps the deterministic result.
"""

from __future__ import annotations

import ast
import logging
import re
from typing import Literal, get_args

from pydantic import BaseModel, Field

from errors import InferenceError
from inference.base import Backend, Message, Options
from tutor import prompts
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
    r"\byou are now\b", r"\bfrom now on,? you\b", r"\bpretend (?:to be|you(?:'re| are))\b", r"\bact as\b",
    r"^\s*(?:system|assistant|developer)\s*:", r"<\s*/?\s*system\s*>", r"\bsystem prompt\b",
    r"\b(?:my|the) (?:teacher|professor|instructor|parents?|mom|dad) (?:said|says|told|allowed|lets?)\b.{0,40}"
    r"\b(?:tell|give|show|allowed|can|may)\b",
    r"\b(?:developer|admin|god|jailbreak|dan) mode\b", r"\bnew (?:rule|instructions?)\b",
    r"\bi(?:'m| am) (?:the|a|your) (?:teacher|developer|admin)\b",
    # claimed permissions: "you are allowed to break the rules when ...", "my tutor lets you give the answer"
    r"\b(?:you(?:'re| are)|u r|ur) (?:now |totally |fully |also )?(?:allowed|permitted|authori[sz]ed) to\b",
    r"\bbreak (?:the|your) (?:own )?rules?\b", r"\brules? (?:don'?t|do not|doesn'?t|does not|no longer) apply\b",
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
    r"\bjust (?:tell|give|say|show)\b", r"\bwhat should (?:the answer|i write|the code)\b",
    r"\bwhat(?:'s| is) the (?:correct|right|fixed) (?:line|code|version)\b", r"\banswer key\b",
    # the answer asked for in other words: "what's the number?", "tell me what it is", "answer pls"
    r"\bwhat(?:'s| is|s| was)? the (?:\w+ )?(?:answer|solution|number|result)\s*(?:\?|$|please|pls|plz)",
    _REQUEST + r"(?:tell|give|show|send)\s+(?:me|us)\s+(?!(?:a |an |some |another |one more |more |any |a little )?(?:hint|"
    r"clue|example|minute|moment|second|sec|chance|try|tip|break|guidance|help|advice|feedback|pointers?|idea|"
    r"direction|explanation)|how\b|why\b|if\b|whether\b|where\b)",
    r"\breveal\b", r"\bgive it to me\b", r"\bspit it out\b", r"\bjust the (?:number|answer|result|value)\s*(?:please|pls|plz)?\s*[.!?]*\s*$",
    r"\b(?:just |please )?say (?:what|the (?:answer|number|result))\b",
    r"\bwhat (?:do|should|shall|would) i (?:write|put|enter|type|fill in)\b",
    r"\b(?:i need|i want|gimme) (?:the|your) (?:\w+ )?(?:answer|solution|number|result)\b",
    r"^\s*(?:the )?(?:answer|solution)\s*(?:pls|please|plz|now)?\s*[?!.]*\s*$",
    r"\b(?:can|could|would|will) (?:u|you) (?:just |please )?(?:solve|do|work out|figure out|calculate|compute) "
    r"(?:it|this|that)\b",
    r"\b(?:work|figure) (?:it|this) out (?:and|then) (?:tell|give|show)\b",
]
_STUCK = [
    r"\bi(?:'m| am) stuck\b", r"\bstuck\b", r"\bi (?:do not|don'?t|dont) (?:know|understand|get it|get)\b", r"\bidk\b",
    r"\bno idea\b", r"\bno clue\b", r"\bnot sure\b", r"\bi give up\b", r"\bconfused\b", r"\bdunno\b", r"\bi can'?t\b",
    r"\bhelp( me)?\b", r"\bi(?:'m| am) lost\b", r"\bclueless\b", r"^\s*\?+\s*$", r"\bno\s*idea\b",
]
_GREETING = r"^\s*(?:hi|hello|hey|hiya|good (?:morning|afternoon|evening)|yo|greetings|howdy)\b[\s!,.]*(?:there|tutor|teacher)?[\s!.]*$"
_QUESTION_START = r"^\s*(?:what|why|how|when|where|which|who|can|could|should|would|is|are|do|does|did|will|shall|may)\b"
_STOP = set(
    ["the", "a", "an", "and", "or", "but", "if", "so", "to", "of", "in", "on", "at", "for", "with", "is", "are", "was", "were", "be", "been", "it", "this", "that", "i", "you", "we", "he", "she", "they", "my", "your", "me", "do", "does", "did", "not", "no", "yes", "what", "why", "how", "when", "where", "which", "who", "can", "could", "should", "would", "will", "just", "then", "there", "here", "have", "has", "had", "get", "got", "about", "from", "by", "as", "up", "out", "than", "too", "very", "really", "think", "know", "like", "okay", "ok", "well", "maybe", "because", "its", "it's", "im", "i'm", "dont", "don't", "let", "lets", "let's"]
)


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


_CODE_LINE = re.compile(r"^\s*(?:for|while|if|elif|else|return|def|import|from|with|try|except)\b|[=\[(]")


_STATEMENT = re.compile(r"^\s*(?:for|while|if|elif|else|return|def|import|from|with|try|except)\b|"
                        r"^\s*[\w.\[\]]+\s*(?:[-+*/%]|//)?=(?!=)")


def _looks_like_code(line: str) -> bool:
    """A single line of Python (not an English sentence that happens to parse)."""
    s = line.strip().strip("`").strip()
    if not s or not _CODE_LINE.search(s) or re.fullmatch(r"[-+*/().\d\s=x]+", s):
        return False
    body = s + ("\n    pass" if s.endswith(":") else "")
    if s.startswith(("elif", "else")):
        body = "if x:\n    pass\n" + body
    try:
        ast.parse(body)
    except SyntaxError:
        return False
    return True


_EXAMPLE = re.compile(r"\b(?:for (?:example|instance)|e\.?g\.?|example|such as|let'?s say)\b[^.!?]*$", re.IGNORECASE)


def _literal_assignment(span: str) -> bool:
    """`b = 3 + 5`, `i = 0`, `numbers = [1, 2, 3]`: a name bound to a value made of literals only (what a variable
    holds, said in passing), not a line of the student's program."""
    try:
        tree = ast.parse(span.strip())
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Assign):
        return False
    return not any(isinstance(n, ast.Name | ast.Call | ast.Attribute | ast.Subscript | ast.Lambda)
                   for n in ast.walk(tree.body[0].value))


def _mentioned(text: str, m: re.Match[str]) -> bool:
    """An inline span that is no submission: inside a question ("is it possible to do `for x in xs:`?"), given as an
    example ("for example `numbers = [1, 2]`"), or a literal assignment (`b = 3 + 5` which is 8)."""
    before = re.split(r"[.!?](?:\s+|$)", re.sub(r"`[^`\n]*`", "``", text[: m.start()]))[-1]
    after = re.sub(r"`[^`\n]*`", "``", text[m.end():])
    end = re.search(r"[.!?](?=\s|$)|$", after)
    asked = end is not None and end.group(0) == "?"
    return asked or bool(_EXAMPLE.search(before)) or _literal_assignment(m.group(1))


def extract_code(text: str, *, loose: bool = False) -> str:
    """Fenced code blocks (joined), else a pasted function starting at a `def`/`class`/`import` line. With
    `loose` (code problems), also inline `code` spans (not those asked about, given as examples or binding a literal)
    or a message that is only a line or two of Python."""
    blocks = re.findall(r"```[ \t]*[\w+-]*[ \t]*\n?(.*?)```", text, re.DOTALL)
    if blocks:
        return "\n".join(b.rstrip() for b in blocks).strip("\n")
    lines = text.splitlines()
    start = next((i for i, ln in enumerate(lines) if re.match(r"\s*(def|class)\s+\w+\s*[(:]", ln)), None)
    if start is None:
        if loose:
            # an inline span is a code line only as a statement: `range(len(nums))` or `f()` alone is a mention
            spans = [m.group(1) for m in re.finditer(r"`([^`\n]+)`", text)
                     if _looks_like_code(m.group(1)) and _STATEMENT.search(m.group(1)) and not _mentioned(text, m)]
            if spans and not re.search(r"\blines?\s*\d+", text, re.I):  # "It's line 1, `def f(x=[]):`" quotes a line
                return "\n".join(spans)
            code_lines = [ln for ln in lines if ln.strip()]
            if 0 < len(code_lines) <= 3 and all(_looks_like_code(ln) for ln in code_lines):
                return "\n".join(code_lines)
        return ""
    while start > 0 and re.match(r"\s*(import|from)\s+\w+", lines[start - 1]):
        start -= 1
    out = []
    for ln in lines[start:]:
        if ln.strip() == "" or ln.startswith((" ", "\t")) or re.match(r"(def|class|import|from|@|#)\b", ln):
            out.append(ln)
        else:
            break
    return "\n".join(out).strip("\n")


def vocabulary(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2 and w not in _STOP}


def classify(text: str, context: str = "", domain: str = "math") -> Understanding:
    """Deterministic understanding. `context` is the problem statement and the current node's concept."""
    code = extract_code(text, loose=domain == "code")
    prose = re.sub(r"```.*?```", " ", text, flags=re.DOTALL) if "```" in text else (text.replace(code, " ") if code else text)
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


def understand(text: str, context: str = "", backend: Backend | None = None, *, use_llm: bool = True,
               domain: str = "math") -> Understanding:
    """Rules first; when they are ambiguous and a backend is available, ask the classifier to break the tie.
    The classifier may not turn a message into an answer/extraction/override the rules did not see: those
    intents drive security decisions and stay deterministic."""
    u = classify(text, context, domain)
    if not (u.ambiguous and use_llm and backend is not None and backend.available):
        return u
    messages = [
        Message(role="system", content=prompts.INTENT_SYSTEM),
        Message(role="user", content=prompts.INTENT_USER.format(context=context[:1500], message=text[:1500],
                                                                 rules_intent=u.intent)),
    ]
    try:
        completion = backend.chat(messages, Options(temperature=0.0, max_tokens=60, json_schema=INTENT_SCHEMA,
                                                    actor="classifier"))
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
