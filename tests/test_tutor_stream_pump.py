"""`Pump` (fake backend): cancel() returns only once the generating thread has stopped and handed the model
back; a pump stopped while it waits for the model generates at most one chunk; nothing reaches the reader after
cancel."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from inference import FakeBackend, Message, Options
from tutor import TurnTrace, TutorSession, TutorSettings, voice
from tutor.examples import example_math
from tutor.revoice_checks import revoice_early_reason, revoice_reason, salvage_long, settled
from tutor.stream import Pump

LONG = "Think about the boxes. " * 40
MESSAGES = [Message(role="user", content="no idea")]


def test_cancel_waits_for_the_generating_thread() -> None:
    fake = FakeBackend([LONG], delay_s=0.05, serial=True)
    pump = Pump(fake, MESSAGES, Options(max_tokens=200))
    first = next(iter(pump))
    assert first.strip() == "Think"
    assert pump.cancel(timeout=5.0)
    # the worker has stopped: no thread, the stream is closed, the end is recorded, the model is free
    assert not pump.running and pump.end is not None
    sent = fake.chunks_sent[0]
    time.sleep(0.2)
    assert fake.chunks_sent[0] == sent < 10  # nothing generated after cancel() returned
    assert fake.gate is not None and fake.gate.running_since is None
    with fake.gate.hold(0.0):  # a call with no wait budget gets the model at once
        pass


def test_a_pump_cancelled_while_waiting_for_the_model_does_not_start_it() -> None:
    fake = FakeBackend([LONG, "You are stuck."], delay_s=0.02, serial=True)
    holder = Pump(fake, MESSAGES, Options(max_tokens=200))
    next(iter(holder))  # the first call now holds the model
    waiting = Pump(fake, MESSAGES, Options(max_tokens=20))
    time.sleep(0.05)
    assert waiting.running  # queued behind the holder
    done = threading.Event()

    def stop_holder() -> None:
        time.sleep(0.1)
        holder.cancel()
        done.set()

    threading.Thread(target=stop_holder).start()
    waiting.stop()  # the reader went away before the waiting pump got the model
    assert waiting.cancel(timeout=5.0) and done.wait(5.0)
    # the waiting call either never started or stopped at its first chunk: at most one chunk generated for nobody
    assert waiting.generated <= 1 and waiting.deltas == 0
    assert list(waiting) == []


def test_the_reader_stops_on_cancel_even_with_queued_deltas() -> None:
    fake = FakeBackend([LONG])  # no delay: the worker runs ahead of the reader
    pump = Pump(fake, MESSAGES, Options(max_tokens=200))
    reader = iter(pump)
    next(reader)
    pump.cancel(timeout=5.0)
    assert list(reader) == []  # nothing after cancel reaches the reader
    assert pump.deltas == 1 and pump.generated >= 1


def _revoice_turn(model_text: str, student: str) -> tuple[FakeBackend, str, TurnTrace]:
    """One streamed math turn whose model writes `model_text`: (backend, the text shown, the turn's trace)."""
    fake = FakeBackend([model_text], delay_s=0.01)
    s = TutorSession.start(example_math(), TutorSettings(classify_with_llm=False), fake)
    text = "".join(s.reply(student))
    return fake, text, s.last


def test_a_revoice_sentence_that_cannot_pass_stops_the_model_before_it_ends() -> None:
    bad = "You got it right, and then you kept going with the boxes and the pencils in them all the way to the end."
    fake, text, t = _revoice_turn(bad, "I'm stuck on the boxes")
    assert text == t.template_text and not t.used_llm and "verdict" in t.llm_rejected
    assert t.guard.action == "llm_rejected"
    assert fake.chunks_sent[0] <= 5 < len(bad.split())  # stopped at 'right', not at the sentence end
    assert t.llm_tokens == fake.chunks_sent[0]


def test_early_reasons_never_reject_what_the_whole_sentence_would_pass() -> None:
    said = "I divided 28 by 2 and got 14 fish in each tank"
    good = "You divided 28 by 2 and got 14 fish in each tank."
    for i in range(len(good) + 1):
        assert revoice_early_reason(good[:i], said) is None, good[:i]
    assert revoice_reason(good, said) is None
    assert revoice_early_reason("You are close", said) is None  # 'close' may still become 'closer'
    assert "verdict" in revoice_early_reason("You are close to ", said)
    assert "operation" in revoice_early_reason("You added the ", said)
    assert "question" in revoice_early_reason("You did what? ", said)
    assert "student" in revoice_early_reason("I think ", said)
    assert "speak to the student" in revoice_early_reason("It seems ", said)
    assert revoice_early_reason("Yo", said) is None  # the first word is not complete yet


def test_a_revoice_that_copies_the_student_stops_at_its_first_word() -> None:
    copy = "Each box holds the same number of pencils as the other boxes do."
    fake, text, t = _revoice_turn(copy, "each box holds the same number of pencils")
    assert text == t.template_text and not t.used_llm and "speak to the student" in t.llm_rejected
    assert fake.chunks_sent[0] <= 3 < len(copy.split())


def test_a_revoice_naming_a_number_the_student_did_not_write_stops_at_that_number() -> None:
    bad = "You should put 5 pencils in each of the boxes and then count them all up again to be sure of it."
    fake, text, t = _revoice_turn(bad, "I'm stuck on the boxes")
    assert text == t.template_text and not t.used_llm and "number" in t.llm_rejected
    assert fake.chunks_sent[0] <= 7 < len(bad.split())  # stopped once '5' was followed by a word, not at the end


# (student, a revoicing sentence that passes): every prefix of it must be allowed to go on
PASSING_WITH_NUMBERS = [
    ("she has 3 bags with 4 apples so 3 times 4 is 12", "You multiplied the 3 bags by 4 apples each and got 12."),
    ("12 + 3 + 4 = 19 pencils", "You got 12 + 3 + 4 = 19 pencils in all."),
    ("12+3 is 16 I think", "You think 12 + 3 is 16 for now."),
    ("I took 20% of 50 and got 10", "You took 20 percent of 50 and got 10 there."),
    ("there are 2 1/2 cups left", "You have 2 1/2 cups left over there."),
    ("I added 3 to 4 and got 7", "You added 3 to 4 and got 7 apples."),
]


def test_the_early_number_check_never_rejects_a_prefix_of_a_passing_sentence() -> None:
    for said, good in PASSING_WITH_NUMBERS:
        assert revoice_reason(good, said) is None, good
        for i in range(len(good) + 1):
            assert revoice_early_reason(good[:i], said) is None, good[:i]
    assert "number" in revoice_early_reason("You got 12 + 3 + 5 = 20 pencils ", "12 + 3 + 4 = 19 pencils")
    assert revoice_early_reason("You got 12 + 3 ", "12 + 3 + 4 = 19") is None  # the expression may go on
    assert settled("You have 5 hundred") == "You have"
    assert settled("You took 20 percent of 50 apples") == "You took 20 percent of 50 apples"


def test_salvage_keeps_the_first_clause_of_a_draft_that_runs_too_long() -> None:
    long = (
        "You divided 72 by 8 to get the number of pencils in each box, then you multiplied the boxes by the "
        "pencils again to check the whole thing once more"
    )
    assert salvage_long(long) == "You divided 72 by 8 to get the number of pencils in each box."
    # a comma inside a list is no clause boundary, and a clause under 8 words is not kept
    assert salvage_long("You took the red, blue, green, yellow " + "and more pencils " * 8) is None
    assert salvage_long("You divided 72 by 8, then " + "you kept counting the pencils " * 5) is None


def test_a_too_long_revoice_shows_its_first_clause_and_stops_the_model() -> None:
    long = (
        "You divided 72 by 8 to get the number of pencils in each box, then you multiplied the boxes by the "
        "pencils again to check the whole thing once more and more and more."
    )
    fake, text, t = _revoice_turn(long, "72 / 8 = 9 pencils in each box")
    assert t.used_llm and t.llm_rejected is None
    assert "You divided 72 by 8 to get the number of pencils in each box." in text and "multiplied" not in text
    assert fake.chunks_sent[0] < len(long.split())  # stopped at the word limit, not at the sentence end
    # a clause that fails the gate is rejected like the whole draft
    verdict = long.replace("You divided", "You correctly divided")
    _, text, t = _revoice_turn(verdict, "72 / 8 = 9 pencils in each box")
    assert not t.used_llm and "verdict" in t.llm_rejected and "correctly" not in text


def test_the_revoice_goes_after_a_decided_first_sentence_and_never_first() -> None:
    # the student reads decided words at once while the model writes; a lone question gets no model sentence
    question = SimpleNamespace(kind="question", feedback="none")
    assert voice.revoice_parts("Yes, 5% is one of the facts. How could we use it?", question) == (
        "Yes, 5% is one of the facts.",
        "How could we use it?",
    )
    assert voice.revoice_parts("Which numbers do we need? Look again.", question) == (
        "",
        "Which numbers do we need? Look again.",
    )
    assert voice.revoice_parts("Which numbers do we need?", question)[0] == ""
    # a success has no question to keep last: its decided words all come first
    success = SimpleNamespace(kind="success", feedback="none")
    done = "Correct! You solved the whole problem yourself."
    assert voice.revoice_parts(done, success) == (done, "")
