"""Rehearse (a problem against a small cohort of simulated students) and Evaluate (batch runs via evals.api).

Both are teacher-only. Rehearsal runs on templates (backend `none`) so it takes seconds; evaluation runs start in a
background thread, are recorded in the store's eval_runs, and their reports are read back with evals.api.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import inference
from errors import InputError
from evals import api
from evals.config import PersonaSpec, ProblemSet, RunConfig
from evals.records import DialogueRecord
from evals.runner import run_dialogue
from knowledge.types import Problem
from store.types import RunStatus
from ui.context import AppContext
from vocabulary import CLASS_POLICY_NAMES, DEFAULT_POLICY, PersonaMode, or_list

log = logging.getLogger(__name__)

# the order a rehearsal cycles through the persona modes (every mode once; tests/test_vocabulary.py checks that)
LAB_MODES: tuple[PersonaMode, ...] = ("typical", "confused", "quiet", "adversarial")


@dataclass(frozen=True)
class Rehearsal:
    """What a rehearsal found: tables under STUDENT_HEADERS and NODE_HEADERS, and markdown to read."""

    summary: str  # markdown: how many solved, nodes never reached, leaks
    students: list[list[Any]]  # one row per simulated student
    nodes: list[list[Any]]  # one row per question-tree node
    never_reached: list[str]  # node ids no student reached
    leaks: int  # tutor messages the guard replaced
    solved: int
    transcripts: str  # markdown: the first few dialogues


@dataclass(frozen=True)
class EvalReport:
    """An evaluation run's report as the app shows it; the tables and files are there once `status` is done."""

    status: RunStatus
    metrics: list[list[Any]] = field(default_factory=list)  # rows under METRIC_HEADERS
    plots: list[str] = field(default_factory=list)  # image paths
    html: str = ""  # the self-contained HTML report's path
    error: str = ""  # why a failed run failed
    stamp: dict[str, Any] = field(default_factory=dict)  # config, git hash and date of the run


def rehearse(
    ctx: AppContext,
    token: str,
    problem_id: str,
    *,
    n_students: int = 4,
    policy: str = DEFAULT_POLICY,
    max_turns: int = 10,
) -> Rehearsal:
    """Run `n_students` simulated students (cycling through the persona modes) and summarise where they stall."""
    ctx.require(token, "teacher")
    if not problem_id:
        raise InputError("Choose a problem to rehearse.")
    if policy not in CLASS_POLICY_NAMES:
        raise InputError(f"The policy must be {or_list(CLASS_POLICY_NAMES)}.")
    n_students = max(1, min(int(n_students), 12))
    max_turns = max(1, min(int(max_turns), 30))
    problem = ctx.problem(problem_id)
    none = inference.get_backend("none")
    records = []
    for i in range(n_students):
        mode = LAB_MODES[i % len(LAB_MODES)]
        spec = PersonaSpec(name=f"student{i + 1}", mode=mode)  # type: ignore[arg-type]
        records.append(
            run_dialogue(
                problem,
                policy,
                spec,
                seed=i,
                max_turns=max_turns,
                tutor_backend=none,
                student_backend=none,
                persona_label=f"student{i + 1}/{mode}",
            )
        )
    return summarize(problem, records)


def summarize(problem: Problem, records: list[DialogueRecord]) -> Rehearsal:
    nodes = [n.id for n in problem.tree.nodes] if problem.tree else []
    concept = {n.id: n.concept for n in problem.tree.nodes} if problem.tree else {}
    reached: set[str] = set()
    stalls: Counter[str] = Counter()
    rows = []
    total_leaks = 0
    for r in records:
        traces = r.tutor_traces
        visited = [t.node_id for t in traces if t.node_id]
        reached.update(visited)
        for (
            t
        ) in traces:  # a node the student resolved without being asked (e.g. implied by a later answer) was reached too
            reached.update(n for n, v in t.state_after.nodes.items() if v.status == "resolved")
        leaks = sum(1 for t in traces if t.guard.leaks)
        total_leaks += leaks
        per_node = Counter(visited)
        stall = per_node.most_common(1)[0][0] if per_node and not r.outcome.solved else ""
        if stall:
            stalls[stall] += 1
        moves = Counter(t.move for t in traces)
        rows.append(
            [
                r.persona_label,
                "yes" if r.outcome.solved else "no",
                r.outcome.solved_turn if r.outcome.solved_turn is not None else "",
                r.outcome.turns,
                concept.get(stall, stall),
                leaks,
                ", ".join(f"{m} {c}" for m, c in moves.most_common()),
            ]
        )
    never = [n for n in nodes if n not in reached]
    node_rows = [[n, concept.get(n, ""), "yes" if n in reached else "NEVER", stalls.get(n, 0)] for n in nodes]
    solved = sum(1 for r in records if r.outcome.solved)
    text = (
        f"**{solved} of {len(records)}** simulated students solved *{problem.title}*. "
        + (
            f"Nodes never reached: {', '.join(concept.get(n, n) for n in never)}. "
            if never
            else "Every node was reached. "
        )
        + (
            "**Leaks:** the guard replaced " + str(total_leaks) + " tutor message(s)."
            if total_leaks
            else "No leaks flagged by the guard."
        )
    )
    transcripts = []
    for r in records[:6]:
        lines = [f"**{u.role}** ({u.turn}): {u.text}" for u in r.transcript]
        transcripts.append(f"#### {r.persona_label}\n" + "\n\n".join(lines))
    return Rehearsal(
        summary=text,
        students=rows,
        nodes=node_rows,
        never_reached=never,
        leaks=total_leaks,
        solved=solved,
        transcripts="\n\n---\n\n".join(transcripts),
    )


STUDENT_HEADERS = ["student", "solved", "at turn", "turns", "stalled on", "leaks", "tutor moves"]
NODE_HEADERS = ["node", "concept", "reached", "stalled here"]


def start_eval(
    ctx: AppContext,
    token: str,
    *,
    name: str,
    policies: list[str],
    domain: str = "",
    limit: int | None = None,
    students: int = 1,
    max_turns: int = 12,
    wait: bool = False,
) -> int:
    """Start an evaluation run over the starter bank in the background; returns its eval_runs id."""
    teacher = ctx.require(token, "teacher")
    if not policies:
        raise InputError("Choose at least one policy.")
    try:
        config = RunConfig(
            name=name or "app-run",
            policies=policies,
            max_turns=int(max_turns),
            students_per_problem=max(1, int(students)),
            problems=[ProblemSet(source="starter", domain=domain or None, limit=int(limit) if limit else None)],
            bootstrap=200,
            output_dir=Path(ctx.settings.data_dir) / "evals" / (name or "app-run"),
        )
    except ValueError as exc:
        raise InputError(f"Invalid run settings: {str(exc).splitlines()[-1]}") from None
    run = ctx.store.start_eval_run(config.name, config.model_dump(mode="json"), created_by=teacher.id)

    def work() -> None:
        try:
            run_dir = api.run_config(config, settings=ctx.settings)
            report = api.load_report(run_dir)
            summary = {
                m["metric"] + ("" if m.get("group") in (None, "all") else f" [{m['group']}]"): m.get("mean")
                for m in report.get("metrics", [])[:40]
            }
            ctx.store.finish_eval_run(run.id, status="done", report_dir=str(run_dir), summary=summary)
        except Exception as exc:  # a failed background run is recorded, not lost; the server stays up
            log.exception("evaluation run %s failed", run.id)
            ctx.store.finish_eval_run(run.id, status="failed", summary={"error": f"{type(exc).__name__}: {exc}"[:500]})

    thread = threading.Thread(target=work, name=f"eval-{run.id}", daemon=True)  # the store tracks the run, not a global
    thread.start()
    if wait:
        thread.join()
    return run.id


def eval_runs(ctx: AppContext, token: str) -> list[list[Any]]:
    ctx.require(token, "teacher")
    return [
        [
            r.id,
            r.name,
            r.status,
            ", ".join(r.config.get("policies", [])),
            r.started_at.replace("T", " ")[:16],
            (r.finished_at or "").replace("T", " ")[:16],
        ]
        for r in ctx.store.list_eval_runs()
    ]


def eval_report(ctx: AppContext, token: str, run_id: Any) -> EvalReport:
    ctx.require(token, "teacher")
    run = next((r for r in ctx.store.list_eval_runs() if str(r.id) == str(run_id)), None)
    if run is None:
        raise InputError("Choose a run.")
    if run.status != "done":
        return EvalReport(status=run.status, error=str(run.summary.get("error", "")))
    report = api.load_report(run.report_dir)
    rows = [
        [m.get("group", ""), m.get("metric", ""), m.get("n", ""), _r(m.get("mean")), _r(m.get("lo")), _r(m.get("hi"))]
        for m in report.get("metrics", [])
    ]
    plots = [str(p) for p in report.get("plots", {}).values() if Path(p).is_file()]
    return EvalReport(
        status="done", metrics=rows, plots=plots, html=str(report.get("html", "")), stamp=report.get("stamp", {})
    )


def _r(x: Any) -> Any:
    return round(x, 3) if isinstance(x, float) else ("" if x is None else x)


METRIC_HEADERS = ["group", "metric", "n", "mean", "lo", "hi"]
RUN_HEADERS = ["id", "name", "status", "policies", "started", "finished"]
