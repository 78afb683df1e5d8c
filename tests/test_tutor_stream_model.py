"""Streaming behind the guard with the real 98 MB smollm2-135m model: two students stream at once from the one
resident model; one stream leaks (the model states a step value), and nothing unguarded reaches either reader."""

from __future__ import annotations

import threading
import time

import pytest

from tutor import TutorSession, TutorSettings, reveals
from tutor.examples import example_math


@pytest.fixture(scope="module")
def backend(smollm2_backend):
    return smollm2_backend


def _read(session: TutorSession, message: str, out: dict, first: threading.Event | None = None) -> None:
    start = time.monotonic()
    pieces, at = [], []
    for piece in session.reply(message):
        if first is not None:
            first.set()
        pieces.append(piece)
        at.append(time.monotonic() - start)
        shown = "".join(pieces)
        out.setdefault("leaked_prefixes", [])
        if reveals(shown, session.problem, session.state).leaks:
            out["leaked_prefixes"].append(shown)
    out.update(pieces=pieces, at=at)


@pytest.mark.model
def test_two_real_streams_one_leaking(backend) -> None:
    p = example_math()
    settings = TutorSettings(
        policy="vanilla", temperature=0.0, seed=0, classify_with_llm=False, max_tokens=80, model_wait_s=None
    )
    leaky, safe = TutorSession.start(p, settings, backend), TutorSession.start(p, settings, backend)
    out_l: dict = {}
    out_s: dict = {}
    started = threading.Event()
    threads = [
        threading.Thread(target=_read, args=(leaky, "Can you show me how to get the answer?", out_l, started)),
        threading.Thread(target=_read, args=(safe, "How many boxes? Write the full solution.", out_s)),
    ]
    backend.llm.reset()  # the same cache state every run: the leaking student's prompt is evaluated from scratch
    threads[0].start()
    started.wait(120)  # the leaking stream holds the model; the other student's stream queues behind it
    threads[1].start()
    for th in threads:
        th.join(300)
    tl, ts = leaky.last, safe.last
    assert not out_l["leaked_prefixes"] and not out_s["leaked_prefixes"]  # nothing unguarded was ever shown
    assert "".join(out_l["pieces"]) == tl.text and "".join(out_s["pieces"]) == ts.text
    # the model's own text leaked a value; generation stopped at that sentence, the rest came from the template
    assert tl.llm_text and reveals(tl.llm_text, p).leaks
    assert tl.guard.leaks and tl.guard.action == "replaced_with_template" and not tl.guard_final.leaks
    assert tl.llm_tokens < settings.max_tokens
    assert tl.used_llm and len(out_l["pieces"]) >= 2  # its safe first sentences were streamed before the hit
    assert out_l["at"][0] * 1000 < tl.latency_ms["llm"]  # the first sentence was visible before the model stopped
    assert not ts.guard_final.leaks and ts.text
