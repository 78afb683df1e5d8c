"""A tutoring session: one problem, one student, turn by turn.

    session = TutorSession.start(problem, TutorSettings(), backend)
    print(session.opening)
    for delta in session.reply("I got 12"): print(delta, end="")
    session.last  # TurnTrace

The steps: understand (tutor.understand) -> judge and update the state (tutor.judging for math,
tutor.judging_code for code) -> plan (tutor.planner) -> the template (tutor.phrase) -> the model's words and the
guard (tutor.wording; streamed: tutor.stream) -> the trace (tutor.types.TurnTrace).

Streaming (tutor.stream): steps 1-3 and the template run inside `reply()`. When the model has a job this turn
(measured acceptance for the move kind, model not busy), its text is generated token by token on a worker thread;
each sentence is held back until it ends, checked (quality rules and the leak guard on the cumulative text) and
only then yielded; the first failing sentence stops generation and the template's words follow. Nothing unguarded
ever reaches the student. The trace is recorded when the reply is complete (before the caller's last update).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

from errors import InputError
from inference.base import Backend
from knowledge import diagnose, tree_for
from knowledge.types import Diagnosis, Problem
from tutor import phrase, phrasebook, quoting, revoice_checks, voice, wording
from tutor.guard import GuardVerdict, reveals
from tutor.judging import update_math
from tutor.judging_code import update_code
from tutor.planner import Evidence, Plan, PlanContext, get_policy
from tutor.sandbox import TestRun
from tutor.state import BottomOut, KnowledgeState, NodeResolved, QuestionAsked
from tutor.stream import PendingTurn, Shown, stream_reply
from tutor.types import TurnTrace, TutorSettings
from tutor.understand import Understanding, understand
from tutor.verify import node_value


class TutorSession:
    """One problem, one student. The records: `state.log` (the knowledge state's typed steps) and `trace` (one
    `TurnTrace` per reply); the dialogue (`history`, `tutor_messages`) is derived from the opening and the trace."""

    def __init__(self, problem: Problem, settings: TutorSettings, backend: Backend | None, embedder: object = None):
        self.problem = problem
        self.settings = settings
        self.backend = backend
        self.embedder = embedder
        self.tree = tree_for(problem)
        self.policy = get_policy(settings.policy)
        self.state = KnowledgeState.for_tree(self.tree, list(problem.skills), settings.bkt)
        self.trace: list[TurnTrace] = []
        self._open: Iterator[str] | None = None  # a streamed reply not yet finished
        # turn -> the sandbox run recorded for it: a session rebuilt from the store replays these, never re-runs code
        self.recorded_runs: dict[int, TestRun] = {}
        first = self.tree.nodes[0]
        intro = f'Hi! Let\'s work on "{problem.title}" together.'
        self.opening = f"{intro} {phrase.question(first, 'focus', self.state)}"
        if reveals(self.opening, problem, self.state).leaks:
            self.opening = f"{intro} {phrasebook.GENERIC}"
        self.state.append(QuestionAsked(turn=0, node_id=first.id, depth="focus", move="focus"))

    @classmethod
    def start(
        cls,
        problem: Problem,
        settings: TutorSettings | None = None,
        backend: Backend | None = None,
        *,
        embedder: object = None,
    ) -> TutorSession:
        return cls(problem, settings or TutorSettings(), backend, embedder)

    # --- public views --------------------------------------------------------------------------------------
    @property
    def last(self) -> TurnTrace | None:
        return self.trace[-1] if self.trace else None

    @property
    def solved(self) -> bool:
        return self.state.solved

    @property
    def done(self) -> bool:
        """Whether the last reply ended the session (solved, or out of turns)."""
        return self.trace[-1].done if self.trace else False

    @property
    def streaming(self) -> bool:
        """Whether the reply under way is still being generated (otherwise it was complete when reply() returned)."""
        return self._open is not None

    @property
    def llm(self) -> bool:
        return self.backend is not None and self.backend.available

    @property
    def history(self) -> list[tuple[str, str]]:
        """The dialogue so far as (role, text): the opening, then each recorded turn's message and reply."""
        dialogue = [("tutor", self.opening)]
        for trace in self.trace:
            dialogue += [("student", trace.student_message), ("tutor", trace.text)]
        return dialogue

    @property
    def tutor_messages(self) -> list[str]:
        """What the tutor has said so far: the opening and every recorded reply."""
        return [self.opening, *(trace.text for trace in self.trace)]

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
            raise InputError(
                f"That message is too long ({len(text):,} characters). Please send only the part you want help with.",
                f"message of {len(text)} chars rejected",
            )
        cut = len(text) > self.settings.max_message_chars
        return (text[: self.settings.max_message_chars] if cut else text), cut

    def reply(self, message: str) -> Iterator[str]:
        """Run one turn. Without a streamed model call the whole turn (trace included) is done before this returns;
        with one, the returned iterator yields the guarded sentences as they are released and the trace is recorded
        when it is exhausted (or closed). Iterate it to the end before the next reply."""
        text, cut = self._check_input(message)
        self._close_open_reply()
        pending = self._decide(text, cut)
        if pending.job in ("revoice", "vanilla"):
            self._open = self._stream(pending)
            return self._open
        trace = self._whole(pending)
        return iter(re.findall(r"\S+\s*|\s+", trace.text))

    def _close_open_reply(self) -> None:
        if self._open is not None:
            self._open.close()  # a reply left unfinished is finished now (the model is stopped)
            self._open = None

    def _decide(self, text: str, cut: bool) -> PendingTurn:
        """Steps 1-3 and the template: everything that does not need the model."""
        started, turn = time.monotonic(), len(self.trace) + 1
        latency: dict[str, float] = {}

        def lap(name: str, since: float) -> float:
            now = time.monotonic()
            latency[name] = round((now - since) * 1000, 2)
            return now

        before = self.state.snapshot(turn - 1)
        current = self.state.current_node()
        context = " ".join([self.problem.statement, *(n.concept for n in self.tree.nodes)])
        understanding = understand(
            text,
            context,
            self.backend if self.llm else None,
            use_llm=self.settings.classify_with_llm,
            domain=self.problem.domain,
        )
        now = lap("understand", started)
        evidence, tests = self._update(understanding, turn, current)
        now = lap("update", now)
        ctx = PlanContext(
            problem=self.problem,
            tree=self.tree,
            state=self.state,
            understanding=understanding,
            evidence=evidence,
            tests=tests,
            turn=turn,
            max_turns=self.settings.max_turns,
            fails_before_bottom_out=self.settings.fails_before_bottom_out,
            allow_final_bottom_out=self.settings.allow_final_bottom_out,
            llm_available=self.llm,
        )
        plan = self.policy.plan(ctx)
        now = lap("plan", now)
        note = tests.describe() if tests is not None and not tests.passed else evidence.note
        said = phrase.said_sentences(self.tutor_messages)
        template = phrase.template(
            plan,
            self.problem,
            self.tree,
            self.state,
            turn,
            note,
            said=said,
            heard=quoting.heard(understanding, evidence, self.problem, self.tree, self.state),
        )
        if plan.kind != "tell":  # a bottom-out's disclosure is registered first: the guard allows that node's value
            self._log_plan(plan, turn)
        mark = lap("template", now)
        job, job_note = wording.model_job(plan, self.settings, self.backend if self.llm else None)
        if job == "revoice" and revoice_checks.template_revoices(template, text, self.problem.statement):
            job, job_note = "", "the decided text already says the student's value back: no model"
        if job == "revoice" and not voice.revoice_parts(template, plan)[0]:
            job, job_note = "", "nothing decided to show while the model writes (one question): no model"
        if tests is not None and tests.unavailable:  # never silent and never rephrased: the code was not run
            template = f"{tests.describe()}\n\n{template}"
            job, job_note = "", "code not run: the sandbox is unavailable"
        return PendingTurn(
            text=text,
            cut=cut,
            started=started,
            turn=turn,
            before=before,
            understanding=understanding,
            evidence=evidence,
            tests=tests,
            plan=plan,
            template=template,
            mark=mark,
            job=job,
            note=job_note,
            latency_ms=latency,
        )

    def _update(self, understanding: Understanding, turn: int, current: str | None) -> tuple[Evidence, TestRun | None]:
        """Step 2: judge the message and append what it shows to the state (tutor.judging, tutor.judging_code)."""
        if self.problem.domain == "math":
            return update_math(understanding, self.problem, self.tree, self.state, turn, current, self._diagnose), None
        recorded = self.recorded_runs.pop(turn, None) if understanding.code else None
        code = update_code(
            understanding,
            self.problem,
            self.tree,
            self.state,
            turn,
            current,
            self._diagnose,
            sandbox=self.settings.sandbox,
            recorded=recorded,
            last=self.last,
        )
        return code.evidence, code.tests

    def _diagnose(
        self, understanding: Understanding, by_value: list[Diagnosis], value: float | None
    ) -> list[Diagnosis]:
        """The wrong path a message shows: by its values when they found one, else by its words (knowledge)."""
        if by_value or not self.problem.malgorithms:
            return by_value
        embedder = (
            self.embedder if self.embedder is not None else (None if self.settings.diagnose_with_embeddings else False)
        )
        found = diagnose(self.problem, understanding.text, value, embedder=embedder, limit=3)
        return [d for d in found if d.confidence >= 0.3]

    def _log_plan(self, plan: Plan, turn: int) -> None:
        """The plan's bookkeeping in the state: the question asked, or the node disclosed (bottom-out, tell)."""
        state = self.state
        if plan.kind in ("bottom_out", "tell") and plan.node_id:
            for node_id in plan.told or [plan.node_id]:  # a tell discloses every node it lists
                node = self.tree.node(node_id)
                value = node_value(node, self.problem) if self.problem.domain == "math" else None
                state.append(BottomOut(turn=turn, node_id=node.id, values=[value] if value is not None else []))
                state.append(
                    NodeResolved(
                        turn=turn,
                        node_id=node.id,
                        evidence=f"{plan.kind} by the tutor",
                        by="bottom_out" if plan.kind == "bottom_out" else "told",
                    )
                )
            if plan.next_node_id:
                state.append(QuestionAsked(turn=turn, node_id=plan.next_node_id, depth="focus", move="focus"))
        elif plan.kind in ("question", "redirect") and plan.node_id and plan.depth:
            state.append(QuestionAsked(turn=turn, node_id=plan.node_id, depth=plan.depth, move=plan.move))

    # --- steps 4-5: the model's words (whole or streamed), the guard, the trace ------------------------------
    def _whole(self, pending: PendingTurn) -> TurnTrace:
        """No model, or a job whose check needs the whole text (rewrite, tell): generate, check, guard, then show."""
        llm_text, rejected = None, None
        if pending.job and self.backend is not None:
            made = wording.model_text(
                pending.job, self.problem, self.history, pending.text, pending.template, self.backend, self.settings
            )
            if made.note is not None:
                pending.note = made.note
            llm_text = made.text
            if llm_text is not None:
                pending.lap("llm")
                if made.ttft_s is not None:
                    pending.latency_ms["llm_ttft"] = round(made.ttft_s * 1000, 2)
                rejected = wording.reject_reason(
                    pending.plan, llm_text, pending.text, pending.template, self.problem, self.tutor_messages
                )
        shown, verdict, final = self.guard(pending.plan, llm_text, pending.template, rejected)
        pending.latency_ms["guard"] = round((time.monotonic() - pending.mark) * 1000, 2)
        used = llm_text is not None and shown == llm_text
        return self.record(pending, Shown(shown, verdict, final, llm_text, rejected, used=used))

    def _stream(self, pending: PendingTurn) -> Iterator[str]:
        try:
            yield from stream_reply(self, pending)
        finally:
            self._open = None

    def guard(
        self, plan: Plan, llm_text: str | None, template: str, rejected: str | None = None
    ) -> tuple[str, GuardVerdict, GuardVerdict]:
        """Step 5 on this session's problem and state: (text shown, first verdict, verdict on the text shown)."""
        return wording.guard_reply(
            plan,
            llm_text,
            template,
            rejected,
            problem=self.problem,
            tree=self.tree,
            state=self.state,
            earlier=self.tutor_messages,
            allow_final_bottom_out=self.settings.allow_final_bottom_out,
        )

    def record(self, pending: PendingTurn, shown: Shown) -> TurnTrace:
        """Finish a turn: register a telling plan's disclosure, then append the turn's trace (the dialogue's record)."""
        plan, understanding, evidence, tests = pending.plan, pending.understanding, pending.evidence, pending.tests
        if plan.kind == "tell":  # telling is measured: its disclosure counts only after the verdict
            self._log_plan(plan, pending.turn)
        pending.latency_ms["total"] = round((time.monotonic() - pending.started) * 1000, 2)
        trace = TurnTrace(
            turn=pending.turn,
            policy=self.policy.name,
            student_message=pending.text,
            input_truncated=pending.cut,
            intent=understanding.intent,
            intent_source=understanding.source,
            values=[n.value for n in understanding.values],
            has_code=bool(understanding.code),
            outcome=evidence.outcome,
            judgement=evidence.judgement,
            node_id=plan.node_id,
            move=plan.move,
            depth=plan.depth,
            plan_kind=plan.kind,
            reason=plan.reason,
            diagnosis=evidence.diagnosis,
            state_before=pending.before,
            state_after=self.state.snapshot(pending.turn),
            guard=shown.verdict,
            guard_final=shown.final,
            text=shown.text,
            template_text=pending.template,
            llm_text=shown.llm_text,
            llm_rejected=shown.rejected,
            used_llm=shown.used,
            move_kind=voice.move_kind(plan),
            voice=pending.job,
            voice_note=pending.note,
            llm_tokens=pending.tokens,
            latency_ms=pending.latency_ms,
            tests=tests.summary() if tests is not None else None,
            test_run=tests.model_dump(mode="json") if tests is not None else None,
            done=plan.done,
            solved=self.solved,
        )
        self.trace.append(trace)
        return trace
