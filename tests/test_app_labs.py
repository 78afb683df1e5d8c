"""Rehearse and Evaluate (teacher only) through the app's services."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui import labs
from ui.context import AuthError


def test_rehearse_summarises_a_cohort(ctx, people):
    t_tok, s_tok = people.teacher, people.student
    out = labs.rehearse(ctx, t_tok, "math-trail-mix", n_students=3, max_turns=6)
    assert len(out.students) == 3 and [r[0] for r in out.students] == [
        "student1/typical",
        "student2/confused",
        "student3/quiet",
    ]
    problem = ctx.problem("math-trail-mix")
    assert [r[0] for r in out.nodes] == [n.id for n in problem.tree.nodes]
    assert 0 <= out.solved <= 3 and f"{out.solved} of 3" in out.summary
    assert set(out.never_reached) <= {n.id for n in problem.tree.nodes}
    with pytest.raises(AuthError):
        labs.rehearse(ctx, s_tok, "math-trail-mix")


def test_evaluate_runs_and_reports(ctx, people):
    t_tok, s_tok = people.teacher, people.student
    run_id = labs.start_eval(ctx, t_tok, name="tiny", policies=["tree"], domain="math", limit=1, max_turns=4, wait=True)
    rows = labs.eval_runs(ctx, t_tok)
    assert rows[0][0] == run_id and rows[0][2] == "done", ctx.store.list_eval_runs()[0].summary
    rep = labs.eval_report(ctx, t_tok, run_id)
    assert rep.metrics and any(str(r[1]).startswith("success") for r in rep.metrics)
    assert rep.plots and all(Path(p).is_file() for p in rep.plots) and Path(rep.html).is_file()
    assert Path(rep.html).is_relative_to(ctx.settings.data_dir)
    with pytest.raises(AuthError):
        labs.start_eval(ctx, s_tok, name="x", policies=["tree"])
    with pytest.raises(AuthError):
        labs.eval_report(ctx, s_tok, run_id)
