"""knowledge.dialogues: real MathDial / SDB dialogues read by path, with stable ids, turn keys and the one split."""

from __future__ import annotations

import json

import pytest

from errors import ValidationError
from knowledge.dialogues import parse_mathdial_conversation, parse_sdb_dialogue, read_mathdial, read_source, split_part
from tests.shared_data import MATHDIAL, SDB, needs_mathdial, needs_sdb


def test_mathdial_turns_moves_and_named_students():
    turns = parse_mathdial_conversation(
        "Teacher: (probing)How did you get 4?|EOM|Mariana: I took 12 - 3 = 9.|EOM|Teacher: (telling)Add them.|EOM|"
        "Student: 15"
    )
    assert [t.role for t in turns] == ["teacher", "student", "teacher", "student"]
    assert [t.move for t in turns] == ["probing", None, "telling", None]
    assert turns[1].text == "I took 12 - 3 = 9." and turns[3].student_turn == 2 and turns[2].teacher_turn == 2


def test_sdb_code_block_belongs_to_the_student_turn_and_alts_to_the_assistant():
    turns = parse_sdb_dialogue(
        "User: it fails\nAssistant: What does it return?\n  <alt>Which line?\n"
        "User: I fixed it\n<code>\n1. def f(x):\n2.   return x\n</code>\nAssistant: Good.\n"
    )
    assert turns[1].alternatives == ["Which line?"]
    assert turns[2].code == "def f(x):\n  return x\n" and turns[2].student_turn == 2


def test_malformed_mathdial_record_is_named(tmp_path):
    path = tmp_path / "bad.jsonl"
    good = {"qid": 1, "conversation": "Teacher: (generic)Hi|EOM|Student: 4"}
    path.write_text(json.dumps(good) + "\n" + json.dumps({"qid": 2, "conversation": "no speaker here"}) + "\n")
    with pytest.raises(ValidationError, match=r"bad.jsonl:2 \(qid 2\)"):
        read_mathdial(path)
    path.write_text(json.dumps(good) + "\n{not json\n")
    with pytest.raises(ValidationError, match=r"bad.jsonl:2: invalid JSON"):
        read_mathdial(path)
    with pytest.raises(ValidationError, match="mathdial:PATH or sdb:DIR"):
        read_source("csv:x")


def test_split_is_by_problem_and_stable():
    assert split_part("6000025") == split_part("6000025")
    parts = {split_part(str(q)) for q in range(100)}
    assert parts == {"fit", "validate"}


@needs_mathdial
@needs_sdb
def test_real_files_read_whole():
    md = read_source(f"mathdial:{MATHDIAL}")
    sdb = read_source(f"sdb:{SDB}")
    assert len(md) == 402 and len({d.id for d in md}) == 402
    assert len(sdb) == 134 and all(d.problem_id.startswith("sdb-") for d in sdb)
    assert all({d.part for d in md if d.qid == q} == {split_part(q)} for q in {d.qid for d in md})
    assert sum(1 for d in sdb for t in d.student_turns if t.code) > 100


def test_sdb_code_after_a_teacher_line_belongs_to_the_next_student_turn():
    # the benchmark's layout in e.g. 11_40_palindrome_conversational_thread_3 (turn 9/10): the teacher asks for the
    # fix, the fixed code follows, then the student says it is fixed
    turns = parse_sdb_dialogue(
        "User: it fails\nAssistant: What operator should it use?\n  <alt>Which line?\n"
        "<code>\n1. def f(x):\n2.   return x\n</code>\nUser: I've fixed it!\nAssistant: Good.\n"
    )
    assert [t.role for t in turns] == ["student", "teacher", "student", "teacher"]
    assert turns[1].code == "" and turns[1].alternatives == ["Which line?"]
    assert turns[2].code == "def f(x):\n  return x\n" and turns[2].text == "I've fixed it!"


@needs_sdb
def test_real_sdb_fixed_code_is_the_students_submission():
    sdb = {d.id: d for d in read_source(f"sdb:{SDB}")}
    dialogue = sdb["11_40_palindrome_conversational_thread_3"]
    assert not any(t.code for t in dialogue.teacher_turns)
    turn = next(t for t in dialogue.student_turns if t.student_turn == 10)
    assert "if rev_string == string:" in turn.code and "fixed" in turn.text
    # no teacher turn anywhere in the benchmark carries code once a student turn follows it
    assert all(not t.code for d in sdb.values() for t in d.teacher_turns if t.index < len(d.turns) - 1)
