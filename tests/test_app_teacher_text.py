"""What teachers read (issue 14, item 3): bidi and zero-width controls that students type or name themselves with
are shown as visible markers in transcripts, trace, annotations, session lists, exports and problem text, never
applied. In-process app context with a real SQLite store; no model."""

from __future__ import annotations

import csv
import io
import json
import unicodedata

from store import visible_controls
from ui import accounts, authoring, render, student, teacher
from ui.choices import problem_choices

RLO, LRI, PDI, ZWSP, BOM, WJ = "\u202e", "\u2066", "\u2069", "\u200b", "\ufeff", "\u2060"
HOSTILE = f"my answer is {RLO}01 = x{PDI} {ZWSP}ok{BOM}{WJ}{LRI}"


def applied_controls(text: str) -> list[str]:
    return [f"U+{ord(c):04X}" for c in text if unicodedata.category(c) == "Cf"]


def test_visible_controls_marks_each_control_and_keeps_the_rest():
    assert visible_controls(f"a{RLO}b{ZWSP}c") == "a⟦U+202E⟧b⟦U+200B⟧c"
    assert (
        visible_controls("plain text, ünïcode, 中文, tabs\tand\nnewlines")
        == "plain text, ünïcode, 中文, tabs\tand\nnewlines"
    )
    assert visible_controls("bell\x07") == "bell⟦U+0007⟧"
    assert visible_controls({"a": [f"x{RLO}", 3, None]}) == {"a": ["x⟦U+202E⟧", 3, None]}
    assert applied_controls(visible_controls(HOSTILE)) == []


def test_teacher_views_and_exports_show_controls_instead_of_applying_them(ctx):
    tok, t_user = accounts.create_first_teacher(ctx, "teach", "teachpass1")
    code = accounts.create_class(ctx, tok, "Period 1").join_code
    s_tok, _ = accounts.register_student(ctx, "mallory", "mallorypass1", code, display_name=f"Mal{RLO}yrol")
    pid = next(p.id for p in student.catalogue(ctx, s_tok) if p.domain == "math")
    view = student.start(ctx, s_tok, pid)
    list(student.send(ctx, s_tok, view.session_id, HOSTILE))
    teacher.annotate(ctx, tok, view.session_id, 1, f"looks {ZWSP}odd{RLO}", True)
    evil = authoring.add_math_problem(
        ctx, tok, title=f"Evil{RLO} title", statement=f"Compute {RLO}2+2{PDI}.", steps="add | 2+2 | 4", answer="4"
    ).id

    sessions = teacher.transcripts(ctx, tok)
    rows = render.session_rows(sessions)
    assert "Mal⟦U+202E⟧yrol" in rows[0] and applied_controls(json.dumps(rows, ensure_ascii=False)) == []
    t = teacher.transcript(ctx, tok, view.session_id)
    assert "⟦U+202E⟧01 = x⟦U+2069⟧" in t.html and "looks ⟦U+200B⟧odd" in t.html
    assert applied_controls(t.html) == []
    assert (
        applied_controls(
            json.dumps(
                [x.model_dump() for x in t.turns] + [a.model_dump() for a in t.annotations] + [t.session.model_dump()],
                ensure_ascii=False,
            )
        )
        == []
    )
    for fmt in ("csv", "jsonl"):
        path = teacher.export(ctx, tok, fmt)
        text = path.read_text(encoding="utf-8")
        assert applied_controls(text) == [], fmt
        assert "⟦U+202E⟧01 = x" in text and "Mal⟦U+202E⟧yrol" in text and "⟦U+200B⟧odd" in text, fmt
    cells = list(csv.DictReader(io.StringIO(teacher.export(ctx, tok, "csv").read_text(encoding="utf-8"))))
    assert any(c["text"].startswith("my answer is ⟦U+202E⟧") for c in cells)
    assert ("Evil⟦U+202E⟧ title (math, medium)", evil) in problem_choices(ctx, tok)
    tree = json.loads(authoring.tree_text(ctx, tok, evil))
    tree["nodes"][0]["concept"] += f" {RLO}sdrawkcab"
    authoring.save_tree(ctx, tok, evil, json.dumps(tree))
    assert "⟦U+202E⟧sdrawkcab" in authoring.tree_text(ctx, tok, evil)
    headers, mrows = teacher.mastery(ctx, tok)
    assert applied_controls(json.dumps(mrows, ensure_ascii=False)) == []
    # what the student typed is stored as typed: only what teachers read is marked
    assert RLO in ctx.store.turns(view.session_id)[1].text


def test_the_marked_set_is_every_format_and_control_character_of_this_python():
    import sys

    expected = {
        chr(c)
        for c in range(sys.maxunicode + 1)
        if unicodedata.category(chr(c)) == "Cf" or (unicodedata.category(chr(c)) == "Cc" and chr(c) not in "\t\n\r")
    }
    text = "".join(sorted(expected))
    assert visible_controls(text).count("⟦") == len(expected)
