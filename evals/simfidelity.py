"""Simulator fidelity on MathDial: do simulated students start from their real wrong solution and hold on to it?

    python -m evals.simfidelity ../shared/data/mathdial/dev.jsonl [--backend none|fake|llama_cpp --model NAME]
                                [--limit N] [--max-turns 10] [--threads 1] [--lexical] [--json OUT.json]

One simulated student per imported MathDial record (its own malgorithm: the record's real wrong solution), driven
by a scripted tutor: two generic messages ("talk me through your solution", "thanks for explaining"), then the
focus and probing questions of the problem's question tree in order, never telling. Reported:
- opening_wrong: share whose opening message carries their assigned wrong answer;
- first_reply_wrong: share whose reply to the generic opener carries it;
- self_correct_early: share that resolve a node or state the right final answer before any focus, probing or
  telling move (should be ~0);
- solved / told under the scripted tutor (told is 0 by construction), mean questions to solve;
- phrasing: LLM phrasings tried and the share the fidelity check rejected (with reasons); with backend none every
  reply is a template and nothing is tried.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from errors import RecoverableError
from inference import TEST_MODEL, get_backend
from knowledge.importers import import_mathdial
from knowledge.numbers import READ_BACK_TOL, contains, fmt
from settings import apply_offline_env, settings_from_env
from simulator.fidelity import numbers_in
from simulator.personas import from_profile
from simulator.student import StudentSession

GENERIC_SECOND = "Thanks for explaining your thinking."


def scripted_messages(session: StudentSession, max_turns: int) -> list[str]:
    """Two generic messages, then each tree node's first focus and probing questions (no telling)."""
    name = session.persona.name if session.persona.name != "Student" else ""
    messages = [f"Hi {name}, can you talk me through your solution?".replace("Hi ,", "Hi,"), GENERIC_SECOND]
    for node in session.tree.nodes:
        for depth in ("focus", "probing"):
            questions = node.questions.at(depth)  # type: ignore[arg-type]
            if questions:
                messages.append(questions[0])
    return messages[:max_turns]


def reason_kind(reason: str) -> str:
    """'drops the decided value 28' -> 'drops the decided value' (counted by kind)."""
    return re.sub(r"\s*(\(.*\)|-?\d[\d.,]*)\s*$", "", reason).strip()


def carries(text: str, value: float | None) -> bool:
    return value is not None and contains(numbers_in(text), value, READ_BACK_TOL)  # digits and number words


def run_one(
    problem: Any, malgorithm_id: str, *, backend: Any, max_turns: int, seed: int, use_embeddings: bool
) -> dict[str, Any]:
    m = problem.malgorithm(malgorithm_id)
    profile = m.description.removeprefix("Student profile: ") if m.description else problem.student_profile
    persona = from_profile(profile)
    s = StudentSession.start(
        problem, persona, seed=seed, backend=backend, malgorithm_id=malgorithm_id, use_embeddings=use_embeddings
    )
    wrong = m.wrong_answer
    answer = problem.answer
    opening_wrong = carries(s.opening, wrong)
    wrong_solution_has_answer = carries(m.wrong_solution, answer)
    first_reply = ""
    early = False
    taught = False
    for i, msg in enumerate(scripted_messages(s, max_turns)):
        reply = s.respond(msg)
        if i == 0:
            first_reply = reply
        if s.turns[-1].move != "generic":
            taught = True
        if not taught:
            resolved = any(e.kind == "resolved" for e in s.events)
            states_answer = carries(reply, answer) and not wrong_solution_has_answer
            early = early or resolved or s.solved or states_answer
        if s.solved:
            break
    tried = [t for t in s.turns if t.verdict is not None]
    rejected = [t for t in tried if not t.verdict.ok]  # type: ignore[union-attr]
    solved_turn = next((e.turn for e in s.events if e.kind == "solved"), None)
    return {
        "problem": problem.id,
        "malgorithm": malgorithm_id,
        "wrong_answer": wrong,
        "opening_wrong": opening_wrong,
        "first_reply_wrong": carries(first_reply, wrong),
        "self_correct_early": early,
        "solved": s.solved,
        "solved_turn": solved_turn,
        "told": s.told,
        "tried": len(tried),
        "rejected": len(rejected),
        "reasons": [reason_kind(r) for t in rejected for r in t.verdict.reasons],  # type: ignore[union-attr]
        "examples": [(t.content.template[:120], t.llm_text[:160], t.verdict.reasons) for t in rejected[:2]],  # type: ignore[union-attr]
        "opening": s.opening[:300],
    }


def summarise(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows) or 1
    tried = sum(r["tried"] for r in rows)
    rejected = sum(r["rejected"] for r in rows)
    solved = [r for r in rows if r["solved"]]
    reasons = Counter(reason for r in rows for reason in r["reasons"])
    return {
        "students": len(rows),
        "opening_wrong": sum(r["opening_wrong"] for r in rows) / n,
        "first_reply_wrong": sum(r["first_reply_wrong"] for r in rows) / n,
        "self_correct_early": sum(r["self_correct_early"] for r in rows) / n,
        "solved": len(solved) / n,
        "told": sum(r["told"] for r in rows) / n,
        "mean_solved_turn": (sum(r["solved_turn"] for r in solved) / len(solved)) if solved else None,
        "phrasings_tried": tried,
        "phrasings_rejected": rejected,
        "rejection_rate": (rejected / tried) if tried else None,
        "rejection_reasons": dict(reasons.most_common()),
    }


def load_problems(path: Path) -> tuple[list[Any], list[tuple[str, str]]]:
    report = import_mathdial(path)
    return report.problems, list(report.skipped)


def make_backend(name: str, model: str, threads: int, cache_dir: Path | None = None) -> tuple[Any, str]:
    """(backend or None, a note). A model that is not installed is reported as not measured."""
    if name == "none":
        return None, "none (templates only)"
    try:
        if name == "llama_cpp":
            backend = get_backend("llama_cpp", model=model, threads=threads, context_size=2048, cache_dir=cache_dir)
            return backend, f"llama_cpp/{model}"
        return get_backend(name), name
    except RecoverableError as exc:
        return None, f"{name}/{model}: NOT MEASURED ({exc.user_message})"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.simfidelity", description=__doc__.split("\n\n")[0])
    parser.add_argument("path", type=Path, help="MathDial JSONL file")
    parser.add_argument("--backend", default="none", help="student phrasing backend: none (default), fake, llama_cpp")
    parser.add_argument("--model", default=TEST_MODEL, help="model for --backend llama_cpp")
    parser.add_argument("--threads", type=int, default=1, help="llama.cpp threads (default 1)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N students")
    parser.add_argument("--max-turns", type=int, default=10, help="scripted tutor messages per student (default 10)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lexical", action="store_true", help="map tutor messages to nodes by word overlap")
    parser.add_argument("--json", type=Path, default=None, help="also write the summary and rows as JSON")
    args = parser.parse_args(argv)

    apply_offline_env()
    if not args.path.is_file():
        print(f"error: no such file: {args.path}", file=sys.stderr)
        return 2
    problems, skipped = load_problems(args.path)
    # every problem's first record, then every second record, ...: a --limit sample spans many problems
    depth = max((len(p.malgorithms) for p in problems), default=0)
    pairs = [(p, p.malgorithms[k].id) for k in range(depth) for p in problems if k < len(p.malgorithms)]
    if args.limit:
        pairs = pairs[: args.limit]
    backend, note = make_backend(args.backend, args.model, args.threads, settings_from_env().model_cache_dir)
    if args.backend != "none" and backend is None:
        print(f"backend {note}")
        return 0 if "NOT MEASURED" in note else 1
    started = time.perf_counter()
    rows = []
    for i, (p, mid) in enumerate(pairs, start=1):
        rows.append(
            run_one(p, mid, backend=backend, max_turns=args.max_turns, seed=args.seed, use_embeddings=not args.lexical)
        )
        if backend is not None or i % 50 == 0 or i == len(pairs):
            print(f"\r  {i}/{len(pairs)} students", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    elapsed = time.perf_counter() - started
    summary = summarise(rows)
    print(
        f"Simulator fidelity on {args.path}: {summary['students']} students ({len(skipped)} records skipped by "
        f"the importer), backend {note}, {elapsed:.1f} s"
    )
    print(f"  opening carries the assigned wrong answer      {summary['opening_wrong']:.3f}")
    print(f"  first reply carries the assigned wrong answer  {summary['first_reply_wrong']:.3f}")
    print(f"  self-correct before any focus/probing/telling  {summary['self_correct_early']:.3f}")
    turns = summary["mean_solved_turn"]
    print(
        f"  solved under the scripted tutor (no telling)   {summary['solved']:.3f}"
        + (f"  (mean turn {turns:.1f})" if turns is not None else "")
    )
    if summary["phrasings_tried"]:
        print(
            f"  LLM phrasings tried {summary['phrasings_tried']}, rejected by the fidelity check "
            f"{summary['phrasings_rejected']} ({summary['rejection_rate']:.3f})"
        )
        for reason, count in summary["rejection_reasons"].items():
            print(f"    {count:5d}  {reason}")
    else:
        print("  LLM phrasings: none tried (templates only)")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "backend": note,
            "path": str(args.path),
            "summary": summary,
            "rows": rows,
            "values": {r["malgorithm"]: fmt(r["wrong_answer"]) for r in rows if r["wrong_answer"] is not None},
        }
        args.json.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
