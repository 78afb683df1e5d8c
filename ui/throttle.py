"""Failed logins, sign-ups and join codes, counted per account and per client; past a few, the next try waits."""

from __future__ import annotations

import threading
import time

MAX_FAILURES = 5  # failed logins (or wrong join codes) per account and per client before a wait
WINDOW_S = 900.0  # failures older than this are forgotten
BASE_WAIT_S = 30.0  # the first wait; it doubles with each further failure, up to WINDOW_S


class Throttle:
    """Failed attempts per key (an account or a client address) in a sliding window; past MAX_FAILURES the key waits,
    longer with each further failure. Per process: each app worker throttles on its own (a guesser gets at most
    workers x MAX_FAILURES tries per window)."""

    def __init__(self) -> None:
        self._fails: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def wait_s(self, key: str, now: float | None = None) -> float:
        now = time.monotonic() if now is None else now
        with self._lock:
            fails = [t for t in self._fails.get(key, []) if now - t < WINDOW_S]
            self._fails[key] = fails
            if len(fails) < MAX_FAILURES:
                return 0.0
            wait = min(WINDOW_S, BASE_WAIT_S * 2 ** (len(fails) - MAX_FAILURES))
            return max(0.0, fails[-1] + wait - now)

    def fail(self, key: str) -> None:
        with self._lock:
            self._fails.setdefault(key, []).append(time.monotonic())
            if len(self._fails) > 100_000:  # bound the memory a flood of made-up names can take
                self._fails = {k: v for k, v in self._fails.items() if v and time.monotonic() - v[-1] < WINDOW_S}

    def longest_wait_s(self, *keys: str) -> float:
        """Seconds until every one of the keys may try again (0 when none has to wait)."""
        return max((self.wait_s(k) for k in keys if k), default=0.0)
