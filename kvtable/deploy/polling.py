"""Polling something until nothing about it is pending, with progress and a deadline."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from kvtable.console.errors import ToolError
from kvtable.console.progress import ProgressLine


@dataclass(frozen=True)
class Poller:
    """How a wait polls: where progress goes, how often, and the sleep and clock (a test's fakes)."""

    out: TextIO
    poll_seconds: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def until_settled(
        self, look: Callable[[], list[str]], label: str, limit_seconds: float, timeout_message: str
    ) -> float:
        """Call `look` each poll until it returns no pending phrase; return the seconds that took. Past
        `limit_seconds` it raises ToolError(timeout_message); `look` raises to stop sooner."""
        start = self.clock()
        progress = ProgressLine(self.out)
        while True:
            pending = look()
            elapsed = self.clock() - start
            if not pending:
                return elapsed
            progress.waiting(label, "; ".join(pending), elapsed)
            if elapsed > limit_seconds:
                raise ToolError(timeout_message)
            self.sleep(self.poll_seconds)
