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
