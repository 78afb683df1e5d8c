"""Deterministic question trees (TreeInstruct-style) derived from a problem's steps or bugs.

Math: per step a conceptual node ("what do we need to find, which operation") before a computational node ("what
is the value"). Code: per bug, understanding the failing behaviour -> locating the bug -> the concept behind the fix.
Questions come from the named templates in `knowledge.prompts`; an LLM may re-phrase them offline (`rephrase_tree`),
never required.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence

import knowledge.prompts as prompts
from knowledge.concepts import concept_phrase
from knowledge.numbers import fmt
from knowledge.types import DEPTHS, Bug, Check, Malgorithm, Node, Problem, Questions, QuestionTree, Step

_NUM = r"\$?\d[\d,]*(?:\.\d+)?%?|\$?\.\d+%?"
_OPS = {"+": "add", "-": "subtract", "*": "multiply", "/": "divide"}
_GERUND = {"+": "adding", "-": "subtracting", "*": "multiplying", "/": "dividing"}
_NOUN = {"+": "addition", "-": "subtraction", "*": "multiplication", "/": "division"}
_OP_RE = {"+": r"\+", "-": r"[-\u2212\u2013]", "*": r"[*x\u00d7\u00b7]", "/": r"[/\u00f7]"}


def _number_re(text: str) -> str:
    """A regex for one number as written, tolerant of $, commas and a trailing .0."""
    core = text.replace("$", "").replace(",", "").rstrip("%")
    try:
        value = float(core)
    except ValueError:
        return re.escape(text)
    return value_pattern(value)


def value_pattern(value: float) -> str:
    """A regex matching `value` as a standalone number (12, 12.0, 12.00, $12, 1,200)."""
    text = fmt(value)
    if "." in text:
        whole, frac = text.split(".")
        body = (re.escape(whole) if whole != "0" else "0?") + r"\." + re.escape(frac) + "0*"
    else:
        grouped = f"{int(text):,}" if text.lstrip("-").isdigit() else text
        alts = {re.escape(text), re.escape(grouped)}
        body = "(?:" + "|".join(sorted(alts)) + r")(?:\.0+)?"
    return rf"(?<![\d.]){body}(?![\d]|\.\d)"


def topic_of(step: Step, index: int, statement: str | None = None) -> str:
    """A phrase naming what a step finds: no equation, no blank, no result (knowledge.concepts)."""
    return concept_phrase(step.description, step.value, index, statement=statement)


def _operands(expression: str) -> tuple[list[str], list[str]]:
    tokens = re.findall(rf"{_NUM}|[-+*/x\u00d7\u00f7()]", expression)
    numbers = [t for t in tokens if re.match(r"[$\d.]", t)]
    ops = [{"x": "*", "\u00d7": "*", "\u00f7": "/"}.get(t, t) for t in tokens if t in "+-*/x\u00d7\u00f7"]
    return numbers, ops


def _expression_pattern(expression: str) -> str:
    numbers, ops = _operands(expression)
    if len(numbers) != 2 or len(ops) != 1:
        return ""
    a, b = (_number_re(n) for n in numbers)
    op = _OP_RE[ops[0]]
    forward = rf"{a}\s*{op}\s*{b}"
    if ops[0] in "+*":
        return rf"(?:{forward}|{b}\s*{op}\s*{a})"
    return forward


def _label_lower(label: str) -> str:
    label = label.strip().rstrip(".")
    if len(label) > 1 and label[0].isupper() and not label[1].isupper():
        label = label[0].lower() + label[1:]
    return label


def _math_probes(problem: Problem, index: int, topic: str) -> dict[str, str]:
    probes: dict[str, str] = {}
    for m in problem.malgorithms:
        target = m.step if m.step is not None else 0
        if target != index:
            continue
        wrong = m.step_values.get(index)
        if wrong is None and m.wrong_answer is not None and index == len(problem.steps) - 1:
            wrong = m.wrong_answer
        if wrong is not None:
            text = prompts.MATH_PROBE.format(wrong_value=fmt(wrong), topic=topic, label_lower=_label_lower(m.label))
        else:
            text = prompts.MATH_PROBE_NO_VALUE.format(topic=topic, label_lower=_label_lower(m.label))
        probes[m.id] = text
    return probes


def _math_nodes(problem: Problem) -> list[Node]:
    nodes: list[Node] = []
    for i, step in enumerate(problem.steps):
        topic = topic_of(step, i, problem.statement)
        numbers, ops = _operands(step.expression)
        simple = len(numbers) == 2 and len(ops) == 1
        verb = _OPS[ops[0]] if simple else "combine"
        operands = " and ".join(numbers) if simple else "the numbers"
        expression = step.expression.strip() or "the calculation"
        unit = f" {step.unit}" if step.unit else ""
        kinds = list(dict.fromkeys(_NOUN[o] for o in ops)) or ["the operations of the story"]
        fill = {
            "topic": topic,
            "operands": operands,
            "op_verb": verb,
            "op_gerund": _GERUND[ops[0]] if simple else "combining the numbers",
            "op_noun": _NOUN[ops[0]] if simple else "more than one operation",
            "op_nouns": " and ".join(kinds),
            "expression": expression,
            "value": fmt(step.value),
            "unit": unit,
        }
        # the step of the final answer: its hint and bottom-out never name the operands (that would be the answer's
        # expression); the value node's bottom-out is withheld by the planner
        final = problem.answer is not None and abs(step.value - problem.answer) <= 1e-9 * max(1.0, abs(step.value))
        if final:
            hints = prompts.MATH_CONCEPT_HINT_FINAL if simple else prompts.MATH_CONCEPT_HINT_FINAL_MULTI
            bottoms = prompts.MATH_CONCEPT_BOTTOM_OUT_FINAL if simple else prompts.MATH_CONCEPT_BOTTOM_OUT_FINAL_MULTI
        else:
            hints = prompts.MATH_CONCEPT_HINT if simple else prompts.MATH_CONCEPT_HINT_MULTI
            bottoms = prompts.MATH_CONCEPT_BOTTOM_OUT if simple else prompts.MATH_CONCEPT_BOTTOM_OUT_MULTI
        probes = _math_probes(problem, i, topic)
        expr_re = _expression_pattern(step.expression)
        concept_pattern = f"{expr_re}|{value_pattern(step.value)}" if expr_re else value_pattern(step.value)
        concept_questions = _questions(
            fill,
            prompts.MATH_CONCEPT_FOCUS,
            prompts.MATH_CONCEPT_PROBING,
            hints,
            bottoms if step.expression.strip() else (),
        )
        value_questions = _questions(
            fill,
            prompts.MATH_VALUE_FOCUS,
            prompts.MATH_VALUE_PROBING,
            prompts.MATH_VALUE_HINT,
            prompts.MATH_VALUE_BOTTOM_OUT,
        )
        nodes += [
            Node(
                id=f"s{i}-concept",
                concept=f"what to find and which operation: {topic}",
                kind="conceptual",
                step=i,
                check=Check(kind="pattern", pattern=concept_pattern, value=step.value),
                questions=concept_questions,
                probes=probes,
                skills=list(problem.skills),
            ),
            Node(
                id=f"s{i}-value",
                concept=f"the value of {topic}",
                kind="computational",
                step=i,
                check=Check(kind="value", value=step.value, tolerance=1e-4),
                questions=value_questions,
                probes=dict(probes),
                skills=list(problem.skills),
            ),
        ]
    return nodes


_FIX_SNIPPET = re.compile(r"`([^`]+)`")


def _first_sentence(text: str) -> str:
    text = re.sub(r"^\s*On lines? [\d, and]+,?\s*", "", text.strip())
    sentence = re.split(r"(?<=[.!?])\s+", text)[0].strip()
    return sentence[:1].upper() + sentence[1:] if sentence else text


def _locate_pattern(problem: Problem, bug: Bug) -> str:
    lines = problem.buggy_code.splitlines()
    alts = [r"\bline\s*(?:#|no\.?|number)?\s*(?:" + "|".join(str(n) for n in bug.lines) + r")\b"]
    for n in bug.lines:
        if 0 < n <= len(lines) and lines[n - 1].strip():
            alts.append(r"\s*".join(re.escape(tok) for tok in lines[n - 1].split()))
    for fix in bug.fixes[:1]:
        snippet = _FIX_SNIPPET.search(fix.description)
        # a lone keyword (`and`, `for`) is an English word too: "the first test and the second" names no place
        if snippet and len(snippet.group(1).strip()) >= 3 and not keyword.iskeyword(snippet.group(1).strip()):
            alts.append(r"\s*".join(re.escape(tok) for tok in snippet.group(1).split()))
    return "|".join(f"(?:{a})" for a in alts)


def _code_nodes(problem: Problem, failing_tests: Sequence[str] | None) -> list[Node]:
    nodes: list[Node] = []
    lines = problem.buggy_code.splitlines()
    test = (list(failing_tests) or problem.unit_tests)[0] if failing_tests else problem.unit_tests[0]
    test = re.sub(r"^\s*assert\s+", "", test).strip()

    for j, bug in enumerate(problem.bugs):
        line_no = bug.lines[0]
        line = lines[line_no - 1].strip() if 0 < line_no <= len(lines) else ""
        concept = _first_sentence(bug.description)
        fill = {
            "entry_point": problem.entry_point,
            "test": f"`{test}`" if len(test) <= 60 else "the failing test",
            "line_no": " and ".join(", ".join(str(n) for n in bug.lines).rsplit(", ", 1)),
            "line": line,
            "bug_description": bug.description.strip(),
            "concept": concept.rstrip(".").lower() if concept else "what the line should compute",
            "fix": bug.fixes[0].description.strip(),
        }
        probes = {
            m.id: _plural_lines(prompts.CODE_PROBE.format(line_no=fill["line_no"], label_lower=_label_lower(m.label)))
            for m in problem.malgorithms
            if (m.bug if m.bug is not None else 0) == j
        }
        skills = list(problem.skills)
        behaviour_pattern = (
            r"\b(?:instead|expected|expects?|should|returns?|returned|outputs?|prints?|gives?|gave|"
            r"got|error|exception|fail\w*|wrong|incorrect)\b"
        )
        nodes += [
            Node(
                id=f"b{j}-behaviour",
                concept=f"the failing behaviour of {problem.entry_point}",
                kind="behaviour",
                bug=j,
                check=Check(kind="pattern", pattern=behaviour_pattern),
                questions=_code_questions("BEHAVIOUR", fill),
                skills=skills,
            ),
            Node(
                id=f"b{j}-locate",
                concept=_plural_lines(f"where the bug is: line {fill['line_no']}"),
                kind="locate",
                bug=j,
                check=Check(kind="pattern", pattern=_locate_pattern(problem, bug)),
                questions=_code_questions("LOCATE", fill),
                probes=probes,
                skills=skills,
            ),
            Node(
                id=f"b{j}-fix",
                concept=concept or "the concept behind the fix",
                kind="fix",
                bug=j,
                check=Check(kind="tests"),
                questions=_code_questions("FIX", fill),
                probes=dict(probes),
                skills=skills,
            ),
        ]
    return nodes


def _questions(fill: dict[str, str], *templates: Sequence[str]) -> Questions:
    """A node's questions: the templates of each depth (focus, probing, hint, bottom-out), filled in."""
    filled = [[q.format(**fill) for q in depth] for depth in templates]
    return Questions(**dict(zip(DEPTHS, filled, strict=True)))


def _code_questions(part: str, fill: dict[str, str]) -> Questions:
    """The questions of a code node from the templates `CODE_<part>_<DEPTH>` of `knowledge.prompts`."""
    questions = _questions(fill, *(getattr(prompts, f"CODE_{part}_{depth.upper()}") for depth in DEPTHS))
    return Questions(**{depth: [_plural_lines(q) for q in questions.at(depth)] for depth in DEPTHS})


def _plural_lines(text: str) -> str:
    """The templates say "line {line_no}": "line 2 and 4" reads "lines 2 and 4"."""
    return re.sub(r"\b([Ll])ine (\d+(?:, \d+)* and \d+)\b", r"\1ines \2", text)


def derive_tree(problem: Problem, *, failing_tests: Sequence[str] | None = None) -> QuestionTree:
    """The deterministic tree: same problem in, same tree out. `failing_tests` picks the test named in questions."""
    nodes = _math_nodes(problem) if problem.domain == "math" else _code_nodes(problem, failing_tests)
    return QuestionTree(problem_id=problem.id, nodes=nodes, source="derived")


def tree_for(problem: Problem) -> QuestionTree:
    """The problem's own (teacher-edited or imported) tree, else a derived one."""
    return problem.tree if problem.tree is not None else derive_tree(problem)


def with_tree(problem: Problem) -> Problem:
    """A copy of the problem with its tree attached (derived when missing)."""
    return problem if problem.tree is not None else problem.model_copy(update={"tree": derive_tree(problem)})


def probe_for(node: Node, malgorithm: Malgorithm | str) -> str | None:
    key = malgorithm if isinstance(malgorithm, str) else malgorithm.id
    return node.probes.get(key)
