"""Blocking turns off the shared worker pools: each runs on a thread of its own, with a bound on how many are in
flight at once.

    TURNS = Offload(limit=256)
    result = await TURNS.call(fn, *args)              # fn(*args) on its own thread
    async for item in TURNS.stream(gen_fn, *args):    # a sync generator, iterated on its own thread
        ...

Gradio's and Starlette's thread pools are shared by every handler and request (40 threads); a tutor turn that waits
for a sandbox slot, for a sleeping submission's wall timeout or for a model would hold one of them, and forty such
turns stalled every student. Here such a turn costs one thread that mostly sleeps, and the event loop only awaits
it. Past `limit` turns in flight, `Busy` is raised at once ("the tutor is busy", HTTP 503 in the API) instead of
queueing without end. If the awaiting side goes away (a closed browser tab), a streamed generator is closed on its
own thread at its next item (GeneratorExit inside it, as a sync consumer would do); a call runs to its end.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import inspect
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, TypeVar

from errors import Busy, RecoverableError

T = TypeVar("T")
BUSY = "The tutor is busy — send again in a moment."
MAX_TURNS = 256


class Offload:
    def __init__(self, limit: int = MAX_TURNS, name: str = "turn") -> None:
        if limit < 1:
            raise ValueError("limit must be at least 1")
        self.limit, self.name = limit, name
        self._in_flight = 0
        self._lock = threading.Lock()

    @property
    def in_flight(self) -> int:
        with self._lock:
            return self._in_flight

    def _enter(self) -> None:
        with self._lock:
            if self._in_flight >= self.limit:
                raise Busy(BUSY, f"{self._in_flight} {self.name}s in flight (limit {self.limit})")
            self._in_flight += 1

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _start(self, work: Callable[[], None]) -> None:
        """Run `work` on a new thread; `work` calls `_leave` before it hands its outcome over (so a caller that
        has the outcome never finds the bound still taken by it)."""
        try:
            threading.Thread(target=work, name=f"{self.name}-{id(work):x}", daemon=True).start()
        except BaseException:  # no thread could be started: nothing is in flight
            self._leave()
            raise

    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """`fn(*args, **kwargs)` on its own thread (in a copy of the caller's context); its result or its error."""
        self._enter()
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()
        ctx = contextvars.copy_context()

        def work() -> None:
            try:
                try:
                    result = ctx.run(fn, *args, **kwargs)
                finally:
                    self._leave()
            except BaseException as exc:  # noqa: BLE001 - handed to the awaiting side, which re-raises it
                _settle(loop, done, error=exc)
            else:
                _settle(loop, done, result=result)

        self._start(work)
        return await done

    async def stream(self, gen_fn: Callable[..., Iterator[T]], *args: Any, **kwargs: Any) -> AsyncIterator[T]:
        """Iterate `gen_fn(*args, **kwargs)` on its own thread, passing each item (then its end or error) over."""
        self._enter()
        loop = asyncio.get_running_loop()
        items: asyncio.Queue[tuple[str, Any]] = asyncio.Queue()
        stop = threading.Event()
        ctx = contextvars.copy_context()

        def put(kind: str, value: Any) -> None:
            with contextlib.suppress(RuntimeError):  # the loop is closed: nobody is listening any more
                loop.call_soon_threadsafe(items.put_nowait, (kind, value))

        def work() -> None:
            try:
                try:
                    gen = ctx.run(gen_fn, *args, **kwargs)
                    try:
                        while not stop.is_set():
                            try:
                                item = ctx.run(next, gen)
                            except StopIteration:
                                break
                            put("item", item)
                    finally:
                        ctx.run(gen.close)  # GeneratorExit inside it when the consumer left early
                finally:
                    self._leave()
            except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which re-raises it
                put("error", exc)
            else:
                put("end", None)

        self._start(work)
        try:
            while True:
                kind, value = await items.get()
                if kind == "item":
                    yield value
                elif kind == "error":
                    raise value
                else:
                    return
        finally:
            stop.set()


def _settle(
    loop: asyncio.AbstractEventLoop, fut: asyncio.Future, *, result: Any = None, error: BaseException | None = None
) -> None:
    def settle() -> None:
        if fut.done():  # the awaiting task was cancelled
            return
        if error is not None:
            fut.set_exception(error)
        else:
            fut.set_result(result)

    with contextlib.suppress(RuntimeError):
        loop.call_soon_threadsafe(settle)


TURNS = Offload()


def handler(
    fn: Callable[..., Any], on_busy: Callable[[RecoverableError], BaseException], pool: Offload = TURNS
) -> Callable[..., Any]:
    """An async (generator) event handler for a sync one, run through `pool`; `Busy` becomes `on_busy(exc)`."""
    if _is_generator_function(fn):

        @functools.wraps(fn)
        async def streamed(*args: Any, **kwargs: Any) -> AsyncIterator[Any]:
            try:
                async for item in pool.stream(fn, *args, **kwargs):
                    yield item
            except Busy as exc:
                raise on_busy(exc) from None

        return streamed

    @functools.wraps(fn)
    async def called(*args: Any, **kwargs: Any) -> Any:
        try:
            return await pool.call(fn, *args, **kwargs)
        except Busy as exc:
            raise on_busy(exc) from None

    return called


def _is_generator_function(fn: Callable[..., Any]) -> bool:
    return inspect.isgeneratorfunction(inspect.unwrap(fn))
