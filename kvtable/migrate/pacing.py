"""A capacity budget shared by a run's workers: a token bucket filled at so many units a second and
drawn on by what each write reports it consumed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable


class CapacityBudget:
    """Up to `units_per_second` on average, with a second's worth at once. A write is let through while
    the bucket holds anything, then its ConsumedCapacity is taken out, so the bucket may go below zero and
    the next writes wait until it is refilled: the average holds whatever a write turns out to cost."""

    def __init__(self, units_per_second: float, *, clock: Callable[[], float] = time.monotonic) -> None:
        if units_per_second <= 0:
            raise ValueError(f"units_per_second must be above zero, got {units_per_second}")
        self.rate = float(units_per_second)
        self._clock = clock
        self._tokens = self.rate
        self._updated = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.rate, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    def delay(self) -> float:
        """Seconds to wait before the next write may go (0 when the bucket holds anything)."""
        with self._lock:
            self._refill()
            return 0.0 if self._tokens > 0 else (-self._tokens) / self.rate + 1e-3

    def take(self, stop: threading.Event) -> bool:
        """Wait until a write may go; False when `stop` is set meanwhile."""
        while (wait := self.delay()) > 0:
            if stop.wait(wait):
                return False
        return not stop.is_set()

    def spend(self, units: float) -> None:
        """Take what a write consumed out of the bucket."""
        with self._lock:
            self._refill()
            self._tokens -= units
