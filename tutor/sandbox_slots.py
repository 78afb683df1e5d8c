"""Fair turns at the sandbox: a first-come-first-served semaphore of run slots (two per core), and at most one code
run in flight per student.

    with SLOTS.run():            # around one sandbox run (tutor.sandbox.run_tests): waits its turn in FIFO order
        ...
    turn = SLOTS.claim(owner)    # a student's code turn; StillRunning while that student has one in flight
    try:
        ahead = turn.join()      # 0: it holds a slot now; else how many runs are queued ahead of it (a notice)
        turn.wait(timeout)       # Busy when no slot came in time
        ...                      # runs on this thread reuse the turn's slot (a turn may run the sandbox twice)
    finally:
        turn.close()

A sleeping or looping submission holds its slot until the wall timeout; past the slots, runs queue here in order
instead of all competing for the cores at once, and one student cannot fill the queue with their submissions.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections import deque
from collections.abc import Hashable, Iterator

from errors import Busy, InputError

STILL_RUNNING = "Your earlier code is still running; wait for its result, then send again."
NO_SLOT = "The tutor is busy running other students' code; send again in a moment."


class StillRunning(InputError):
    """The student already has a code run in flight."""


def default_slots() -> int:
    """Two sandbox runs per core this process may use."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return 2 * max(1, cores)


class Ticket:
    """A place at a FifoSemaphore: granted now, or queued behind `ahead` others."""

    def __init__(self, sem: FifoSemaphore, ahead: int) -> None:
        self.sem, self.ahead = sem, ahead
        self._granted = threading.Event()
        self._gone = False  # released, or withdrawn from the queue
        if ahead == 0:
            self._granted.set()

    @property
    def granted(self) -> bool:
        return self._granted.is_set() and not self._gone

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the slot is this ticket's (True), or withdraw from the queue after `timeout` (False)."""
        if self._granted.wait(timeout):
            return not self._gone
        return self.sem._withdraw(self)

    def release(self) -> None:
        """Give back the slot (or the place in the queue). Idempotent."""
        self.sem._release(self)


class FifoSemaphore:
    """`size` slots, handed out in the order they were asked for (a freed slot goes straight to the oldest waiter,
    so a newcomer cannot take it first)."""

    def __init__(self, size: int) -> None:
        if size < 1:
            raise ValueError("a semaphore needs at least one slot")
        self.size = size
        self._free = size
        self._queue: deque[Ticket] = deque()
        self._lock = threading.Lock()

    @property
    def in_use(self) -> int:
        with self._lock:
            return self.size - self._free

    @property
    def waiting(self) -> int:
        with self._lock:
            return len(self._queue)

    def join(self) -> Ticket:
        """A slot now if one is free and nobody waits, else a place at the end of the queue (never blocks)."""
        with self._lock:
            if self._free and not self._queue:
                self._free -= 1
                return Ticket(self, 0)
            ticket = Ticket(self, len(self._queue) + 1)
            self._queue.append(ticket)
            return ticket

    def acquire(self, timeout: float | None = None) -> Ticket | None:
        """A granted ticket, or None when none came within `timeout`."""
        ticket = self.join()
        return ticket if ticket.wait(timeout) else None

    def _withdraw(self, ticket: Ticket) -> bool:
        with self._lock:
            if ticket._granted.is_set():  # granted just as the wait ran out: it is ours after all
                return not ticket._gone
            ticket._gone = True
            self._queue.remove(ticket)
            return False

    def _release(self, ticket: Ticket) -> None:
        with self._lock:
            if ticket._gone:
                return
            ticket._gone = True
            if not ticket._granted.is_set():  # still queued: just leave the queue
                self._queue.remove(ticket)
                return
            if self._queue:
                self._queue.popleft()._granted.set()  # the slot passes to the oldest waiter
            else:
                self._free += 1


class CodeTurn:
    """One student's code turn: their claim (one at a time) and, once joined, their slot or place in the queue."""

    def __init__(self, runs: SandboxSlots, owner: Hashable) -> None:
        self.runs, self.owner = runs, owner
        self.ticket: Ticket | None = None

    def join(self) -> int:
        """Take a slot, or a place in the queue; returns how many runs are ahead (0: the slot is held now)."""
        if self.ticket is None:
            self.ticket = self.runs.slots.join()
            if self.ticket.granted:
                self.runs._local.turn = self
        return self.ticket.ahead if not self.ticket.granted else 0

    def wait(self, timeout: float | None = None) -> None:
        """Block until the turn holds a slot; Busy (nothing ran) when none came within `timeout`."""
        self.join()
        assert self.ticket is not None
        if not self.ticket.wait(timeout):
            raise Busy(NO_SLOT, f"no sandbox slot for {self.owner!r} within {timeout} s")
        self.runs._local.turn = self

    @property
    def holding(self) -> bool:
        return self.ticket is not None and self.ticket.granted

    def close(self) -> None:
        if self.ticket is not None:
            self.ticket.release()
        if getattr(self.runs._local, "turn", None) is self:
            self.runs._local.turn = None
        self.runs._forget(self)


class SandboxSlots:
    def __init__(self, size: int | None = None) -> None:
        self.slots = FifoSemaphore(size or default_slots())
        self._owners: dict[Hashable, CodeTurn] = {}
        self._lock = threading.Lock()
        self._local = threading.local()

    def claim(self, owner: Hashable) -> CodeTurn:
        """The owner's code turn; StillRunning while they have another in flight."""
        with self._lock:
            if owner in self._owners:
                raise StillRunning(STILL_RUNNING, f"{owner!r} sent code while their earlier run was in flight")
            turn = self._owners[owner] = CodeTurn(self, owner)
            return turn

    def _forget(self, turn: CodeTurn) -> None:
        with self._lock:
            if self._owners.get(turn.owner) is turn:
                del self._owners[turn.owner]

    @contextlib.contextmanager
    def run(self) -> Iterator[None]:
        """Hold a slot for one sandbox run: the slot of this thread's code turn, else a fresh one (in FIFO order;
        no timeout: every run ahead ends by its wall timeout)."""
        turn: CodeTurn | None = getattr(self._local, "turn", None)
        if turn is not None and turn.holding:
            yield
            return
        ticket = self.slots.acquire()
        assert ticket is not None
        try:
            yield
        finally:
            ticket.release()


SLOTS = SandboxSlots()
