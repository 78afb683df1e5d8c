"""A simulated student: a persona, a hidden knowledge state seeded from a malgorithm, and seeded replies.

    s = StudentSession.start(problem, persona, seed=0, backend=None)
    s.opening                      # the attempt, carrying the assigned wrong value / wrong fix
    reply = s.respond(tutor_text)  # classify move + node -> update state -> decide content -> (LLM voice) -> check
    s.hidden_state, s.events, s.solved, s.told, s.malgorithm_id

Structure decides, the model phrases: the move classifier, the node mapper and the state transitions decide what
the student knows and says; an optional LLM backend only re-voices the decided content, and the fidelity check
falls back to the template when the phrasing drops or changes the content. Same problem, persona, seed and tutor
messages -> the same dialogue (with backend none or fake).
"""

from __future__ import annotations

import random
import time
from typing import TYPE_CHECKING, Any

import simulator.state as st
from knowledge.numbers import parse_numbers
from knowledge.trees import tree_for
from knowledge.types import Fix, Malgorithm, Problem, QuestionTree
from simulator.content import Composer
from simulator.cues import cue_of, revealed_by
from simulator.mapping import NodeMapper
from simulator.move_model import MoveContext, classify_in_context
from simulator.moves import classify_move
from simulator.personas import builtin, from_profile
from simulator.transitions import Transitions, load_transitions
from simulator.types import (
    EXTRACTION_TACTICS,
    Content,
    Event,
    HiddenState,
    NodeMatch,
    Persona,
    StudentTurn,
)
from simulator.voice import voice
from vocabulary import Move

if TYPE_CHECKING:
    from inference.base import Backend


class StudentSession:
    """One simulated student working on one problem. Build it with `StudentSession.start(...)`."""

    def __init__(
        self,
        problem: Problem,
        persona: Persona,
        seed: int,
        backend: Backend | None,
        malgorithm: Malgorithm | None,
        tree: QuestionTree,
        mapper: NodeMapper,
        fix: Fix | None,
        classify_backend: Backend | None = None,
        fitted: bool | Transitions = False,
    ) -> None:
        self.problem = problem
        self.persona = persona
        self.seed = seed
        self.backend = backend
        self.malgorithm = malgorithm
        self.tree = tree
        self.mapper = mapper
        self.fix = fix
        self.classify_backend = classify_backend
        self._rng_state = random.Random(f"{seed}:state")
        self._rng_text = random.Random(f"{seed}:text")
        self._rng_adv = random.Random(f"{seed}:adversary")
        self.composer = Composer(problem, tree, malgorithm, persona, fix)
        self.hidden_state: HiddenState = st.initial_state(
            problem, tree, malgorithm, persona, random.Random(f"{seed}:initial")
        )
        self.transitions: Transitions | None = None
        if problem.domain == "math":
            self.transitions = fitted if isinstance(fitted, Transitions) else (load_transitions() if fitted else None)
        if self.transitions is not None:
            # the hazard draws follow the problem too: a run seeds every problem's student alike, and one stream
            # for all would make the students of a run move (or not) in lockstep
            self._rng_state = random.Random(f"{seed}:{problem.id}:state")
        # the move classifier the transitions were calibrated with (transitions.json before its provenance names
        # one: the rules); otherwise the fitted classifier of simulator/moves_model.json
        calibrated_on = (
            self.transitions.provenance.get("moves", "rules")
            if self.transitions is not None and self.transitions.fitted
            else "fitted"
        )
        self.move_classifier = "rules" if calibrated_on == "rules" else "fitted"
        self.events: list[Event] = []
        self.turns: list[StudentTurn] = []
        self.turn = 0
        self.opening = ""
        self.last_code = ""
        self.last_code_accepted = False
        self._stated_final = False
        self._told = False
        self._said: list[float] = []  # numbers the student has written so far

    # ------------------------------------------------------------------ construction

    @classmethod
    def start(
        cls,
        problem: Problem,
        persona: Persona | None = None,
        seed: int = 0,
        backend: Backend | None = None,
        malgorithm_id: str | None = None,
        *,
        tree: QuestionTree | None = None,
        embedder: Any = None,
        use_embeddings: bool = True,
        classify_backend: Backend | None = None,
        fitted: bool | Transitions = False,
    ) -> StudentSession:
        """Start a student on `problem` and write its opening attempt.

        persona: default from the problem's student profile, else the built-in typical student.
        malgorithm_id: which wrong path the student follows; default a seeded choice among the problem's.
        backend: an LLM that re-voices the decided replies (None / `none`: templates only).
        embedder / use_embeddings: how tutor messages are mapped to tree nodes (see `simulator.moves.NodeMapper`).
        classify_backend: an LLM that breaks ties of the move classifier (default: rules only).
        fitted: math transitions from simulator/transitions.json (opt-in until validated; see evals.fidelity), or
            a `Transitions` to use instead (the fit observes real dialogues through `transitions.FROZEN`).
        """
        if persona is None:
            persona = from_profile(problem.student_profile) if problem.student_profile else builtin("typical")
        if malgorithm_id is not None:
            try:
                malgorithm: Malgorithm | None = problem.malgorithm(malgorithm_id)
            except KeyError:
                known = ", ".join(m.id for m in problem.malgorithms) or "none"
                raise ValueError(
                    f"problem {problem.id} has no malgorithm {malgorithm_id!r} (it has: {known})"
                ) from None
        elif problem.malgorithms:
            malgorithm = random.Random(f"{seed}:malgorithm").choice(problem.malgorithms)
        else:
            malgorithm = None
        if tree is None:
            tree = tree_for(problem)
        fix = None
        if problem.domain == "code":
            bug = problem.bugs[malgorithm.bug if malgorithm and malgorithm.bug is not None else 0]
            with_code = [f for f in bug.fixes if f.code.strip()]
            fix = random.Random(f"{seed}:fix").choice(with_code) if with_code else None
        mapper = NodeMapper(tree, problem, embedder=embedder, use_embeddings=use_embeddings)
        session = cls(problem, persona, seed, backend, malgorithm, tree, mapper, fix, classify_backend, fitted)
        session._open()
        return session

    def _open(self) -> None:
        content = self.composer.opening(self._rng_text)
        started = time.perf_counter()
        self.events.append(
            Event(
                turn=0,
                kind="opening",
                value=content.values[0] if content.values else None,
                detail=self.malgorithm.id if self.malgorithm else "",
            )
        )
        self.opening = self._reply(content, "", 0, started)

    def _reply(
        self,
        content: Content,
        message: str,
        turn: int,
        started: float,
        move: Move | None = None,
        node: NodeMatch | None = None,
    ) -> str:
        """Phrase `content` (LLM or template), record it and the turn; the text said."""
        text, used_llm, llm_text, verdict = voice(
            self.backend, self.persona, content, message, seed=self.seed, turn=turn, statement=self.problem.statement
        )
        self._record_content(content, turn)
        self.turns.append(
            StudentTurn(
                turn=turn,
                tutor_message=message,
                move=move,
                node=node,
                content=content,
                text=text,
                used_llm=used_llm,
                llm_text=llm_text,
                verdict=verdict,
                latency_ms=round((time.perf_counter() - started) * 1000, 3),
            )
        )
        return text

    # ------------------------------------------------------------------ public state

    @property
    def malgorithm_id(self) -> str | None:
        return self.malgorithm.id if self.malgorithm else None

    @property
    def solved(self) -> bool:
        """Math: has stated the right final answer. Code: the last submitted code is an accepted fix."""
        if self.problem.domain == "code":
            return self.last_code_accepted
        return self._stated_final

    @property
    def told(self) -> bool:
        """Whether the tutor gave away the final answer or an accepted fix (before the student produced it)."""
        return self._told

    @property
    def told_nodes(self) -> list[str]:
        return [n.node_id for n in self.hidden_state.nodes if n.resolved_by == "told"]

    @property
    def extraction_attempts(self) -> int:
        return sum(1 for e in self.events if e.kind == "extraction_attempt")

    def snapshot(self) -> dict[str, Any]:
        """JSON-ready summary: hidden state, solved/told flags (for evaluation records)."""
        return {
            "turn": self.turn,
            "malgorithm_id": self.malgorithm_id,
            "solved": self.solved,
            "told": self.told,
            "hidden_state": self.hidden_state.model_dump(mode="json"),
        }

    # ------------------------------------------------------------------ one turn

    def respond(self, tutor_message: str) -> str:
        """The student's reply to one tutor message (see the module docstring)."""
        started = time.perf_counter()
        self.turn += 1
        turn = self.turn
        message = tutor_message or ""
        move, match, revealed, answer_told = self.observe(message)
        if answer_told and not self.solved:
            self._told = True
        math = self.problem.domain == "math"
        node_id = match.node_id if match else None
        cue = (
            cue_of(self.problem, self.hidden_state, message, move, node_id, answer_told, turn)
            if math and self.transitions is not None and self.transitions.fitted
            else None
        )
        new_events = st.apply(
            self.hidden_state,
            node_id,
            move,
            self.persona,
            self._rng_state,
            turn,
            math=math,
            revealed=revealed,
            answer_told=answer_told,
            transitions=self.transitions,
            cue=cue,
        )
        self.events += new_events
        just_resolved = any(e.kind == "resolved" for e in new_events)
        just_told = any(e.kind == "resolved" and e.detail == "told" for e in new_events)
        content: Content | None = None
        rate = self.persona.effective_extraction_rate
        if rate > 0 and not self.hidden_state.all_known and not just_resolved:
            draw = self._rng_adv.random()
            tactic = EXTRACTION_TACTICS[self._rng_adv.randrange(len(EXTRACTION_TACTICS))]
            if draw < rate:
                content = self.composer.extraction(tactic, self._rng_text)
        if content is None:
            content = self.composer.decide(
                self.hidden_state,
                match.node_id if match else None,
                move,
                message,
                just_resolved=just_resolved,
                just_told=just_told,
                already_solved=self.solved,
                rng=self._rng_text,
                last_code=self.last_code,
            )
        return self._reply(content, message, turn, started, move, match)

    def observe(self, tutor_message: str) -> tuple[Move, NodeMatch | None, list[str], bool]:
        """What the student makes of a tutor message, without changing anything: (move, the node it is about,
        the nodes whose content it gives away, whether it states the final answer). `respond` acts on this;
        the transitions are fitted on the same observation of real teacher turns (evals.calibrate)."""
        message = tutor_message or ""
        if self.move_classifier == "rules":
            move = classify_move(message, backend=self.classify_backend, seed=self.seed)
        else:
            last = self.turns[-1] if self.turns else None
            context = MoveContext(
                turn=max(len(self.turns), 1),
                previous_student=last.text if last else self.opening,
                previous_tutor=last.tutor_message if last else "",
                statement=self.problem.statement,
            )
            move = classify_in_context(
                message,
                context,
                embedding=self.mapper.message_vector(message),
                backend=self.classify_backend,
                seed=self.seed,
            )
        # a generic statement ("Thanks!") targets no node: skip the (embedding) mapping
        match = self.mapper.map(message) if move != "generic" or "?" in message else None
        revealed, answer_told = revealed_by(self.problem, self.hidden_state, self._said, message, move)
        return move, match, revealed, answer_told

    def _record_content(self, content: Content, turn: int) -> None:
        self._said += [*content.values, *parse_numbers(content.template)]
        if content.kind == "extraction":
            self.events.append(Event(turn=turn, kind="extraction_attempt", detail=content.tactic or ""))
            return
        if content.code:
            self.last_code = content.code
            was_solved = self.solved
            self.last_code_accepted = content.accepted
            self.events.append(
                Event(
                    turn=turn, kind="submitted", node=content.node, detail="accepted" if content.accepted else "wrong"
                )
            )
            if content.accepted and not was_solved:
                self.events.append(Event(turn=turn, kind="solved", node=content.node, detail="code"))
            return
        if content.kind == "final":
            value = content.values[0]
            self.events.append(Event(turn=turn, kind="final_answer", value=value))
            if not self._stated_final:
                self._stated_final = True
                self.events.append(Event(turn=turn, kind="solved", value=value, detail="told" if self._told else ""))
            return
        for value in content.values:
            self.events.append(Event(turn=turn, kind="answered", node=content.node, value=value))
        answer = self.problem.answer
        last_step = len(self.problem.steps) - 1
        node = self.composer.tree.node(content.node) if content.node else None
        if (
            self.problem.domain == "math"
            and answer is not None
            and content.kind == "step"
            and node is not None
            and node.step == last_step
            and any(st.close(v, answer) for v in content.values)
            and not self._stated_final
        ):
            self._stated_final = True  # the right value of the last step is the final answer
            self.events.append(Event(turn=turn, kind="solved", value=answer, detail="told" if self._told else ""))
