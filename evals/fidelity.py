"""Teacher forcing: the real teacher turns of a dialogue, in order, to a simulated student seeded from that record.

    python -m evals fidelity mathdial:../shared/data/mathdial/dev.jsonl [--part validate] [--json OUT] [--limit N]
                                      [--seeds N]   # mean and range of the figures over N seeds
    python -m evals fidelity sdb:../shared/data/socratic-debugging [--json OUT]
    python -m evals fidelity mathdial:../shared/data/mathdial/dev.jsonl --fit   # refit simulator/transitions.json

For every real dialogue the simulated student (`simulator.student.StudentSession`) gets the record's wrong
solution as its malgorithm and the record's profile as its persona, and replies to each real teacher turn that the
real student replied to (a trailing teacher turn with no reply is not fed: the real student had no chance there).
The simulator classifies each teacher message itself (`simulator.moves.classify_move`); MathDial's gold move labels
are not shown to it.

Correctness of a reply, the same rule on both sides (MathDial's): a reply is `right` when it states the correct
final answer, `wrong` when it claims some other number (not a given of the problem), else `none`; its value is the
last claimed number. The first-correct turn is the teacher turn (1-based) whose reply is the first `right` one;
success@k = first-correct <= k. Reported real vs simulated: success@k (k = 1, 2, 4, 8, 12), mean first-correct turn,
the mean absolute gap where both are solved, solved-or-not agreement (solved within the fed turns), and turn-level
agreement over paired replies (same class; both right; both wrong; the same wrong value). SDB: a reply is `right`
when its code passes the problem's tests (the real student's code runs in the sandbox; the simulator's accepted
flag is the same verdict, from the importer's verified fixes).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

from errors import InputError, ValidationError
from evals.replay import load_problems, select_dialogues
from evals.replay_reference import numbers, question_givens, runnable
from knowledge.dialogues import RealDialogue
from knowledge.numbers import HALF_CENT, close, contains
from knowledge.types import Malgorithm, Problem
from simulator.personas import builtin, from_profile
from simulator.student import StudentSession
from simulator.transitions import load_transitions
from tutor.sandbox import run_tests

KS = (1, 2, 4, 8, 12)
Cls = Literal["right", "wrong", "none"]
PartChoice = Literal["fit", "validate", "all"]


@dataclass
class Exchange:
    """One teacher turn that the real student replied to, and that reply (student turns until the next teacher turn)."""

    teacher_turn: int  # 1-based among teacher turns
    teacher: str
    move: str | None  # MathDial's gold label (fit-time only; never shown to the simulator)
    reply: str
    code: str = ""


def exchanges(dialogue: RealDialogue) -> list[Exchange]:
    out: list[Exchange] = []
    current: Exchange | None = None
    for t in dialogue.turns:
        if t.role == "teacher":
            current = Exchange(teacher_turn=t.teacher_turn or 0, teacher=t.text, move=t.move, reply="")
            out.append(current)
        elif current is not None:
            current.reply = f"{current.reply} {t.text}".strip()
            current.code = (current.code + "\n" + t.code).strip("\n") if t.code else current.code
    return [e for e in out if e.reply or e.code]


def classify(text: str, answer: float, givens: set[float]) -> tuple[Cls, float | None]:
    """MathDial's rule: `right` when the reply states the final answer; else `wrong` with its last claimed value."""
    found = numbers(text)
    if contains(found, answer, floor=HALF_CENT):
        return "right", answer
    claims = [v for v in found if not contains(givens, v, floor=HALF_CENT)]
    return ("wrong", claims[-1]) if claims else ("none", None)


def first_right(classes: list[Cls]) -> int | None:
    return next((i + 1 for i, c in enumerate(classes) if c == "right"), None)


def dialogue_seed(dialogue_id: str, seed: int) -> int:
    return int.from_bytes(hashlib.sha256(f"{seed}:{dialogue_id}".encode()).digest()[:4], "big")


def malgorithm_for(dialogue: RealDialogue, problem: Problem) -> Malgorithm | None:
    """The record's own malgorithm: the one with its wrong solution (ids shift when the importer drops one)."""
    wanted = dialogue.incorrect_solution.strip()
    for m in problem.malgorithms:
        if wanted and m.wrong_solution.strip() == wanted:
            return m
    return None


def force_mathdial(
    dialogue: RealDialogue,
    problem: Problem,
    *,
    seed: int = 0,
    max_turns: int = 12,
    use_embeddings: bool = True,
    fitted: bool = True,
) -> dict[str, Any]:
    """One dialogue: real and simulated reply classes per fed teacher turn."""
    m = malgorithm_for(dialogue, problem)
    if m is None:
        raise ValidationError(f"{dialogue.id}: no imported malgorithm carries this record's wrong solution")
    answer = float(problem.answer if problem.answer is not None else 0.0)
    givens = question_givens(dialogue.question)
    session = StudentSession.start(
        problem,
        from_profile(dialogue.profile),
        seed=dialogue_seed(dialogue.id, seed),
        malgorithm_id=m.id,
        use_embeddings=use_embeddings,
        fitted=fitted,
    )
    fed = exchanges(dialogue)[:max_turns]
    real, sim = [], []
    for ex in fed:
        real.append(classify(ex.reply, answer, givens))
        sim.append(classify(session.respond(ex.teacher), answer, givens))
    return _row(dialogue, session, real, sim, gold=[ex.move for ex in fed])


def force_sdb(dialogue: RealDialogue, problem: Problem, *, seed: int = 0, max_turns: int = 12) -> dict[str, Any]:
    """One SDB dialogue: does the real student's code pass at each turn, does the simulated student's."""
    session = StudentSession.start(
        problem, builtin("typical"), seed=dialogue_seed(dialogue.id, seed), use_embeddings=False
    )
    fed = exchanges(dialogue)[:max_turns]
    real: list[tuple[Cls, float | None]] = []
    sim: list[tuple[Cls, float | None]] = []
    for ex in fed:
        if ex.code and runnable(ex.code, problem):
            real.append(("right" if run_tests(ex.code, problem).passed else "wrong", None))
        else:
            real.append(("none", None))
        session.respond(ex.teacher)
        turn = session.turns[-1]
        sim.append(("right" if turn.content.accepted else "wrong", None) if turn.content.code else ("none", None))
    return _row(dialogue, session, real, sim, gold=[None] * len(fed), malgorithms=len(problem.malgorithms))


def _row(dialogue: RealDialogue, session: StudentSession, real: list, sim: list, **extra: Any) -> dict[str, Any]:
    """One dialogue's row: both students' classes and values, the simulated persona and its moves, and `extra`."""
    rc, sc = [c for c, _ in real], [c for c, _ in sim]
    return {
        "dialogue": dialogue.id,
        "problem": dialogue.problem_id,
        "part": dialogue.part,
        "turns": len(real),
        "real": rc,
        "sim": sc,
        "real_values": [v for _, v in real],
        "sim_values": [v for _, v in sim],
        "real_first": first_right(rc),
        "sim_first": first_right(sc),
        "persona": session.persona.mode,
        "moves": [t.move for t in session.turns[1:]],
        **extra,
    }


def _rate(hits: int, n: int) -> dict[str, Any]:
    return {"value": round(hits / n, 3) if n else None, "n": n}


def metrics(rows: list[dict[str, Any]]) -> dict[str, Any]:
    n = len(rows)
    out: dict[str, Any] = {"dialogues": n}
    for side in ("real", "sim"):
        firsts = [r[f"{side}_first"] for r in rows]
        out[side] = {f"success@{k}": _rate(sum(1 for f in firsts if f is not None and f <= k), n) for k in KS}
        solved = [f for f in firsts if f is not None]
        out[side]["solved"] = _rate(len(solved), n)
        out[side]["mean_first_correct"] = round(sum(solved) / len(solved), 3) if solved else None
    both = [r for r in rows if r["real_first"] is not None and r["sim_first"] is not None]
    gap = sum(abs(r["real_first"] - r["sim_first"]) for r in both)
    out["first_correct_gap"] = {"value": round(gap / len(both), 3) if both else None, "n": len(both)}
    out["solved_agreement"] = _rate(sum((r["real_first"] is None) == (r["sim_first"] is None) for r in rows), n)
    out["success_gap"] = {
        f"success@{k}": (
            round(out["sim"][f"success@{k}"]["value"] - out["real"][f"success@{k}"]["value"], 3) if n else None
        )
        for k in KS
    }
    pairs = [
        (a, b, va, vb)
        for r in rows
        for a, b, va, vb in zip(r["real"], r["sim"], r["real_values"], r["sim_values"], strict=True)
    ]
    p = len(pairs)
    out["turns"] = {
        "paired": p,
        "same_class": _rate(sum(a == b for a, b, _, _ in pairs), p),
        "both_right": _rate(sum(a == b == "right" for a, b, _, _ in pairs), p),
        "both_wrong": _rate(sum(a == b == "wrong" for a, b, _, _ in pairs), p),
        "same_wrong_value": _rate(
            sum(
                a == b == "wrong" and va is not None and vb is not None and close(va, vb, floor=HALF_CENT)
                for a, b, va, vb in pairs
            ),
            p,
        ),
        "real_right_sim_not": _rate(sum(a == "right" and b != "right" for a, b, _, _ in pairs), p),
        "sim_right_real_not": _rate(sum(b == "right" and a != "right" for a, b, _, _ in pairs), p),
    }
    return out


def load(
    source: str, part: PartChoice = "all", limit: int | None = None
) -> tuple[list[tuple[RealDialogue, Problem]], list[tuple[str, str]]]:
    """(dialogue, its imported problem) pairs of a SOURCE, and (dialogue id, reason) for those that cannot be forced."""
    dialogues = select_dialogues(source, part, limit)
    problems = load_problems(source)
    pairs, skipped = [], []
    for d in dialogues:
        problem = problems.get(d.problem_id)
        if problem is None:
            skipped.append((d.id, "the importer skipped its problem"))
        elif d.source == "mathdial" and malgorithm_for(d, problem) is None:
            skipped.append((d.id, "the importer skipped its wrong solution"))
        elif not exchanges(d):
            skipped.append((d.id, "no teacher turn with a student reply"))
        else:
            pairs.append((d, problem))
    return pairs, skipped


def run(
    source: str,
    *,
    part: PartChoice = "all",
    limit: int | None = None,
    seed: int = 0,
    seeds: int = 1,
    max_turns: int = 12,
    use_embeddings: bool = True,
    fitted: bool = True,
    progress: bool = False,
) -> dict[str, Any]:
    """Teacher forcing over SOURCE; with seeds > 1 also the mean and range of the headline figures over the seeds
    seed .. seed + seeds - 1 (the rows and `metrics` are those of the first seed)."""
    if seeds < 1:
        raise InputError("--seeds must be at least 1")
    pairs, skipped = load(source, part, limit)
    per_seed = []
    for s in range(seed, seed + seeds):
        rows = []
        for i, (d, problem) in enumerate(pairs, start=1):
            if d.source == "mathdial":
                rows.append(
                    force_mathdial(
                        d, problem, seed=s, max_turns=max_turns, use_embeddings=use_embeddings, fitted=fitted
                    )
                )
            else:
                rows.append(force_sdb(d, problem, seed=s, max_turns=max_turns))
            if progress and i % 50 == 0:
                print(f"  seed {s}: {i}/{len(pairs)} dialogues", flush=True)
        per_seed.append(rows)
    rows = per_seed[0]
    provenance = load_transitions().provenance if fitted else {"fitted": "hand-set rules (--hand-set)"}
    out = {
        "source": source,
        "part": part,
        "seed": seed,
        "seeds": seeds,
        "max_turns": max_turns,
        "skipped": skipped,
        "transitions": provenance,
        "metrics": metrics(rows),
        "rows": rows,
    }
    if seeds > 1:
        out["over_seeds"] = over_seeds([metrics(r) for r in per_seed])
    if pairs and pairs[0][0].source == "sdb":
        out["sdb_malgorithms"] = sum(1 for r in rows if r.get("malgorithms"))
    return out


HEADLINE = (*(f"sim.success@{k}" for k in KS), "solved_agreement", "first_correct_gap", "turns.same_class")


def _get(m: dict[str, Any], key: str) -> float | None:
    for part in key.split("."):
        m = m[part]
    return m["value"]


def over_seeds(ms: list[dict[str, Any]]) -> dict[str, dict[str, float | None]]:
    """{figure: {mean, min, max}} over the seeds' metrics."""
    out: dict[str, dict[str, float | None]] = {}
    for key in HEADLINE:
        vals = [v for v in (_get(m, key) for m in ms) if v is not None]
        out[key] = (
            {"mean": round(sum(vals) / len(vals), 3), "min": min(vals), "max": max(vals), "n": len(vals)}
            if vals
            else {"mean": None, "min": None, "max": None, "n": 0}
        )
    return out


def summary(result: dict[str, Any]) -> str:
    m = result["metrics"]
    lines = [
        f"teacher forcing on {result['source']} (part {result['part']}): {m['dialogues']} dialogues, "
        f"{len(result['skipped'])} skipped; transitions {result['transitions'].get('fitted', 'unfitted')}"
    ]
    head = "".join(f"{'@' + str(k):>7}" for k in KS)
    lines.append(f"  {'':<10}{head}   solved  mean first-correct")
    for side, name in (("real", "real"), ("sim", "simulated")):
        s = m[side]
        cells = "".join(
            f"{s[f'success@{k}']['value'] if s[f'success@{k}']['value'] is not None else '-':>7}" for k in KS
        )
        lines.append(f"  {name:<10}{cells}   {s['solved']['value']}   {s['mean_first_correct']}")
    lines.append(
        f"  solved-or-not agreement {m['solved_agreement']['value']} (n={m['solved_agreement']['n']}); "
        f"mean |first-correct gap| {m['first_correct_gap']['value']} (n={m['first_correct_gap']['n']})"
    )
    t = m["turns"]
    lines.append(
        f"  turns: {t['paired']} paired; same class {t['same_class']['value']}, both right "
        f"{t['both_right']['value']}, both wrong {t['both_wrong']['value']}, same wrong value "
        f"{t['same_wrong_value']['value']}"
    )
    if "over_seeds" in result:
        o = result["over_seeds"]
        cells = "".join(f"{o[f'sim.success@{k}']['mean']:>7}" for k in KS)
        lines.append(f"  over {result['seeds']} seeds, mean (range): simulated {cells}")
        ranges = ", ".join(f"@{k} {o[f'sim.success@{k}']['min']}-{o[f'sim.success@{k}']['max']}" for k in KS)
        lines.append(f"    {ranges}")
        for key, name in (
            ("solved_agreement", "solved-or-not agreement"),
            ("first_correct_gap", "|first-correct gap|"),
            ("turns.same_class", "turns same class"),
        ):
            lines.append(f"    {name} {o[key]['mean']} ({o[key]['min']}-{o[key]['max']})")
    if "sdb_malgorithms" in result:
        lines.append(f"  SDB: {result['sdb_malgorithms']} of {m['dialogues']} dialogues' problems have a malgorithm")
    return "\n".join(lines)
