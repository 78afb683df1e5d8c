"""Fit the simulator's math transitions (`simulator/transitions.json`) by teacher forcing on MathDial's fit half.

    python -m evals fidelity mathdial:../shared/data/mathdial/dev.jsonl --fit

Each fit-half dialogue is observed as the simulated student would see it (`StudentSession.observe` on its initial
state: the move the classifier gives each real teacher turn, the node it maps to and that node's status, whether it
states the final answer or a step value). A turn is an exposure in its cell (persona mode x move x target); the
real student's first reply that states the final answer (MathDial's rule, evals.fidelity) is the event; turns after
it are not counted. A cure model: a share of students never resolve by questions (only telling and a stated answer
can move them); the others resolve at a constant per-cell rate. Fitted by EM; each mode's cell is shrunk towards
the pooled cell, the pooled cell towards its move (PRIOR pseudo-exposures each), so sparse cells stay sane.
Deterministic: the same file and code give the same numbers (observations use the dialogue's fixed seed).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from simulator.transitions import CELL_MOVES, PATH, TARGETS, TELLING_CELLS

PRIOR = 8.0
ITERATIONS = 200
NOTICE = ("Parameters fitted on MathDial (Macina et al., 2023, https://github.com/eth-nlped/mathdial), licensed "
          "CC BY-SA 4.0. This file is an adaptation of that data and is shared under CC BY-SA 4.0 "
          "(https://creativecommons.org/licenses/by-sa/4.0/); keep this notice with it.")
Obs = tuple[str, str, str]  # (mode, cell move, target)


def observe_dialogue(dialogue: Any, problem: Any, *, use_embeddings: bool = True) -> dict[str, Any]:
    """One dialogue's exposures up to the real first-correct turn, and whether that turn came."""
    from evals.fidelity import classify, dialogue_seed, exchanges, malgorithm_for
    from evals.replay_reference import _givens
    from simulator.personas import from_profile
    from simulator.state import target_of
    from simulator.student import StudentSession

    m = malgorithm_for(dialogue, problem)
    persona = from_profile(dialogue.profile)
    session = StudentSession.start(problem, persona, seed=dialogue_seed(dialogue.id, 0), malgorithm_id=m.id,
                                   use_embeddings=use_embeddings)
    answer = float(problem.answer if problem.answer is not None else 0.0)
    givens = _givens(dialogue.question)
    cells: list[Obs] = []
    event = False
    for ex in exchanges(dialogue)[:12]:
        move, match, revealed, answer_told = session.observe(ex.teacher)
        if answer_told:
            cell, target = "answer", "none"
        elif revealed:
            cell, target = "telling", target_of(session.hidden_state, revealed[0])
        else:
            cell, target = move, target_of(session.hidden_state, match.node_id if match else None)
        cells.append((persona.mode, cell, target))
        if classify(ex.reply, answer, givens)[0] == "right":
            event = True
            break
    return {"dialogue": dialogue.id, "cells": cells, "event": event}


def fit(observations: list[dict[str, Any]]) -> dict[str, Any]:
    """EM for the cure model (see the module docstring): {resolve, never_resolve, counts}."""
    modes = sorted({c[0] for o in observations for c in o["cells"]} | {"typical"})
    q = {mode: 0.1 for mode in modes}
    h: dict[Obs, float] = {(mo, mv, tg): 0.2 for mo in modes for mv in CELL_MOVES for tg in TARGETS}
    for _ in range(ITERATIONS):
        events: dict[Obs, float] = {}
        exposure: dict[Obs, float] = {}
        stuck: dict[str, list[float]] = {mode: [] for mode in modes}
        for o in observations:
            cells = o["cells"]
            mode = cells[0][0]
            last = len(cells) - 1
            l_free = l_stuck = 1.0
            for i, c in enumerate(cells):
                p = h[c]
                hit = o["event"] and i == last
                l_free *= p if hit else 1 - p
                l_stuck *= (p if hit else 1 - p) if c[1] in TELLING_CELLS else (0.0 if hit else 1.0)
            den = (1 - q[mode]) * l_free + q[mode] * l_stuck
            w = (1 - q[mode]) * l_free / den if den > 0 else 1.0  # P(not a never-resolver | what we saw)
            stuck[mode].append(1 - w)
            for i, c in enumerate(cells):
                weight = 1.0 if c[1] in TELLING_CELLS else w
                exposure[c] = exposure.get(c, 0.0) + weight
                if o["event"] and i == last:
                    events[c] = events.get(c, 0.0) + 1.0
        q = {mode: (sum(v) + PRIOR * 0.1) / (len(v) + PRIOR) for mode, v in stuck.items()}
        h = _shrunk(events, exposure, modes)
    counts = {f"{mo}/{mv}/{tg}": {"exposures": round(exposure.get((mo, mv, tg), 0.0), 2),
                                  "events": events.get((mo, mv, tg), 0.0)}
              for mo in modes for mv in CELL_MOVES for tg in TARGETS if exposure.get((mo, mv, tg))}
    resolve = {mo: {mv: {tg: round(h[(mo, mv, tg)], 4) for tg in TARGETS} for mv in CELL_MOVES} for mo in modes}
    return {"resolve": resolve, "never_resolve": {mo: round(v, 4) for mo, v in q.items()}, "counts": counts}


def _shrunk(events: dict[Obs, float], exposure: dict[Obs, float], modes: list[str]) -> dict[Obs, float]:
    def total(d: dict[Obs, float], mv: str, tg: str | None = None) -> float:
        return sum(v for (_, m, t), v in d.items() if m == mv and (tg is None or t == tg))

    all_e, all_x = sum(events.values()), sum(exposure.values())
    base = (all_e + 1.0) / (all_x + 5.0)
    out: dict[Obs, float] = {}
    for mv in CELL_MOVES:
        move_rate = (total(events, mv) + PRIOR * base) / (total(exposure, mv) + PRIOR)
        for tg in TARGETS:
            pooled = (total(events, mv, tg) + PRIOR * move_rate) / (total(exposure, mv, tg) + PRIOR)
            for mo in modes:
                e, x = events.get((mo, mv, tg), 0.0), exposure.get((mo, mv, tg), 0.0)
                out[(mo, mv, tg)] = min(0.999, (e + PRIOR * pooled) / (x + PRIOR))
    return out


def observe_source(source: str, *, limit: int | None = None, use_embeddings: bool = True) -> list[dict[str, Any]]:
    from evals.fidelity import load

    pairs, _ = load(source, "fit", limit)
    return [observe_dialogue(d, p, use_embeddings=use_embeddings) for d, p in pairs]


def fit_and_write(source: str, *, limit: int | None = None, use_embeddings: bool = True,
                  path: str | Path | None = None) -> Path:
    """Refit on the fit half of a MathDial SOURCE and write the transitions file atomically."""
    from errors import InputError
    from simulator.personas import BUILTIN

    kind, _, where = source.partition(":")
    if kind != "mathdial":
        raise InputError("--fit needs a MathDial source (mathdial:PATH): the transitions are fitted on MathDial")
    observations = observe_source(source, limit=limit, use_embeddings=use_embeddings)
    fitted = fit(observations)
    data = {
        "notice": NOTICE,
        "provenance": {
            "fitted": f"MathDial {Path(where).name} fit half",
            "data": Path(where).name,
            "data_sha256": hashlib.sha256(Path(where).read_bytes()).hexdigest(),
            "split": "knowledge.dialogues.split_part(qid) == 'fit'",
            "dialogues": len(observations),
            "limit": limit,
            "node_mapping": "embedding" if use_embeddings else "lexical",
            "command": f"python -m evals fidelity {source} --fit" + (f" --limit {limit}" if limit else "")
                       + ("" if use_embeddings else " --lexical"),
            "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d"),
        },
        "reference_resistance": {mode: BUILTIN[mode].resistance for mode in fitted["resolve"] if mode in BUILTIN},
        "resolve": fitted["resolve"],
        "never_resolve": fitted["never_resolve"],
        "counts": fitted["counts"],
    }
    out = Path(path) if path is not None else PATH
    fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(data, f, indent=1, sort_keys=False)
            f.write("\n")
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
