"""Real streaming behind the guard (fake backend): sentences are released as they end and only after the checks;
a leak stops generation; two concurrent streams stay apart; a busy model answers from the template at once;
the model is called only for measured move kinds."""

from __future__ import annotations

import threading
import time

import pytest

from inference import FakeBackend
from inference.common import ModelBusy, ModelGate
from tutor import TutorSession, TutorSettings, reveals, voice
from tutor.examples import example_math
from tutor.prompts import REVOICE_EXAMPLES
from tutor.revoice_checks import revoice_reason, template_revoices
from tutor.stream import Sentences
from tutor.voice import decided_question


def test_sentences_end_at_punctuation_followed_by_space() -> None:
    cut = Sentences()
    assert cut.feed("You got 0.4 cu") == []
    assert cut.feed("ps for $3.50 each. Wh") == ["You got 0.4 cups for $3.50 each."]
    assert cut.feed("at now?\nOk") == ["What now?"]
    assert cut.rest() == "Ok"


def test_revoice_puts_one_checked_sentence_between_the_feedback_and_the_question() -> None:
    full = "You are stuck on how the pencils go into the boxes. And more text here."
    fake = FakeBackend([full], delay_s=0.01)
    s = TutorSession.start(example_math(), TutorSettings(classify_with_llm=False), fake)
    pieces = list(s.reply("I'm stuck on the pencils and boxes"))
    t = s.last
    assert t.voice == "revoice" and t.used_llm and "".join(pieces) == t.text
    assert "You are stuck on how the pencils go into the boxes." in t.text
    assert "And more text" not in t.text  # one sentence only; generation stopped there
    assert fake.chunks_sent[-1] < len(full.split())
    assert t.text.endswith(decided_question(t.template_text))  # the decided question closes the reply verbatim
    assert t.text.index("You are stuck") < t.text.index(decided_question(t.template_text))
    # the revoice prompt has the student's words and no earlier tutor turn
    assert "I'm stuck on the pencils and boxes" in fake.history[-1][-1].content
    assert s.opening not in " ".join(m.content for m in fake.history[-1])
    assert {"first_visible", "llm", "total"} <= set(t.latency_ms)


@pytest.mark.parametrize(
    "bad, why",
    [
        ("You got it right with the boxes.", "verdict"),
        ("You should put 5 pencils in each of the boxes.", "number"),
        ("I am stuck on the boxes.", "student"),
        ("You see the boxes, but what do you think about them?", "question"),
        ("The boxes hold the pencils.", "speak to the student"),
    ],
)
def test_a_bad_revoice_sentence_leaves_the_template_alone(bad: str, why: str) -> None:
    s = TutorSession.start(example_math(), TutorSettings(classify_with_llm=False), FakeBackend([bad]))
    text = "".join(s.reply("I'm stuck on the boxes"))
    t = s.last
    assert text == t.template_text and not t.used_llm and t.llm_rejected and why in t.llm_rejected
    assert t.guard.action == "llm_rejected"


def _consume(session: TutorSession, message: str, fake: FakeBackend, out: dict) -> None:
    pieces, seen = [], []
    for piece in session.reply(message):
        pieces.append(piece)
        seen.append(sum(fake.chunks_sent))  # how far the model was when this piece reached the reader
        so_far = "".join(pieces)
        assert not reveals(so_far, session.problem, session.state).leaks, so_far
    out.update(pieces=pieces, seen=seen)


def test_two_concurrent_streams_one_of_which_leaks() -> None:
    p = example_math()
    safe_text = "Think about what one box holds. How many pencils are in the boxes? Then count the boxes."
    leak_text = "Look at the boxes first. The answer is 9 boxes, since 72 / 8 = 9. Then you are done."
    safe, leaky = FakeBackend([safe_text], delay_s=0.01), FakeBackend([leak_text], delay_s=0.01)
    a = TutorSession.start(p, TutorSettings(policy="vanilla", classify_with_llm=False), safe)
    b = TutorSession.start(p, TutorSettings(policy="vanilla", classify_with_llm=False), leaky)
    ra: dict = {}
    rb: dict = {}
    threads = [
        threading.Thread(target=_consume, args=(a, "no idea", safe, ra)),
        threading.Thread(target=_consume, args=(b, "no idea", leaky, rb)),
    ]
    for th in threads:
        th.start()
    for th in threads:
        th.join(10)
    ta, tb = a.last, b.last
    # the safe stream: its sentences were released one by one, the first long before the model finished
    assert ta.used_llm and ra["pieces"][0].strip() == "Think about what one box holds."
    assert ra["seen"][0] < len(safe_text.split())
    assert "".join(ra["pieces"]) == ta.text and "How many pencils are in the boxes?" in ta.text
    # the leaking stream: its first sentence was released, the leak never was, generation stopped at it
    assert "".join(rb["pieces"]) == tb.text and tb.text.startswith("Look at the boxes first.")
    assert "9" not in tb.text.split() and "9 boxes" not in tb.text and not tb.guard_final.leaks
    assert tb.guard.leaks and tb.guard.action == "replaced_with_template" and tb.llm_rejected.startswith("leak")
    assert leaky.chunks_sent[0] < len(leak_text.split())
    assert "?" in tb.text  # the decided question follows the released sentence
    assert a.history[-1][1] == ta.text and b.history[-1][1] == tb.text  # each session kept its own words


def test_a_busy_model_means_the_template_at_once_and_the_trace_says_so() -> None:
    p = example_math()
    fake = FakeBackend(["Think about the boxes. " * 40], delay_s=0.05, serial=True)
    first = TutorSession.start(p, TutorSettings(policy="vanilla", classify_with_llm=False), fake)
    second = TutorSession.start(p, TutorSettings(classify_with_llm=False, model_wait_s=0.1), fake)
    running = first.reply("no idea")
    next(running)  # the first student's model call now holds the model
    start = time.monotonic()
    text = "".join(second.reply("I'm stuck on the boxes"))
    waited = time.monotonic() - start
    t = second.last
    assert text == t.template_text and not t.used_llm and "busy" in t.voice_note
    assert waited < 2.0  # it did not wait for the first student's 40 sentences
    running.close()  # the reader went away: the first turn is recorded, the model is stopped
    assert first.last is not None and first.last.turn == 1 and fake.chunks_sent[0] < 120


def test_the_gate_refuses_at_once_when_the_queue_is_longer_than_the_budget() -> None:
    gate = ModelGate("m")
    gate.avg_s = 5.0
    with gate.hold(None):
        t0 = time.monotonic()
        with pytest.raises(ModelBusy), gate.hold(1.0):
            pass
        assert time.monotonic() - t0 < 0.5  # refused by the estimate, not by waiting out the budget
    with gate.hold(1.0) as waited:
        assert waited < 0.5


def test_closing_a_stream_early_stops_the_model_and_records_the_turn() -> None:
    fake = FakeBackend(["Think about the boxes. " * 30], delay_s=0.02)
    s = TutorSession.start(example_math(), TutorSettings(policy="vanilla", classify_with_llm=False), fake)
    it = s.reply("no idea")
    next(it)
    it.close()
    time.sleep(0.2)
    assert s.last is not None and s.last.text and fake.chunks_sent[0] < 90
    "".join(s.reply("I'm stuck"))  # the session goes on
    assert len(s.trace) == 2


class _Unmeasured(FakeBackend):
    name = "llama_cpp"  # a real backend's name: gated by the measured acceptance


def test_the_model_is_called_only_for_measured_move_kinds(monkeypatch: pytest.MonkeyPatch) -> None:
    backend = _Unmeasured(["You are stuck on the boxes."], model="m")
    monkeypatch.setattr(voice, "measured", lambda: {})
    s = TutorSession.start(example_math(), TutorSettings(classify_with_llm=False), backend)
    text = "".join(s.reply("I'm stuck on the boxes"))
    assert text == s.last.template_text and not backend.history and "not measured" in s.last.voice_note
    rows = {
        "m": {
            "revoice": {
                "kinds": {
                    k: {"n": 10, "acceptance": 0.7}
                    for k in ("focus", "probing", "hint", "probe", "redirect", "bottom_out")
                }
            }
        }
    }
    monkeypatch.setattr(voice, "measured", lambda: rows)
    "".join(s.reply("I'm still stuck on the boxes"))
    assert backend.history and s.last.voice == "revoice" and "0.70" in s.last.voice_note
    rows["m"]["revoice"]["kinds"] = {k: {"n": 3, "acceptance": 1.0} for k in rows["m"]["revoice"]["kinds"]}
    "".join(s.reply("I don't know the boxes"))
    assert "n=3" in s.last.voice_note and not s.last.voice


def test_revoice_rules() -> None:
    said = "I divided 28 by 2 and got 14 fish in each tank"
    assert revoice_reason("You divided 28 by 2 and got 14 fish in each tank.", said) is None
    assert "operation" in revoice_reason("You added 28 and 2 to get 14 fish.", said)
    assert "number" in revoice_reason("You divided 28 by 2 and got 14, so 7 each.", said)
    assert "not about" in revoice_reason("You are thinking hard about this today.", said)
    assert "verdict" in revoice_reason("You got it exactly with 14 fish.", said)
    assert "repeats" in revoice_reason(
        "You divided 28 by 2 and got 14 fish.", said, ["You divided 28 by 2 and got 14 fish."]
    )


def test_the_prompts_own_examples_pass_the_revoice_gate() -> None:
    # an example the gate rejects teaches the model to write drafts that are thrown away
    for student, sentence in REVOICE_EXAMPLES:
        assert revoice_reason(sentence, student) is None, sentence


def test_on_success_the_decided_words_come_first_and_the_revoice_after() -> None:
    fake = FakeBackend(["You divided 72 by 8 and got 9 boxes."])
    s = TutorSession.start(example_math(), TutorSettings(classify_with_llm=False), fake)
    pieces = list(s.reply("72 / 8 = 9 boxes"))
    t = s.last
    assert t.plan_kind == "success" and t.used_llm
    assert pieces[0].strip() == t.template_text and t.text.endswith("You divided 72 by 8 and got 9 boxes.")


def test_no_model_when_the_template_already_says_the_students_value_back() -> None:
    statement = "Jo has 3 boxes of pencils and 2 loose pencils, 26 pencils in all."
    assert template_revoices("I see 52; how did you get there?", "is it 52?", statement)
    assert not template_revoices("Which numbers do we need?", "is it 52?", statement)
    assert not template_revoices("What do the 26 pencils tell us?", "26 pencils", statement)  # a given, not theirs
