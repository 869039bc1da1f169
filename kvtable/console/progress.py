"""Progress on long waits (restores, index backfills, replicas): elapsed time, and lines worth printing."""

from dataclasses import dataclass
from typing import TextIO

PROGRESS_EVERY_SECONDS = 60.0


def elapsed_text(seconds: float) -> str:
    """`4m05s`, or `2h03m00s` past an hour: waits here run from seconds to hours."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{secs:02d}s" if hours else f"{minutes}m{secs:02d}s"


@dataclass
class ProgressLine:
    """Prints a waiting line when what is pending changes, and otherwise once a minute, not every poll."""

    out: TextIO
    _last_state: str = ""
    _last_print: float = -PROGRESS_EVERY_SECONDS

    def waiting(self, label: str, state: str, elapsed: float) -> None:
        """Report `state` (what is still pending) after `elapsed` seconds, if it is news or a minute old."""
        if state != self._last_state or elapsed - self._last_print >= PROGRESS_EVERY_SECONDS:
            self.out.write(f"  {label}: waiting for {state} ({elapsed_text(elapsed)} elapsed)\n")
            self.out.flush()
            self._last_state, self._last_print = state, elapsed


@dataclass
class ProgressBar:
    """A one-line bar for work counted in items: done, percent, rate and ETA when the total is known.

    On a terminal it redraws one line, at most every `every` seconds; elsewhere (a log) it prints a
    line every ten times that, so a long load leaves a readable trail."""

    out: TextIO
    total: int | None
    started: float
    what: str = "keys"
    every: float = 0.5
    _last: float = float("-inf")

    def line(self, done: int, now: float) -> str:
        """The progress line after `done` items at time `now`."""
        elapsed = max(now - self.started, 1e-9)
        rate = done / elapsed
        text = f"{done:,} {self.what}"
        if self.total:
            width = 24
            filled = min(width, width * done // self.total)
            text = f"[{'#' * filled}{'.' * (width - filled)}] {done:,}/{self.total:,} {self.what} ({done / self.total:.0%})"
        text += f", {rate:,.0f} {self.what}/s, {elapsed_text(elapsed)} elapsed"
        if self.total and rate > 0 and done < self.total:
            text += f", ETA {elapsed_text((self.total - done) / rate)}"
        return text

    def update(self, done: int, now: float) -> None:
        """Show `done`, if enough time has passed since the last line."""
        terminal = self.out.isatty()
        if now - self._last < (self.every if terminal else 10 * self.every):
            return
        self._last = now
        self.out.write(("\r" if terminal else "") + self.line(done, now) + ("" if terminal else "\n"))
        self.out.flush()

    def finish(self, done: int, now: float) -> None:
        """The last line, always shown, ending the bar."""
        terminal = self.out.isatty()
        self.out.write(("\r" if terminal else "") + self.line(done, now) + "\n")
        self.out.flush()
