"""A tutoring session: one problem, one student, turn by turn.

    session = TutorSession.start(problem, TutorSettings(), backend)
    print(session.opening)
    for delta in session.reply("I got 12"): print(delta, end="")
    session.last  # TurnTrace

Streaming (tutor.stream): steps 1-3 and the template run inside `reply()`. When the model has a job this turn
(measured acceptance for the move kind, model not busy), its text is generated token by token on a worker thread;
each sentence is held back until it ends, checked (quality rules and the leak guard on the cumulative text) and
only then yielded; the first failing sentence stops generation and the template's words follow. Nothing unguarded
ever reaches the student. The trace is recorded when the reply is complete (before the caller's last update).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator

from errors import InferenceError, InputError
from inference.base import Backend
from inference.common import ModelBusy
from knowledge.types import Diagnosis, Problem, QuestionTree
from tutor import codecheck, codewords, phrase, voice
from tutor.guard import Verdict, reveals
from tutor.judging import update_math
from tutor.planner import Evidence, Plan, PlanContext, get_policy
from tutor.sandbox import TestRun
from tutor.state import (
    AttemptWrong,
    BottomOut,
    KnowledgeState,
    NodeResolved,
    QuestionAsked,
    Solved,
    Stuck,
    ValuesProduced,
)
from tutor.stream import PendingTurn as _Turn
from tutor.stream import stream_reply
from tutor.types import TurnTrace, TutorSettings
from tutor.understand import Understanding, understand
from tutor.verify import MathCheck, ValueMatch, check_code, check_math, diagnose_code, node_value

log = logging.getLogger(__name__)


def tree_of(problem: Problem) -> QuestionTree:
    from knowledge.trees import tree_for

    return tree_for(problem)


class TutorSession:
    def __init__(self, problem: Problem, settings: TutorSettings, backend: Backend | None, embedder: object = None):
        self.problem = problem
        self.settings = settings
        self.backend = backend
        self.embedder = embedder
        self.tree = tree_of(problem)
        self.policy = get_policy(settings.policy)
        self.state = KnowledgeState.for_tree(self.tree, list(problem.skills), settings.bkt)
        self.trace: list[TurnTrace] = []
        self.history: list[tuple[str, str]] = []
        self.done = False
        self._open: Iterator[str] | None = None  # a streamed reply not yet finished
        # turn -> the sandbox run recorded for it: a session rebuilt from the store replays these, never re-runs code
        self.recorded_runs: dict[int, TestRun] = {}
        first = self.tree.nodes[0]
        intro = f'Hi! Let\'s work on "{problem.title}" together.'
        self.opening = f"{intro} {phrase.question(first, 'focus', self.state)}"
        if reveals(self.opening, problem, self.state).leaks:
            self.opening = f"{intro} {phrase.GENERIC}"
        self.state.append(QuestionAsked(turn=0, node_id=first.id, depth="focus", move="focus"))
        self.history.append(("tutor", self.opening))

    @classmethod
    def start(cls, problem: Problem, settings: TutorSettings | None = None, backend: Backend | None = None, *,
              embedder: object = None) -> TutorSession:
        return cls(problem, settings or TutorSettings(), backend, embedder)

    # --- public views --------------------------------------------------------------------------------------
    @property
    def last(self) -> TurnTrace | None:
        return self.trace[-1] if self.trace else None

    @property
    def solved(self) -> bool:
        return self.state.solved

    @property
    def streaming(self) -> bool:
        """Whether the reply under way is still being generated (otherwise it was complete when reply() returned)."""
        return self._open is not None

    @property
    def llm(self) -> bool:
        return self.backend is not None and self.backend.available

    # --- one turn ------------------------------------------------------------------------------------------
    def _check_input(self, message: object) -> tuple[str, bool]:
        if self.done:
            raise InputError("This session has finished. Start a new problem to keep practising.", "reply after done")
        if not isinstance(message, str):
            raise InputError("Please send your message as text.", f"non-text message: {type(message).__name__}")
        text = message.replace("\x00", "").strip()
        if not text:
            raise InputError("Your message is empty. Type your answer, a question, or tell me where you're stuck.")
        if len(text) > self.settings.reject_message_chars:
            raise InputError(f"That message is too long ({len(text):,} characters). Please send only the part you "
                             "want help with.", f"message of {len(text)} chars rejected")
        cut = len(text) > self.settings.max_message_chars
        return (text[: self.settings.max_message_chars] if cut else text), cut

    def reply(self, message: str) -> Iterator[str]:
        """Run one turn. Without a streamed model call the whole turn (trace included) is done before this returns;
        with one, the returned iterator yields the guarded sentences as they are released and the trace is recorded
        when it is exhausted (or closed). Iterate it to the end before the next reply."""
        text, cut = self._check_input(message)
        self._close_open_reply()
        t = self._decide(text, cut)
        if t.job in ("revoice", "vanilla"):
            self._open = self._stream(t)
            return self._open
        trace = self._whole(t)
        return iter(re.findall(r"\S+\s*|\s+", trace.text))

    def _close_open_reply(self) -> None:
        if self._open is not None:
            self._open.close()  # a reply left unfinished is finished now (the model is stopped)
            self._open = None

    def _decide(self, text: str, cut: bool) -> _Turn:
        """Steps 1-3 and the template: everything that does not need the model."""
        t = _Turn(text=text, cut=cut, t0=time.monotonic(), turn=len(self.trace) + 1)
        lat = t.lat

        def lap(name: str, since: float) -> float:
            now = time.monotonic()
            lat[name] = round((now - since) * 1000, 2)
            return now

        t.before = self.state.snapshot(t.turn - 1)
        cur = self.state.current_node()
        context = " ".join([self.problem.statement, *(n.concept for n in self.tree.nodes)])
        u = understand(text, context, self.backend if self.llm else None,
                       use_llm=self.settings.classify_with_llm, domain=self.problem.domain)
        t.u = u
        now = lap("understand", t.t0)
        evidence, tests = self._update(u, t.turn, cur)
        if evidence.judgement == "none":  # code: the outcome read as a verdict (math: tutor.judging)
            evidence.judgement = {"solved": "right", "right": "right", "wrong": "wrong"}.get(evidence.outcome, "none")
        t.evidence, t.tests = evidence, tests
        now = lap("update", now)
        ctx = PlanContext(problem=self.problem, tree=self.tree, state=self.state, understanding=u, evidence=evidence,
                          tests=tests, turn=t.turn, max_turns=self.settings.max_turns,
                          fails_before_bottom_out=self.settings.fails_before_bottom_out,
                          allow_final_bottom_out=self.settings.allow_final_bottom_out, llm_available=self.llm)
        t.plan = plan = self.policy.plan(ctx)
        now = lap("plan", now)
        note = tests.describe() if tests is not None and not tests.passed else evidence.note
        said = phrase.said_sentences(x for role, x in self.history if role == "tutor")
        t.template = phrase.template(plan, self.problem, self.tree, self.state, t.turn, note, said=said,
                                     heard=phrase.heard(u, evidence, self.problem, self.tree, self.state))
        if plan.kind != "tell":  # a bottom-out's disclosure is registered first: the guard allows that node's value
            self._log_plan(plan, t.turn)
        t.mark = lap("template", now)
        t.job, t.note = self._job(plan)
        if t.job == "revoice" and voice.template_revoices(t.template, text, self.problem.statement):
            t.job, t.note = "", "the decided text already says the student's value back: no model"
        if tests is not None and tests.unavailable:  # never silent and never rephrased: the code was not run
            t.template = f"{tests.describe()}\n\n{t.template}"
            t.job, t.note = "", "code not run: the sandbox is unavailable"
        return t

    def _job(self, plan: Plan) -> tuple[str, str]:
        """Which model job this turn gets ('' for none) and why."""
        if not self.llm:
            return "", "no model"
        if plan.kind == "llm":
            return "vanilla", "vanilla policy"
        if plan.kind == "tell":
            return ("tell", "telling policy") if self.settings.rephrase else ("", "rephrase off")
        if not self.settings.rephrase or plan.kind not in ("question", "redirect", "bottom_out", "success",
                                                           "out_of_turns"):
            return "", "rephrase off" if not self.settings.rephrase else f"no model job for {plan.kind}"
        job = self.settings.voice
        if self.settings.llm_moves == "all":
            return job, "every move kind (llm_moves=all)"
        ok, why = voice.may_voice(self.backend, job, voice.move_kind(plan))  # type: ignore[arg-type]
        return (job if ok else ""), why

    def _whole(self, t: _Turn) -> TurnTrace:
        """No model, or a job whose check needs the whole text (rewrite, tell): generate, check, guard, then show."""
        llm_text, ttft, rejected = None, None, None
        if t.job:
            llm_text, ttft = self._llm_text(t)
            if llm_text is not None:
                now = time.monotonic()
                t.lat["llm"] = round((now - t.mark) * 1000, 2)
                t.mark = now
                if ttft is not None:
                    t.lat["llm_ttft"] = round(ttft * 1000, 2)
                rejected = self._reject(t.plan, llm_text, t.text, t.template)
        shown, verdict, final = self._guard(t.plan, llm_text, t.template, rejected)
        t.lat["guard"] = round((time.monotonic() - t.mark) * 1000, 2)
        return self._finish(t, shown, verdict, final, llm_text, rejected,
                            used=llm_text is not None and shown == llm_text)

    def _finish(self, t: _Turn, shown: str, verdict: Verdict, final: Verdict, llm_text: str | None,
                rejected: str | None, *, used: bool) -> TurnTrace:
        plan, u, evidence, tests = t.plan, t.u, t.evidence, t.tests
        if plan.kind == "tell":  # telling is measured: its disclosure counts only after the verdict
            self._log_plan(plan, t.turn)
        self.done = plan.done
        self.history += [("student", t.text), ("tutor", shown)]
        t.lat["total"] = round((time.monotonic() - t.t0) * 1000, 2)
        trace = TurnTrace(
            turn=t.turn, policy=self.policy.name, student_message=t.text, input_truncated=t.cut, intent=u.intent,
            intent_source=u.source, values=[n.value for n in u.values], has_code=bool(u.code), outcome=evidence.outcome,
            judgement=evidence.judgement,
            node_id=plan.node_id, move=plan.move, depth=plan.depth, plan_kind=plan.kind, reason=plan.reason,
            diagnosis=evidence.diagnosis, state_before=t.before, state_after=self.state.snapshot(t.turn),
            guard=verdict, guard_final=final, text=shown, template_text=t.template, llm_text=llm_text,
            llm_rejected=rejected, used_llm=used, move_kind=voice.move_kind(plan),
            voice=t.job, voice_note=t.note,
            llm_tokens=t.tokens, latency_ms=t.lat, tests=tests.summary() if tests is not None else None,
            test_run=tests.model_dump(mode="json") if tests is not None else None,
            done=plan.done, solved=self.solved,
        )
        self.trace.append(trace)
        return trace

    def _stream(self, t: _Turn) -> Iterator[str]:
        return stream_reply(self, t)

    # --- step 2: update the state from the evidence ---------------------------------------------------------
    def _update(self, u: Understanding, turn: int, cur: str | None) -> tuple[Evidence, TestRun | None]:
        st, problem = self.state, self.problem
        if problem.domain == "math":
            return update_math(u, problem, self.tree, st, turn, cur, self._diagnose), None
        ev = Evidence(node_id=cur)
        produced = [r for n in u.numbers if n.kind != "computed" for r in n.readings()]
        code_lines = [ln.strip() for ln in u.code.splitlines() if ln.strip()]
        if produced or code_lines:
            st.append(ValuesProduced(turn=turn, values=produced, code_lines=code_lines))
        tests: TestRun | None = None
        check = check_math(u, problem, self.tree)  # values (math) and text patterns (both domains)
        wrong_detail = ""
        if problem.domain == "math" and check.final_right:
            self._solve(turn, f"final answer {check.right[0].text if check.right else ''}".strip())
            ev.outcome, ev.detail = "solved", "stated the final answer"
            if cur:
                st.observe(turn, cur, True)
            return ev, None
        if problem.domain == "code" and u.code:
            tests = self.recorded_runs.pop(turn, None) or check_code(u.code, problem, self.settings.sandbox)
            if tests.unavailable:  # not run, so no evidence either way
                ev.detail = "code not run: the sandbox is unavailable"
                return ev, tests
            if tests.passed:
                self._solve(turn, "all unit tests pass")
                ev.outcome, ev.detail = "solved", "all unit tests pass"
                if cur:
                    st.observe(turn, cur, True)
                return ev, tests
            wrong_detail = tests.describe()
            ev.diagnosis = diagnose_code(u.code, problem)
            check.right = []  # a failing submission is the evidence: words around it earn no credit
        said = self._code_claims(u, check, cur) if problem.domain == "code" and not wrong_detail else None
        if said in ("wrong", "unsure") and cur:
            if said == "unsure":
                self._unsure(ev, turn, cur, "a claim about the behaviour that cannot be checked: asked for a value")
                return ev, tests
            detail = "the claim does not match what the code does when the tests run"
            st.append(AttemptWrong(turn=turn, node_id=cur, evidence=detail))
            st.observe(turn, cur, False)
            ev.outcome, ev.detail = "wrong", detail
            return ev, tests
        if u.intent in ("override", "extraction", "off_topic"):
            # words in an attack or an aside are no evidence of understanding: only stated values count
            check.right = [m for m in check.right if m.by == "value"]
        resolved = [n for n in check.resolved_nodes if not st.is_resolved(n)]
        if problem.domain == "code" and u.code:
            resolved = [n for n in resolved if self.tree.node(n).kind != "fix"]
        if resolved:
            last = max(st.node_ids.index(n) for n in resolved)
            for n in st.node_ids[: last + 1]:
                if st.is_resolved(n):
                    continue
                by = "student" if n in resolved else "implied"
                st.append(NodeResolved(turn=turn, node_id=n, evidence=self._evidence_text(u, n), by=by))
            ev.resolved = [n for n in st.node_ids[: last + 1] if n in resolved or n == cur]
            if cur:
                st.observe(turn, cur, True)
            ev.outcome = "right"
            return ev, tests
        if cur is None:
            return ev, tests
        if check.right and not wrong_detail and not (check.wrong and problem.domain == "math"):
            ev.detail = "repeated results already found"
            return ev, tests
        wrong_values = check.wrong if problem.domain == "math" else []
        if wrong_values or wrong_detail:
            value = wrong_values[0] if wrong_values else None
            ev.wrong_numbers = [n for n in u.values if n.kind != "computed" and n.value in wrong_values]
            ev.diagnosis = ev.diagnosis or self._diagnose(u, check.diagnosis, value)
            top = ev.diagnosis[0].malgorithm_id if ev.diagnosis else None
            detail = wrong_detail or f"said {value:g}, which matches no step"
            st.append(AttemptWrong(turn=turn, node_id=cur, evidence=detail, value=value, malgorithm_id=top))
            st.observe(turn, cur, False)
            ev.outcome, ev.detail = "wrong", detail
        elif u.intent == "stuck":
            st.append(Stuck(turn=turn, node_id=cur, evidence=u.text[:120]))
            st.observe(turn, cur, False)
            ev.outcome, ev.detail = "stuck", "says they are stuck"
        elif u.intent == "answer" and len(u.text.split()) >= 3 and problem.domain == "code":
            self._unsure(ev, turn, cur, "an explanation that meets no check: asked for something checkable")
        elif u.intent == "answer" and len(u.text.split()) >= 3:
            st.append(AttemptWrong(turn=turn, node_id=cur, evidence="explanation did not meet the node's check"))
            st.observe(turn, cur, False)
            ev.outcome, ev.detail = "wrong", "explanation did not meet the node's check"
        return ev, tests

    def _unsure(self, ev: Evidence, turn: int, node_id: str, detail: str) -> None:
        """A claim that cannot be checked asks again; the second in a row on one node counts as stuck, so the
        usual ladder (easier question, hint, bottom-out) goes on instead of asking the same thing forever."""
        ev.judgement, ev.detail = "unsure", detail
        last = self.trace[-1] if self.trace else None
        if last is not None and last.judgement == "unsure" and last.node_id == node_id:
            self.state.append(Stuck(turn=turn, node_id=node_id, evidence="no checkable claim twice in a row"))
            self.state.observe(turn, node_id, False)
            ev.outcome, ev.detail = "stuck", f"{detail} (the second time in a row: treated as stuck)"

    def _code_claims(self, u: Understanding, check: MathCheck, cur: str | None) -> str | None:
        """Code text judged by what it claims (tutor.codecheck): keyword credit on the behaviour node is replaced
        by the failing tests' real result; a named line is checked against the bug's lines; a stuck message, a
        question or a hedge earns no credit. Returns right / wrong / unsure for the current node, or None."""
        kinds = {n.id: n.kind for n in self.tree.nodes}
        check.right = [m for m in check.right
                       if not (m.by == "pattern" and any(kinds.get(n) == "behaviour" for n in m.node_ids))]
        node = self.tree.node(cur) if cur else None
        bug = node.bug if node and node.bug is not None else 0
        locate = codecheck.judge_locate(u.text, self.problem, bug) if node is not None and node.kind == "locate" else None
        said = None
        if node is not None and node.kind == "behaviour" and not u.code:
            said = codecheck.judge_behaviour(u.text, codecheck.buggy_run(self.problem, self.settings.sandbox))
        if node is not None and not u.code and locate is None:  # own calls, fixes and facts in words, run
            said = codewords.judge_words(u.text, self.problem, bug, self.settings.sandbox) or said
        # a stuck message, a question or a hedge earns nothing, but a checked claim stands ("KeyError, not sure why")
        if (u.intent in ("stuck", "question") or codecheck.hedged(u.text)) and "right" not in (said, locate):
            check.right = [m for m in check.right if m.by == "value"]
            return None
        if node is None or u.code:
            return None
        if node.kind == "behaviour" or said is not None:
            if said == "right":
                check.right.append(ValueMatch(value=0.0, text=u.text[:80], node_ids=[node.id], by="pattern"))
            return said
        if locate == "wrong":
            check.right = [m for m in check.right if node.id not in m.node_ids]
        elif locate == "right" and node.id not in check.resolved_nodes:
            check.right.append(ValueMatch(value=0.0, text=u.text[:80], node_ids=[node.id], by="pattern"))
        return locate

    def _solve(self, turn: int, evidence: str) -> None:
        for n in self.state.node_ids:
            if not self.state.is_resolved(n):
                self.state.append(NodeResolved(turn=turn, node_id=n, evidence=evidence, by="implied"))
        self.state.append(Solved(turn=turn, evidence=evidence))

    def _evidence_text(self, u: Understanding, node_id: str) -> str:
        value = node_value(self.tree.node(node_id), self.problem)
        return f"said {value:g}" if value is not None and u.values else f"text: {u.text[:80]}"

    def _diagnose(self, u: Understanding, by_value: list[Diagnosis], value: float | None) -> list[Diagnosis]:
        if by_value or not self.problem.malgorithms:
            return by_value
        try:
            from knowledge import diagnose
        except ImportError:
            return []
        embedder = self.embedder if self.embedder is not None else (None if self.settings.diagnose_with_embeddings
                                                                    else False)
        return [d for d in diagnose(self.problem, u.text, value, embedder=embedder, limit=3) if d.confidence >= 0.3]

    # --- bookkeeping of the plan ---------------------------------------------------------------------------
    def _log_plan(self, plan: Plan, turn: int) -> None:
        st = self.state
        if plan.kind in ("bottom_out", "tell") and plan.node_id:
            node = self.tree.node(plan.node_id)
            value = node_value(node, self.problem) if self.problem.domain == "math" else None
            st.append(BottomOut(turn=turn, node_id=node.id, values=[value] if value is not None else []))
            st.append(NodeResolved(turn=turn, node_id=node.id, evidence=f"{plan.kind} by the tutor",
                                   by="bottom_out" if plan.kind == "bottom_out" else "told"))
            if plan.next_node_id:
                st.append(QuestionAsked(turn=turn, node_id=plan.next_node_id, depth="focus", move="focus"))
        elif plan.kind in ("question", "redirect") and plan.node_id and plan.depth:
            st.append(QuestionAsked(turn=turn, node_id=plan.node_id, depth=plan.depth, move=plan.move))

    # --- step 4: optional LLM wording ---------------------------------------------------------------------
    def _llm_text(self, t: _Turn) -> tuple[str | None, float | None]:
        student, template = t.text, t.template
        if t.job == "tell":
            messages = voice.telling_messages(self.problem, self.history, student, template)
        else:
            messages = voice.rephrase_messages(self.problem, student, template)
        try:
            text, ttft = voice.generate(self.backend, messages, temperature=self.settings.temperature,  # type: ignore[arg-type]
                                         seed=self.settings.seed, max_tokens=self.settings.max_tokens,
                                         wait_s=self.settings.model_wait_s)
            text = voice.strip_echo(text, student)
        except ModelBusy as exc:
            t.note = exc.log_message
            return None, None
        except InferenceError as exc:
            t.note = f"model failed: {exc.log_message}"
            return None, None  # the template stands in; the backend logs the call
        return (text or None), ttft

    def _reject(self, plan: Plan, llm_text: str, student: str, template: str) -> str | None:
        """The strict quality gate for LLM text (None: usable). A rewrite of a decided move must keep the decided
        question, add no number beyond the plan, the student's message and the statement, and must not repeat an
        earlier tutor message (small models copy the previous turn); vanilla's free text gets the basic checks."""
        needs_question = plan.kind in ("question", "redirect", "bottom_out", "llm")
        if plan.kind in ("llm", "tell"):
            return voice.reject_reason(llm_text, student, needs_question, template if plan.kind == "tell" else "")
        earlier = [t for role, t in self.history if role == "tutor"]
        allowed = voice.allowed_numbers(template, student, self.problem.statement)
        return voice.reject_reason(llm_text, student, needs_question, template, previous=earlier, allowed=allowed)

    # --- step 5: guard ------------------------------------------------------------------------------------
    def _guard(self, plan: Plan, llm_text: str | None, template: str,
               rejected: str | None = None) -> tuple[str, Verdict, Verdict]:
        """Guard the first candidate (the LLM text when there is one); on a hit (enforce mode), or when the LLM
        text failed the quality check, fall back: template -> other wordings of the node's questions -> generic."""
        allow = self.settings.allow_final_bottom_out and plan.kind == "bottom_out"
        candidate = llm_text if llm_text is not None else template
        verdict = reveals(candidate, self.problem, self.state, allow_final=allow)
        if plan.kind == "success":  # the student has produced the answer; echoing it is no leak
            verdict = Verdict()
        verdict.mode = plan.guard_mode
        if verdict.leaks:
            log.info("guard hit (%s, problem %s, %s): %s; spans %s", plan.guard_mode, self.problem.id,
                     "llm" if llm_text is not None else "template", "; ".join(verdict.reasons), verdict.spans)
        if not verdict.leaks and not (llm_text is not None and rejected):
            return candidate, verdict, verdict
        if verdict.leaks and plan.guard_mode == "report":
            verdict.action = "reported"
            return candidate, verdict, verdict
        fallbacks: list[tuple[str, str]] = []
        if llm_text is not None:
            fallbacks.append(("replaced_with_template" if verdict.leaks else "llm_rejected", template))
        said = phrase.said_sentences(x for role, x in self.history if role == "tutor")
        fallbacks += [("replaced_with_alternative", alt) for alt in phrase.alternatives(plan, self.tree, said)]
        for action, text in fallbacks:
            v = reveals(text, self.problem, self.state, allow_final=allow)
            if not v.leaks or plan.guard_mode == "report":
                verdict.action = action
                return text, verdict, v
        verdict.action = "replaced_with_generic"
        generic = phrase.generic(said)
        return generic, verdict, reveals(generic, self.problem, self.state)
