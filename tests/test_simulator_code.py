"""The code path: wrong fixes fail the unit tests, accepted fixes pass, and a student sends the code it announces."""

from __future__ import annotations

import re

import pytest

from knowledge.bank import load_starter
from knowledge.dialogues import read_source
from knowledge.fixes import run_programs
from knowledge.importers import import_sdb
from knowledge.types import Problem
from simulator import StudentSession, builtin
from simulator.fidelity import announces_code, check, claims_change
from simulator.types import Content, Persona
from tests.problems import sum_problem
from tests.shared_data import SDB, needs_sdb
from tutor.sandbox import run_tests


def passes(code: str, problem: Problem) -> bool:
    """Run the unit tests on `code` through the tutor's sandbox."""
    return run_tests(code, problem).passed


def submitted(text: str) -> str:
    match = re.search(r"```python\n(.*?)```", text, re.S)
    assert match, text
    return match.group(1)


def code_problems() -> list[Problem]:
    return [sum_problem(), *[p for p in load_starter() if p.domain == "code"][:4]]


@pytest.mark.parametrize("problem", code_problems(), ids=lambda p: p.id)
def test_wrong_fix_fails_and_accepted_fix_passes(problem: Problem) -> None:
    for m in problem.malgorithms[:2]:
        s = StudentSession.start(problem, builtin("typical"), seed=0, malgorithm_id=m.id, use_embeddings=False)
        s.persona = Persona(resistance=0.0)
        wrong = submitted(s.opening)
        assert wrong == m.wrong_code and not s.solved
        assert not passes(wrong, problem)
        for node in s.tree.nodes:
            reply = s.respond(node.questions.focus[0])
            if s.solved:
                break
        assert s.solved, [t.text for t in s.turns]
        fixed = submitted(reply)
        assert fixed == s.last_code and s.last_code_accepted
        assert passes(fixed, problem)
        assert any(e.kind == "submitted" and e.detail == "accepted" for e in s.events)


def test_resistant_student_keeps_submitting_the_wrong_fix() -> None:
    problem = sum_problem()
    s = StudentSession.start(
        problem, Persona(resistance=1.0), seed=0, malgorithm_id="sim-sum-up-to-moves-start-only", use_embeddings=False
    )
    fix_node = s.tree.node("b0-fix")
    for k in range(6):
        reply = s.respond(fix_node.questions.focus[k % len(fix_node.questions.focus)])
        assert submitted(reply) == s.malgorithm.wrong_code
    assert not s.solved and not passes(s.last_code, problem)


def test_telling_the_fix_line_counts_as_told() -> None:
    problem = sum_problem()
    s = StudentSession.start(
        problem, Persona(resistance=1.0), seed=0, malgorithm_id="sim-sum-up-to-moves-start-only", use_embeddings=False
    )
    reply = s.respond("Change line 3 to `for i in range(1, n + 1):` and it will work.")
    assert s.told and s.solved
    assert passes(submitted(reply), problem)


@pytest.fixture(scope="module")
def sdb_problems() -> dict[str, Problem]:
    return {p.id: p for p in import_sdb(SDB).problems}


def _split(text: str) -> tuple[str, str]:
    """(prose, the code block sent or '')."""
    prose, _, rest = text.partition("```python\n")
    return prose.strip(), rest.rsplit("```", 1)[0] if rest else ""


@needs_sdb
@pytest.mark.parametrize("mode", ["typical", "quiet", "confused"])
def test_teacher_forced_sdb_students_send_the_code_they_announce(sdb_problems, mode) -> None:
    """Real SDB teacher turns to simulated students: a reply that announces code carries it, a reply that says it
    changed the code sends a program other than the one before, and each program sent passes the tests exactly
    when the simulator counts it as accepted (run in a subprocess here; a sample through the OS sandbox below)."""
    sent: dict[str, dict[str, bool]] = {}
    changed = announced = 0
    for d in read_source(f"sdb:{SDB}"):
        problem = sdb_problems.get(d.problem_id)
        if problem is None:
            continue
        s = StudentSession.start(problem, builtin(mode), seed=len(d.id), use_embeddings=False)
        for t in d.teacher_turns[:12]:
            s.respond(t.text)
        previous = problem.buggy_code
        for turn in s.turns:
            prose, code = _split(turn.text)
            if announces_code(prose):
                announced += 1
                assert code, (d.id, turn.turn, turn.text)
            if claims_change(prose):
                changed += 1
                assert code and code != previous, (d.id, turn.turn, turn.text)
            if code:
                assert code == turn.content.code
                sent.setdefault(problem.id, {})[code] = turn.content.accepted
                previous = code
    assert changed > 50 and announced > changed
    accepted = wrong = 0
    for pid, programs in sent.items():
        results = run_programs(list(programs), sdb_problems[pid].unit_tests)
        for (code, ok), r in zip(programs.items(), results, strict=True):
            assert r["passed"] == ok or code == sdb_problems[pid].buggy_code, (pid, code)
            accepted += ok
            wrong += not ok and code != sdb_problems[pid].buggy_code
    assert accepted >= 20 and wrong >= 5  # accepted fixes and wrong fixes both occur


@needs_sdb
def test_an_sdb_student_who_changes_its_code_is_run_in_the_sandbox(sdb_problems) -> None:
    problem = sdb_problems["sdb-3_20"]  # wrong fixes from its dialogue and partial fixes, a verified fix
    s = StudentSession.start(
        problem, Persona(resistance=0.0), seed=0, malgorithm_id="sdb-3_20-m0", use_embeddings=False
    )
    first = submitted(s.opening)
    assert first == problem.malgorithm("sdb-3_20-m0").wrong_code != problem.buggy_code
    assert not passes(first, problem)
    for node in s.tree.nodes:
        reply = s.respond(node.questions.focus[0])
        if s.solved:
            break
    assert s.solved
    fixed = submitted(reply)
    assert fixed != first and passes(fixed, problem)
    again = s.respond(s.tree.node("b0-fix").questions.focus[0])  # asked for the fix once more
    prose, code = _split(again)
    assert code == fixed and "changed" not in prose.lower()  # the same code again is not announced as a change


@needs_sdb
def test_a_student_without_a_verified_fix_says_so_and_sends_no_code(sdb_problems) -> None:
    real = sdb_problems["sdb-74_78"]  # as imported with verify=False, or a fix described only in prose
    bug = real.bugs[0].model_copy(update={"fixes": [f.model_copy(update={"code": ""}) for f in real.bugs[0].fixes]})
    problem = real.model_copy(update={"bugs": [bug]})
    s = StudentSession.start(problem, Persona(resistance=0.0), seed=0, use_embeddings=False)
    for node in s.tree.nodes:
        s.respond(node.questions.focus[0])
    assert s.hidden_state.all_known and not s.solved
    prose, code = _split(s.turns[-1].text)
    assert not code and "line" in prose


def test_the_fidelity_check_rejects_announced_code_that_is_not_sent() -> None:
    no_code = Content(kind="explain", template="I think the bug is on line 3.", values=[3.0])
    assert "announces code it does not send" in check("Line 3. Here's my new code:", no_code).reasons
    assert check("I'm pretty sure the bug is on line 3.", no_code).ok
    same = Content(
        kind="code", code="def f():\n    return 1\n", template="I haven't changed it yet, I still have this:"
    )
    assert "claims a change the decided reply does not make" in check("I changed it, here it is:", same).reasons
    assert check("I still have the same code:", same).ok
