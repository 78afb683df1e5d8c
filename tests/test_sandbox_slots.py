"""The sandbox's run slots: first come first served, a timeout that leaves the queue, one code run per student,
and the runs of a turn reusing its slot; then through the real sandbox, runs beyond the slots wait their turn."""

from __future__ import annotations

import threading
import time

import pytest

import tutor.sandbox
from errors import Busy
from tutor.sandbox import SandboxLimits, run_tests
from tutor.sandbox_slots import FifoSemaphore, SandboxSlots, StillRunning, default_slots


def test_slots_are_two_per_core():
    assert default_slots() >= 2 and default_slots() % 2 == 0
    with pytest.raises(ValueError):
        FifoSemaphore(0)


def test_waiters_get_the_slot_in_the_order_they_asked():
    sem = FifoSemaphore(1)
    holder = sem.acquire()
    assert holder is not None and sem.in_use == 1
    tickets = [sem.join() for _ in range(5)]
    assert [t.ahead for t in tickets] == [1, 2, 3, 4, 5] and sem.waiting == 5
    order: list[int] = []

    def wait(i: int) -> None:
        assert tickets[i].wait(10)
        order.append(i)
        time.sleep(0.01)
        tickets[i].release()

    threads = [threading.Thread(target=wait, args=(i,)) for i in reversed(range(5))]  # started in reverse
    for th in threads:
        th.start()
    time.sleep(0.05)
    holder.release()
    for th in threads:
        th.join(10)
    assert order == [0, 1, 2, 3, 4]
    assert sem.in_use == 0 and sem.waiting == 0


def test_a_freed_slot_goes_to_the_waiter_not_to_a_newcomer():
    sem = FifoSemaphore(1)
    holder = sem.acquire()
    waiter = sem.join()
    holder.release()
    newcomer = sem.join()
    assert waiter.granted and not newcomer.granted and newcomer.ahead == 1
    waiter.release()
    assert newcomer.granted
    newcomer.release()
    newcomer.release()  # idempotent
    assert sem.in_use == 0


def test_a_wait_that_times_out_leaves_the_queue():
    sem = FifoSemaphore(1)
    holder = sem.acquire()
    assert sem.acquire(timeout=0.05) is None
    assert sem.waiting == 0
    holder.release()
    assert sem.in_use == 0 and sem.acquire(timeout=0) is not None


def test_one_code_run_per_student():
    slots = SandboxSlots(4)
    turn = slots.claim("ann")
    with pytest.raises(StillRunning, match="still running"):
        slots.claim("ann")
    other = slots.claim("bob")  # another student is not held up
    assert turn.join() == 0 and other.join() == 0
    turn.close()
    other.close()
    slots.claim("ann").close()  # after the first run, the next one is fine
    assert slots.slots.in_use == 0


def test_runs_inside_a_turn_reuse_its_slot_and_others_wait():
    slots = SandboxSlots(1)
    turn = slots.claim("ann")
    turn.wait(1)
    with slots.run(), slots.run():  # the same thread: the turn's slot, no deadlock
        pass
    entered = threading.Event()

    def other() -> None:
        with slots.run():
            entered.set()

    th = threading.Thread(target=other)
    th.start()
    assert not entered.wait(0.2)  # another thread's run waits for the slot
    turn.close()
    assert entered.wait(5)
    th.join(5)
    assert slots.slots.in_use == 0


def test_a_turn_that_gets_no_slot_in_time_is_busy():
    slots = SandboxSlots(1)
    first = slots.claim("ann")
    first.wait(1)
    second = slots.claim("bob")
    assert second.join() == 1  # queued: one ahead
    with pytest.raises(Busy, match="busy"):
        second.wait(0.05)
    second.close()
    assert slots.slots.waiting == 0
    first.close()
    assert slots.slots.in_use == 0
    slots.claim("bob").close()


@pytest.mark.slow
def test_real_runs_beyond_the_slots_queue(monkeypatch):
    """Three sleeping submissions through the real sandbox with one slot: they run one after the other."""
    monkeypatch.setattr(tutor.sandbox, "SLOTS", SandboxSlots(1))
    code = "import time\ntime.sleep(1.0)\ndef f():\n    return 1\n"
    limits = SandboxLimits(wall_s=5)
    spans: list[tuple[float, float]] = []

    def one() -> None:
        t0 = time.monotonic()
        r = run_tests(code, tests=["assert f() == 1"], entry_point="f", limits=limits)
        assert r.passed, r
        spans.append((t0, time.monotonic()))

    threads = [threading.Thread(target=one) for _ in range(3)]
    t0 = time.monotonic()
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert len(spans) == 3
    assert time.monotonic() - t0 >= 3.0  # serialised: each holds the one slot for its second of sleep
