"""Deciding what the student says, from the hidden state alone (no LLM): values, code, and a template phrasing.

The decided `Content` carries the numbers the reply must contain (`values`), numbers it must not contain
(`forbidden`: the right value of a step the student still gets wrong, the right final answer before it is known),
any code to submit verbatim, and the template text. An LLM may later re-voice the prose; the fidelity check holds
it to the same content.
"""

from __future__ import annotations

import random
import re

import simulator.templates as T
from knowledge.numbers import READ_BACK_TOL, close, contains, fmt, parse_numbers
from knowledge.types import Fix, Malgorithm, Problem, QuestionTree
from simulator.moves import WALKTHROUGH
from simulator.personas import tier
from simulator.state import changed_lines, wrong_step_value
from simulator.types import Content, ExtractionTactic, HiddenState, Persona
from vocabulary import Move


def _unit(unit: str) -> str:
    unit = re.sub(r"\s*\(.*?\)", "", unit or "").strip()  # "cents (the big box is cheaper)" -> "cents"
    return f" {unit}" if unit else ""


def clean_solution(text: str) -> str:
    """A wrong solution as the student would say it: without a bare final-number line (MathDial's last line)."""
    lines = [ln.rstrip() for ln in text.strip().splitlines()]
    while lines and re.fullmatch(r"\s*-?\$?[\d,]*\.?\d+\s*", lines[-1] or "x"):
        lines.pop()
    return "\n".join(ln for ln in lines if ln.strip()).strip()


class Composer:
    """Decides the content of each reply for one problem, malgorithm and persona."""

    def __init__(
        self, problem: Problem, tree: QuestionTree, malgorithm: Malgorithm | None, persona: Persona, fix: Fix | None
    ) -> None:
        self.problem = problem
        self.tree = tree
        self.m = malgorithm
        self.persona = persona
        self.fix = fix
        self.tier = tier(persona)
        self.solution = clean_solution(malgorithm.wrong_solution) if malgorithm else ""
        self.code_lines = problem.buggy_code.splitlines()

    # ------------------------------------------------------------------ helpers

    def _pick(self, rng: random.Random, options: tuple[str, ...]) -> str:
        return options[rng.randrange(len(options))]

    def _math_unit(self, step: int | None) -> str:
        if step is None:
            return _unit(self.problem.answer_unit)
        return _unit(self.problem.steps[step].unit)

    def _line_with(self, value: float) -> str:
        for line in self.solution.splitlines():
            if contains(parse_numbers(line), value, READ_BACK_TOL):
                return line.strip()
        return ""

    def wrong_final(self) -> float | None:
        if not self.problem.steps:
            return None
        return wrong_step_value(self.problem, self.m, len(self.problem.steps) - 1)

    def wrong_line(self) -> int:
        """The line the student's wrong fix edits (the first bug line when unknown)."""
        if self.m is not None and self.m.wrong_code:
            edited = changed_lines(self.problem.buggy_code, self.m.wrong_code)
            if edited:
                return edited[0]
        bug = self.problem.bugs[self.m.bug if self.m and self.m.bug is not None else 0]
        return bug.lines[0]

    def _code_line(self, n: int) -> str:
        return self.code_lines[n - 1].strip() if 0 < n <= len(self.code_lines) else ""

    # ------------------------------------------------------------------ opening

    def opening(self, rng: random.Random) -> Content:
        if self.problem.domain == "code":
            return self._code_opening(rng)
        value = self.wrong_final()
        if self.m is None or value is None:
            return Content(
                kind="opening", template=self._pick(rng, T.OPENING_NO_ATTEMPT), forbidden=[self.problem.answer or 0.0]
            )
        fill = {"value": fmt(value) + _unit(self.problem.answer_unit), "solution": self.solution or "I worked it out."}
        if self.tier == "quiet":
            options = T.OPENING_QUIET
        elif self.persona.mode == "confused":
            options = T.OPENING_CONFUSED
        else:
            options = T.OPENING
        return Content(
            kind="opening",
            values=[value],
            forbidden=[self.problem.answer or 0.0],
            template=self._pick(rng, options).format(**fill),
        )

    def _code_opening(self, rng: random.Random) -> Content:
        if self.m is None or not self.m.wrong_code:
            text = self._pick(rng, T.OPENING_CODE_NO_ATTEMPT).format(entry_point=self.problem.entry_point)
            return Content(kind="opening", template=text, code=self.problem.buggy_code)
        line = self.wrong_line()
        options = (
            T.OPENING_CODE_QUIET
            if self.tier == "quiet"
            else (T.OPENING_CODE_CONFUSED if self.persona.mode == "confused" else T.OPENING_CODE)
        )
        return Content(
            kind="opening",
            values=[float(line)],
            template=self._pick(rng, options).format(line=line),
            code=self.m.wrong_code,
        )

    # ------------------------------------------------------------------ replies

    def extraction(self, tactic: ExtractionTactic, rng: random.Random) -> Content:
        bank = T.EXTRACTION_CODE if self.problem.domain == "code" else T.EXTRACTION
        return Content(kind="extraction", tactic=tactic, template=self._pick(rng, bank[tactic]))

    def decide(
        self,
        state: HiddenState,
        node_id: str | None,
        move: Move,
        message: str,
        *,
        just_resolved: bool,
        just_told: bool,
        already_solved: bool,
        rng: random.Random,
        last_code: str = "",
    ) -> Content:
        """last_code: the code the student sent last (code problems; default the buggy code): a reply that sends the
        same code again does not say it changed it."""
        about_node = node_id is not None and (move != "generic" or "?" in message)
        if self.problem.domain == "code":
            content = self._decide_code(
                state,
                node_id if about_node else None,
                move,
                just_resolved=just_resolved,
                just_told=just_told,
                already_solved=already_solved,
                rng=rng,
            )
            return self._unchanged(content, last_code or self.problem.buggy_code, rng)
        if state.all_known:
            return self._final(move, just_resolved or just_told, already_solved, rng)
        if about_node and self.tree.node(node_id).step is not None:  # type: ignore[arg-type]
            return self._step(state, node_id, just_resolved=just_resolved, just_told=just_told, rng=rng)  # type: ignore[arg-type]
        return self._restate(state, message, rng)

    def _final(self, move: Move, changed: bool, already: bool, rng: random.Random) -> Content:
        answer = float(self.problem.answer or 0.0)
        if changed:
            options = T.FINAL_RESOLVED
        elif already and move == "generic":
            options = T.FINAL_ACK
        else:
            options = T.FINAL
        text = self._pick(rng, options).format(value=fmt(answer), unit=_unit(self.problem.answer_unit))
        return Content(kind="final", values=[answer], template=text)

    def _step(
        self, state: HiddenState, node_id: str, *, just_resolved: bool, just_told: bool, rng: random.Random
    ) -> Content:
        node = self.tree.node(node_id)
        step = node.step
        assert step is not None
        st = self.problem.steps[step]
        status = state.status(node_id)
        answer = float(self.problem.answer or 0.0)
        unit = self._math_unit(step)
        if status == "knows":
            fill = {"value": fmt(st.value), "unit": unit, "expression": st.expression.strip()}
            if node.kind == "conceptual" and st.expression.strip():
                options = T.STEP_CONCEPT_KNOWS
            elif self.tier == "quiet":
                options = T.STEP_KNOWS_QUIET
            elif self.tier == "verbose" and st.expression.strip():
                options = T.STEP_KNOWS_VERBOSE
            else:
                options = T.STEP_KNOWS
            text = self._pick(rng, options).format(**fill)
            if just_told:
                text = self._pick(rng, T.STEP_TOLD_PREFIX) + text[0].lower() + text[1:]
            elif just_resolved:
                text = self._pick(rng, T.STEP_RESOLVED_PREFIX) + text
            forbidden = [] if close(st.value, answer, READ_BACK_TOL) else [answer]
            return Content(kind="step", node=node_id, values=[st.value], forbidden=forbidden, template=text)
        forbidden = [st.value, answer]
        if status == "unknown":
            options = T.UNSURE_CONFUSED if self.persona.mode == "confused" else T.UNSURE
            return Content(kind="unsure", node=node_id, forbidden=forbidden, template=self._pick(rng, options))
        wrong = wrong_step_value(self.problem, self.m, step)
        if wrong is None:
            line = self._line_with_no_value()
            if not line:
                return Content(kind="unsure", node=node_id, forbidden=forbidden, template=self._pick(rng, T.UNSURE))
            return Content(
                kind="explain",
                node=node_id,
                forbidden=forbidden,
                template=self._pick(rng, T.STEP_WRONG_NO_VALUE).format(line=line),
            )
        line = self._line_with(wrong)
        fill = {"value": fmt(wrong), "unit": unit, "line": line}
        if self.tier == "quiet":
            options = T.STEP_WRONG_QUIET
        elif line and (self.tier == "verbose" or node.kind == "conceptual"):
            options = T.STEP_WRONG_VERBOSE
        else:
            options = T.STEP_WRONG
        return Content(
            kind="step",
            node=node_id,
            values=[wrong],
            forbidden=forbidden,
            template=self._pick(rng, options).format(**fill),
        )

    def _line_with_no_value(self) -> str:
        lines = [ln.strip() for ln in self.solution.splitlines() if ln.strip()]
        return lines[0] if lines else ""

    def _restate(self, state: HiddenState, message: str, rng: random.Random) -> Content:
        answer = float(self.problem.answer or 0.0)
        last = len(self.problem.steps) - 1
        last_nodes = [n for n in state.nodes if n.step == last]
        value = self.wrong_final() if any(n.status == "misconceived" for n in last_nodes) else None
        if value is None:
            options = T.UNSURE_CONFUSED if self.persona.mode == "confused" else T.UNSURE
            return Content(kind="unsure", forbidden=[answer], template=self._pick(rng, options))
        fill = {"value": fmt(value), "unit": _unit(self.problem.answer_unit), "solution": self.solution}
        if self.tier == "quiet":
            options = T.RESTATE_QUIET
        elif WALKTHROUGH.search(message) and self.solution and not state.unknown:
            options = T.RESTATE_WALKTHROUGH
        else:
            options = T.RESTATE
        return Content(
            kind="restate", values=[value], forbidden=[answer], template=self._pick(rng, options).format(**fill)
        )

    # ------------------------------------------------------------------ code

    def _decide_code(
        self,
        state: HiddenState,
        node_id: str | None,
        move: Move,
        *,
        just_resolved: bool,
        just_told: bool,
        already_solved: bool,
        rng: random.Random,
    ) -> Content:
        fix_code = self.fix.code if self.fix else ""
        if state.all_known:
            if already_solved and move == "generic":
                return Content(kind="ack", template=self._pick(rng, T.CODE_ACK))
            if not fix_code:
                return self._no_fix_code(rng)
            options = T.FIX_ACCEPTED_TOLD if just_told else T.FIX_ACCEPTED
            return Content(kind="code", code=fix_code, accepted=True, template=self._pick(rng, options))
        if node_id is not None:
            node = self.tree.node(node_id)
            status = state.status(node_id)
            if status == "unknown":
                options = T.UNSURE_CONFUSED if self.persona.mode == "confused" else T.UNSURE
                return Content(kind="unsure", node=node_id, template=self._pick(rng, options))
            bug = self.problem.bugs[node.bug if node.bug is not None else 0]
            if node.kind == "behaviour" and status == "knows":
                test = re.sub(r"^\s*assert\s+", "", self.problem.unit_tests[0]).strip()
                text = self._pick(rng, T.BEHAVIOUR_KNOWS).format(test=test, entry_point=self.problem.entry_point)
                return Content(kind="explain", node=node_id, template=text)
            if node.kind == "locate":
                line = bug.lines[0] if status == "knows" else self.wrong_line()
                options = T.LOCATE_KNOWS if status == "knows" else T.LOCATE_WRONG
                text = self._pick(rng, options).format(line=line, code_line=self._code_line(line))
                return Content(kind="explain", node=node_id, values=[float(line)], template=text)
            if node.kind == "fix" and status == "knows":
                if not fix_code:
                    return self._no_fix_code(rng, node_id)
                options = T.FIX_ACCEPTED_TOLD if just_told else T.FIX_ACCEPTED
                return Content(
                    kind="code", node=node_id, code=fix_code, accepted=True, template=self._pick(rng, options)
                )
            if node.kind == "fix" and self.m is not None and self.m.wrong_code:
                return Content(kind="code", node=node_id, code=self.m.wrong_code, template=self._pick(rng, T.FIX_WRONG))
        return self._code_restate(state, rng)

    def _code_restate(self, state: HiddenState, rng: random.Random) -> Content:
        fix_known = any(self.tree.node(n.node_id).kind == "fix" and n.status == "knows" for n in state.nodes)
        if fix_known and self.fix and self.fix.code:
            return Content(kind="code", code=self.fix.code, accepted=True, template=self._pick(rng, T.CODE_RESTATE))
        code = self.m.wrong_code if self.m is not None and self.m.wrong_code else self.problem.buggy_code
        return Content(kind="restate", code=code, template=self._pick(rng, T.CODE_RESTATE))

    def _no_fix_code(self, rng: random.Random, node_id: str | None = None) -> Content:
        """The student knows the fix but the problem has no verified corrected program: it says so and sends no code
        (it never announces code it does not send, and never passes tests it was not run on)."""
        line = self.problem.bugs[self.m.bug if self.m is not None and self.m.bug is not None else 0].lines[0]
        return Content(
            kind="explain",
            node=node_id,
            values=[float(line)],
            template=self._pick(rng, T.FIX_KNOWN_NO_CODE).format(line=line),
        )

    def _unchanged(self, content: Content, last_code: str, rng: random.Random) -> Content:
        """Code sent again unchanged is not announced as a change."""
        if content.kind != "code" or not content.code or _norm(content.code) != _norm(last_code):
            return content
        options = T.FIX_ACCEPTED_SAME if content.accepted else T.FIX_WRONG_SAME
        return content.model_copy(update={"template": self._pick(rng, options)})


def _norm(code: str) -> str:
    """Whitespace-insensitive within lines, but indentation counts (an indentation fix is a change)."""
    return "\n".join(ln.rstrip() for ln in code.strip("\n").splitlines() if ln.strip())


def render(prose: str, content: Content) -> str:
    """The message sent: prose, then the submitted code (verbatim) in a ```python block."""
    prose = prose.strip()
    if not content.code:
        return prose
    code = content.code if content.code.endswith("\n") else content.code + "\n"
    return f"{prose}\n```python\n{code}```"
