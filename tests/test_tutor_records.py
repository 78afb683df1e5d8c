"""The session's records: the dialogue is derived from the opening and the trace (no parallel list); step 2 for
code returns a typed `CodeTurn`; a streamed reply records its turn once, whether read to the end or closed early;
the command line names an unknown problem instead of crashing."""

from __future__ import annotations

import pytest

from inference import FakeBackend, NoneBackend
from knowledge.types import Problem
from tutor import TutorSession, TutorSettings
from tutor.__main__ import main
from tutor.examples import example_code, example_math
from tutor.judging_code import CodeTurn, update_code
from tutor.state import KnowledgeState
from tutor.understand import understand
from tutor.voice import decided_question


def _code(text: str) -> str:
    return "```python\n" + text + "\n```"


def test_the_dialogue_is_the_opening_then_each_traced_message_and_reply() -> None:
    s = TutorSession.start(example_math(), TutorSettings(), NoneBackend())
    assert s.history == [("tutor", s.opening)] and s.tutor_messages == [s.opening]
    shown = ["".join(s.reply(message)) for message in ("hi", "I got 5", "I'm stuck")]
    assert s.history == [
        ("tutor", s.opening),
        ("student", "hi"),
        ("tutor", shown[0]),
        ("student", "I got 5"),
        ("tutor", shown[1]),
        ("student", "I'm stuck"),
        ("tutor", shown[2]),
    ]
    assert s.tutor_messages == [s.opening, *shown] == [text for role, text in s.history if role == "tutor"]
    assert [t.text for t in s.trace] == shown


def test_a_cut_message_is_recorded_as_the_tutor_read_it() -> None:
    s = TutorSession.start(example_math(), TutorSettings(max_message_chars=100), NoneBackend())
    "".join(s.reply("I got 5 " + "x" * 300))
    role, text = s.history[1]
    assert role == "student" and len(text) == 100 and s.last.input_truncated and text == s.last.student_message


def test_a_streamed_reply_closed_early_is_recorded_once_and_joins_the_dialogue() -> None:
    fake = FakeBackend(["You are stuck on how the pencils go into the boxes. And more text here."], delay_s=0.01)
    s = TutorSession.start(example_math(), TutorSettings(classify_with_llm=False), fake)
    stream = s.reply("I'm stuck on the pencils and boxes")
    assert s.streaming and s.trace == [] and len(s.history) == 1  # nothing is recorded before the reply ends
    first = next(stream)  # the decided feedback, at once
    stream.close()
    assert not s.streaming and len(s.trace) == 1 and s.last.voice == "revoice"
    assert s.last.text.startswith(first) and s.last.text.endswith(decided_question(s.last.template_text))
    assert s.history[-1] == ("tutor", s.last.text)
    assert s.history[-2] == ("student", "I'm stuck on the pencils and boxes")
    "".join(s.reply("I'm stuck"))  # the next turn starts from the recorded one
    assert [t.turn for t in s.trace] == [1, 2] and len(s.history) == 5


def _judge(problem: Problem, message: str, **kwargs) -> tuple[CodeTurn, KnowledgeState]:
    s = TutorSession.start(problem, TutorSettings(), NoneBackend())
    understanding = understand(message, problem.statement, None, use_llm=False, domain="code")
    turn = update_code(
        understanding,
        problem,
        s.tree,
        s.state,
        1,
        s.state.current_node(),
        s._diagnose,
        sandbox=s.settings.sandbox,
        **kwargs,
    )
    return turn, s.state


def test_code_judging_returns_the_evidence_and_the_sandbox_run() -> None:
    problem = example_code()
    failing, state = _judge(problem, _code(problem.buggy_code))
    assert isinstance(failing, CodeTurn) and failing.tests is not None and not failing.tests.passed
    assert failing.evidence.outcome == "wrong" and failing.evidence.judgement == "wrong"
    assert not state.solved and state.failed_count(state.current_node()) == 1
    fixed, state = _judge(problem, _code(problem.bugs[0].fixes[0].code))
    assert fixed.tests is not None and fixed.tests.passed and state.solved
    assert (fixed.evidence.outcome, fixed.evidence.judgement) == ("solved", "right")
    # a run recorded for the turn is replayed, not run again: the failing run stands for the fixed code
    replayed, state = _judge(problem, _code(problem.bugs[0].fixes[0].code), recorded=failing.tests)
    assert replayed.tests is failing.tests and replayed.evidence.outcome == "wrong" and not state.solved


def test_words_without_a_checkable_claim_judge_nothing() -> None:
    turn, state = _judge(example_code(), "hello there")
    assert turn.tests is None and (turn.evidence.outcome, turn.evidence.judgement) == ("none", "none")
    assert not state.solved


def test_cli_names_an_unknown_problem(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["nope"]) == 2
    err = capsys.readouterr().err
    assert "Unknown problem 'nope'" in err and "example-math" in err and "Traceback" not in err
