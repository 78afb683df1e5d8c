"""Turns off the shared pools: each call or stream runs on a thread of its own, the event loop stays free, past the
bound the answer is Busy at once, and a consumer that leaves closes the generator on its thread."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time

import pytest

from errors import Busy, InputError
from ui.offload import Offload, handler


def test_a_call_runs_on_its_own_thread_and_returns_or_raises():
    pool = Offload(limit=4)

    def where(x: int) -> tuple[int, int]:
        return threading.get_ident(), x * 2

    async def main() -> tuple[int, tuple[int, int]]:
        return threading.get_ident(), await pool.call(where, 21)

    loop_thread, (worker, value) = asyncio.run(main())
    assert value == 42 and worker != loop_thread

    def fails() -> None:
        raise InputError("no")

    with pytest.raises(InputError, match="no"):
        asyncio.run(pool.call(fails))
    assert pool.in_flight == 0


def test_past_the_bound_the_answer_is_busy_at_once():
    pool = Offload(limit=2)
    gate = threading.Event()

    async def main() -> None:
        held = [asyncio.ensure_future(pool.call(gate.wait, 10)) for _ in range(2)]
        await asyncio.sleep(0.05)
        assert pool.in_flight == 2
        t0 = time.monotonic()
        with pytest.raises(Busy, match="busy"):
            await pool.call(time.sleep, 0)
        assert time.monotonic() - t0 < 0.5
        gate.set()
        assert await asyncio.gather(*held) == [True, True]
        assert await pool.call(lambda: "free again") == "free again"

    asyncio.run(main())
    assert pool.in_flight == 0


def test_many_sleeping_calls_are_not_held_to_a_pool_of_forty():
    """120 calls that each sleep 1 s: through a pool of 40 threads they would take 3 s; here about 1 s."""
    pool = Offload(limit=256)

    async def main() -> float:
        t0 = time.monotonic()
        await asyncio.gather(*(pool.call(time.sleep, 1.0) for _ in range(120)))
        return time.monotonic() - t0

    assert asyncio.run(main()) < 2.5


def test_a_stream_yields_in_order_and_the_loop_stays_free():
    pool = Offload(limit=4)
    threads: set[int] = set()

    def slow_words():
        for w in ("one", "two", "three"):
            threads.add(threading.get_ident())
            time.sleep(0.2)  # blocking work between items
            yield w

    async def main() -> tuple[list[str], int]:
        ticks = 0

        async def ticker() -> None:
            nonlocal ticks
            while True:
                await asyncio.sleep(0.01)
                ticks += 1

        tick = asyncio.ensure_future(ticker())
        got = [w async for w in pool.stream(slow_words)]
        tick.cancel()
        return got, ticks

    got, ticks = asyncio.run(main())
    assert got == ["one", "two", "three"]
    assert ticks >= 20  # the loop ran its other task all along the 0.6 s of blocking work
    assert threading.get_ident() not in threads and len(threads) == 1
    assert pool.in_flight == 0


def test_a_stream_raises_the_generators_error():
    pool = Offload(limit=4)

    def breaks():
        yield 1
        raise InputError("broken")

    async def main() -> list[int]:
        got = []
        with pytest.raises(InputError, match="broken"):
            async for x in pool.stream(breaks):
                got.append(x)
        return got

    assert asyncio.run(main()) == [1]


def test_a_consumer_that_leaves_closes_the_generator_on_its_thread():
    pool = Offload(limit=4)
    closed = threading.Event()
    closer: list[int] = []

    def endless():
        try:
            n = 0
            while True:
                n += 1
                yield n
                time.sleep(0.01)
        finally:
            closer.append(threading.get_ident())
            closed.set()

    async def main() -> None:
        agen = pool.stream(endless)
        assert await agen.__anext__() == 1
        await agen.aclose()

    asyncio.run(main())
    assert closed.wait(5) and closer[0] != threading.get_ident()
    for _ in range(100):
        if pool.in_flight == 0:
            break
        time.sleep(0.01)
    assert pool.in_flight == 0


def test_handler_makes_async_handlers_and_maps_busy():
    pool = Offload(limit=1)

    def gen(x: int):
        yield x
        yield x + 1

    def fn(x: int) -> int:
        return x * 3

    agen_fn, co_fn = (
        handler(gen, on_busy=lambda e: RuntimeError(e.user_message), pool=pool),
        handler(fn, on_busy=lambda e: RuntimeError(e.user_message), pool=pool),
    )
    assert inspect.isasyncgenfunction(agen_fn) and inspect.iscoroutinefunction(co_fn)
    assert list(inspect.signature(agen_fn).parameters) == ["x"]

    async def main() -> None:
        assert [v async for v in agen_fn(1)] == [1, 2]
        assert await co_fn(2) == 6
        gate = threading.Event()
        held = asyncio.ensure_future(pool.call(gate.wait, 10))
        await asyncio.sleep(0.05)
        with pytest.raises(RuntimeError, match="busy"):
            await co_fn(1)
        with pytest.raises(RuntimeError, match="busy"):
            [v async for v in agen_fn(1)]
        gate.set()
        await held

    asyncio.run(main())
