"""Failed logins, sign-ups and join codes, counted per account and per client; past a few, the next try waits."""

from __future__ import annotations

import random
import time

from store import Store

MAX_FAILURES = 5  # failed logins (or wrong join codes) per account and per client before a wait
WINDOW_S = 900.0  # failures older than this are forgotten
BASE_WAIT_S = 30.0  # the first wait; it doubles with each further failure, up to WINDOW_S


class Throttle:
    """Failed attempts per key (an account or a client address) in a sliding window; past MAX_FAILURES the key waits,
    longer with each further failure. The failures are rows in the store, so every app worker on one database (and a
    restarted one) counts the same attempts: a guesser gets MAX_FAILURES tries per window in all. Times are wall-clock
    Unix seconds, which the workers share."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def wait_s(self, key: str, now: float | None = None) -> float:
        now = time.time() if now is None else now
        fails = self.store.failures_since(key, now - WINDOW_S)
        if len(fails) < MAX_FAILURES:
            return 0.0
        wait = min(WINDOW_S, BASE_WAIT_S * 2 ** (len(fails) - MAX_FAILURES))
        return max(0.0, fails[-1] + wait - now)

    def fail(self, key: str) -> None:
        now = time.time()
        self.store.record_failure(key, now)
        if random.random() < 0.01:  # now and then, drop what the window has forgotten (bounds the table)
            self.store.forget_failures(now - WINDOW_S)

    def longest_wait_s(self, *keys: str) -> float:
        """Seconds until every one of the keys may try again (0 when none has to wait)."""
        return max((self.wait_s(k) for k in keys if k), default=0.0)
