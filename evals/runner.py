"""The one place a `tutor.TutorSession` meets a `simulator.StudentSession`, and the generate stage of a run.

A dialogue: the tutor opens, the student answers with their (wrong) attempt, then up to `max_turns` rounds of
tutor reply -> student answer. Turn t is the tutor's t-th reply and the student's answer to it. The dialogue
ends when the student has the right answer (the tutor gets one closing reply if turns remain), when the tutor
is done, or at `max_turns`. Then the student takes the post-test (simulator.posttest: a sibling problem with new
numbers, answered from the hidden state alone). Code submissions are verified with `tutor.sandbox.run_tests`,
independently of
what the simulator believes.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path
from typing import Any

import inference
from errors import RecoverableError
from evals.config import PersonaSpec, RoleConfig, RunConfig
from evals.problems import load_problems
from evals.records import CodeRun, DialogueOutcome, DialogueRecord, RecordFile, Utterance, dialogue_key, write_json
from inference.base import Backend
from knowledge.types import Problem
from settings import Settings
from simulator import Persona, StudentSession
from simulator.personas import from_profile
from simulator.posttest import post_test
from tutor import TurnTrace, TutorSession, TutorSettings, sandbox

log = logging.getLogger(__name__)

IN_PROCESS_BACKENDS = {"llama_cpp", "transformers"}
_FENCE = re.compile(r"```(?:python|py)?\s*\n(.*?)```", re.S)


def make_backend(role: RoleConfig, settings: Settings | None = None) -> Backend:
    """Build a role's backend by name; only the fields that are set are passed on. `settings` (from the entry point)
    gives in-process backends their model cache (`settings.model_cache_dir`, which honours TUTOR_DATA_DIR)."""
    kwargs: dict[str, Any] = {}
    if role.model:
        kwargs["model"] = role.model
    if role.base_url:
        kwargs["base_url"] = role.base_url
    if role.backend in IN_PROCESS_BACKENDS:
        kwargs["threads"] = role.threads
        kwargs["context_size"] = role.context_size
        if settings is not None:
            kwargs["cache_dir"] = settings.model_cache_dir
    return inference.get_backend(role.backend, **kwargs)


def make_persona(spec: PersonaSpec | Persona, problem: Problem) -> Persona:
    """A `simulator.Persona` from a spec; the problem's own student profile seeds it when asked and present."""
    if isinstance(spec, Persona):
        return spec
    fields = {
        k: v
        for k, v in spec.model_dump().items()
        if k in ("name", "mode", "grade", "profile", "resistance", "verbosity")
    }
    fields = {k: v for k, v in fields.items() if v not in (None, "")}
    if spec.use_problem_profile and problem.student_profile:
        return from_profile(problem.student_profile).model_copy(update=fields)
    return Persona(**fields)


def extract_code(text: str, problem: Problem) -> str | None:
    """The program a student submitted in a message: a fenced block, or the message itself if it defines the entry
    point."""
    blocks = _FENCE.findall(text)
    for block in reversed(blocks):
        if problem.entry_point and f"def {problem.entry_point}" in block:
            return block
    if blocks:
        return blocks[-1]
    if problem.entry_point and re.search(rf"^\s*def {re.escape(problem.entry_point)}\s*\(", text, re.M):
        return text[text.index("def ") :]
    return None


def run_dialogue(
    problem: Problem,
    policy: str,
    persona: PersonaSpec | Persona,
    seed: int,
    *,
    max_turns: int,
    tutor_backend: Backend | None = None,
    student_backend: Backend | None = None,
    persona_label: str | None = None,
) -> DialogueRecord:
    """Play one tutor policy against one simulated student and record everything."""
    persona = make_persona(persona, problem)
    label = persona_label or persona.label
    t0 = time.perf_counter()
    timings = {"tutor_s": 0.0, "student_s": 0.0, "tests_s": 0.0}
    transcript: list[Utterance] = []
    traces: list[TurnTrace] = []
    hidden = []
    outcome = DialogueOutcome(ended="max_turns")
    student: StudentSession | None = None
    initial_state = None

    def timed(bucket: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        try:
            return fn()
        finally:
            timings[bucket] += time.perf_counter() - start

    def check_code(turn: int, text: str) -> None:
        if problem.domain != "code":
            return
        code = extract_code(text, problem)
        if code is None:
            return
        result = timed("tests_s", lambda: sandbox.run_tests(code, problem))
        outcome.code_runs.append(CodeRun(turn=turn, passed=result.passed, summary=result.model_dump_json()[:500]))
        if result.passed and outcome.verified_turn is None:
            outcome.verified_turn = turn

    def after_student(turn: int, text: str) -> None:
        hidden.append(student.hidden_state.model_copy(deep=True))
        check_code(turn, text)
        if student.solved and outcome.simulator_solved_turn is None:
            outcome.simulator_solved_turn = turn

    try:
        settings = TutorSettings(policy=policy, max_turns=max_turns, seed=seed)
        session = timed("tutor_s", lambda: TutorSession.start(problem, settings=settings, backend=tutor_backend))
        student = timed("student_s", lambda: StudentSession.start(problem, persona, seed=seed, backend=student_backend))
        initial_state = student.hidden_state.model_copy(deep=True)
        transcript.append(Utterance(role="tutor", turn=0, text=session.opening))
        student_text = student.opening
        transcript.append(Utterance(role="student", turn=0, text=student_text))
        after_student(0, student_text)
        for turn in range(1, max_turns + 1):
            reply = timed("tutor_s", lambda st=student_text: "".join(session.reply(st)))
            transcript.append(Utterance(role="tutor", turn=turn, text=reply))
            traces.append(session.trace[-1].model_copy(deep=True))
            outcome.turns = turn
            if _solved_turn(problem, outcome) is not None:
                outcome.ended = "solved"  # this was the tutor's closing reply
                break
            if session.done:
                outcome.tutor_done = True
                outcome.ended = "tutor_done"
                break
            student_text = timed("student_s", lambda r=reply: student.respond(r))
            transcript.append(Utterance(role="student", turn=turn, text=student_text))
            after_student(turn, student_text)
            if turn == max_turns and _solved_turn(problem, outcome) is not None:
                outcome.ended = "solved"
    except RecoverableError as exc:
        outcome.ended = "error"
        outcome.error = exc.log_message
        log.warning("dialogue %s/%s/%s failed: %s", problem.id, policy, seed, exc.log_message)
    outcome.solved_turn = _solved_turn(problem, outcome)
    outcome.solved = outcome.solved_turn is not None
    posttest = (
        post_test(problem, initial_state, student.hidden_state)
        if student is not None and initial_state is not None
        else None
    )
    timings["total_s"] = time.perf_counter() - t0
    return DialogueRecord(
        key=dialogue_key(problem.id, policy, label, seed),
        problem=problem,
        policy=policy,
        persona=persona,
        persona_label=label,
        seed=seed,
        max_turns=max_turns,
        malgorithm_id=student.malgorithm_id if student is not None else None,
        transcript=transcript,
        tutor_traces=traces,
        student_hidden_states=hidden,
        student_events=[e.model_copy() for e in student.events] if student is not None else [],
        outcome=outcome,
        posttest=posttest,
        timings={k: round(v, 4) for k, v in timings.items()},
        backends={
            "tutor": _backend_label(tutor_backend),
            "student": _backend_label(student_backend),
        },
    )


def _solved_turn(problem: Problem, outcome: DialogueOutcome) -> int | None:
    """Code: the sandbox decides. Math: the simulator's own solved flag (the student stated the right answer)."""
    return outcome.verified_turn if problem.domain == "code" else outcome.simulator_solved_turn


def _backend_label(backend: Backend | None) -> str:
    if backend is None:
        return "none"
    return f"{backend.name}:{backend.model}" if backend.model else backend.name


# ---------------------------------------------------------------- generate stage


class Job:
    def __init__(self, problem: Problem, policy: str, persona: PersonaSpec, seed: int) -> None:
        self.problem, self.policy, self.persona, self.seed = problem, policy, persona, seed
        self.key = dialogue_key(problem.id, policy, persona.label, seed)


def plan_jobs(config: RunConfig, problems: list[Problem]) -> list[Job]:
    return [
        Job(p, policy, persona, seed)
        for p in problems
        for persona in config.personas
        for seed in config.student_seeds()
        for policy in config.policies
    ]


def records_path(run_dir: Path) -> Path:
    return Path(run_dir) / "records.jsonl"


def generate(
    config: RunConfig,
    *,
    problems: list[Problem] | None = None,
    backends: dict[str, Backend] | None = None,
    progress: bool = True,
    settings: Settings | None = None,
) -> Path:
    """Run every planned dialogue not yet in the run's records.jsonl; each record is appended as it finishes."""
    run_dir = config.run_dir
    run_dir.mkdir(parents=True, exist_ok=True)
    write_json(run_dir / "config.json", config.model_dump(mode="json"))
    problems = problems if problems is not None else load_problems(config)
    store = RecordFile(records_path(run_dir))
    done = store.keys()
    todo = [j for j in plan_jobs(config, problems) if j.key not in done]
    if not todo:
        return run_dir
    backends = backends or {}
    tutor_backend = backends.get("tutor") or make_backend(config.tutor, settings)
    if "student" in backends:
        student_backend = backends["student"]
    elif config.student.key() == config.tutor.key():
        student_backend = tutor_backend  # one resident model serves both roles
    else:
        student_backend = make_backend(config.student, settings)
    workers = config.concurrency
    in_process = {config.tutor.backend, config.student.backend} & IN_PROCESS_BACKENDS
    if workers > 1 and in_process:
        log.warning("%s runs in process behind one lock: running dialogues sequentially", ", ".join(sorted(in_process)))
        workers = 1

    def one(job: Job) -> DialogueRecord:
        record = run_dialogue(
            job.problem,
            job.policy,
            job.persona,
            job.seed,
            max_turns=config.max_turns,
            tutor_backend=tutor_backend,
            student_backend=student_backend,
            persona_label=job.persona.label,
        )
        store.append(record)
        return record

    bar = _progress(len(todo), progress, initial=0, desc=f"{config.name}: dialogues")
    started = time.perf_counter()
    try:
        if workers == 1:
            for job in todo:
                one(job)
                bar.update(1)
        else:
            with ThreadPoolExecutor(max_workers=workers) as pool:
                for fut in as_completed([pool.submit(one, j) for j in todo]):
                    fut.result()
                    bar.update(1)
    finally:
        bar.close()
        _log_generation(run_dir, len(todo), time.perf_counter() - started, workers)
    return run_dir


def _log_generation(run_dir: Path, planned: int, wall_s: float, workers: int) -> None:
    """Append this invocation's wall time to generate_log.jsonl (a resumed run has several lines)."""
    done = len(RecordFile(records_path(run_dir)).keys())
    line = {
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "planned": planned,
        "records_total": done,
        "wall_s": round(wall_s, 2),
        "workers": workers,
    }
    with (run_dir / "generate_log.jsonl").open("a", encoding="utf-8") as f:
        f.write(json.dumps(line) + "\n")


class _NoBar:
    def update(self, n: int = 1) -> None: ...

    def close(self) -> None: ...


def _progress(total: int, enabled: bool, **kwargs: Any) -> Any:
    if not enabled:
        return _NoBar()
    from tqdm import tqdm  # third-party, only for the command line's progress bar

    return tqdm(total=total, unit="dlg", dynamic_ncols=True, **kwargs)
