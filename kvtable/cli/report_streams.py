"""The process's stdout and stderr as report streams: a reader that goes away never stops the work.

`kvtable deploy ... | head -1` must still protect its stack: once a write or flush of a report
stream fails (the pipe's reader closed it, the terminal hung up), that stream drops whatever follows
and the command runs to its end with the exit code it earned. The failed descriptor is pointed at
the null device, so that Python's own last flush at exit has nowhere to fail ("Exception ignored").

This module imports nothing beyond the standard library's core: the process's entry guards its
streams before anything else loads.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from typing import TextIO, cast


class ReportStream(io.TextIOBase):
    """A text stream that passes writes to `stream` until one fails, then drops them all.

    `flush_first` is flushed before each write: stderr flushes stdout, so that with `2>&1` an error
    line comes after the report it belongs to."""

    def __init__(self, stream: TextIO, flush_first: ReportStream | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.flush_first = flush_first
        # The first write or flush that failed; every write since is dropped.
        self.failure: OSError | None = None

    def write(self, text: str) -> int:
        """Write `text`, or drop it once the stream has failed; its length either way."""
        if self.flush_first is not None:
            self.flush_first.flush()
        if self.failure is None:
            try:
                self.stream.write(text)
            except OSError as error:
                self._failed(error)
        return len(text)

    def flush(self) -> None:
        """Flush the stream, unless it has failed (then there is nothing left to deliver)."""
        if self.failure is None:
            try:
                self.stream.flush()
            except OSError as error:
                self._failed(error)
            except ValueError:
                pass  # closed underneath, as Python's own streams are late at exit: nothing to deliver

    def _failed(self, error: OSError) -> None:
        self.failure = error
        try:
            descriptor = self.stream.fileno()
        except (OSError, ValueError):
            return  # not a descriptor (an in-memory stream): nothing is left to fail at exit
        # What is still buffered for the closed descriptor now drains into the null device.
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, descriptor)
        finally:
            os.close(null)
        # What the buffer kept but cannot write even to the null device is dropped too.
        with contextlib.suppress(OSError, ValueError):
            self.stream.flush()

    def isatty(self) -> bool:
        """Whether the stream is a terminal (progress bars redraw their line only there)."""
        return self.stream.isatty()

    def fileno(self) -> int:
        """The underlying file descriptor."""
        return self.stream.fileno()

    def writable(self) -> bool:
        """A report stream is written to."""
        return True

    # io.TextIOBase's are read-only properties that answer None; typeshed calls them attributes.
    @property
    def encoding(self) -> str:  # type: ignore[override]
        """The underlying stream's encoding."""
        return self.stream.encoding

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        """The underlying stream's error handler."""
        return self.stream.errors


def guard_report_streams() -> tuple[ReportStream, ReportStream]:
    """Make sys.stdout and sys.stderr report streams (once per process); return them."""
    out, err = sys.stdout, sys.stderr
    if not isinstance(out, ReportStream):
        out = ReportStream(_or_null_device(out))
        sys.stdout = cast(TextIO, out)
    if not isinstance(err, ReportStream):
        err = ReportStream(_or_null_device(err), flush_first=out)
        sys.stderr = cast(TextIO, err)
    return out, err


def _or_null_device(stream: TextIO | None) -> TextIO:
    # Python leaves a stream None when its descriptor was closed before the process began (`>&-`).
    if stream is not None:
        return stream
    return open(os.devnull, "w", encoding="utf-8")  # the process's stream, open until it ends


def finish_report_streams(program: str) -> None:
    """Deliver what is buffered, and say on stderr if stdout failed other than by its reader going away."""
    out, err = guard_report_streams()
    out.flush()
    failure = out.failure
    if failure is not None and failure.errno not in (errno.EPIPE, errno.EINVAL):
        # A full disk or a lost terminal, not a closed pipe: whoever reads stdout gets less than it all.
        err.write(f"{program}: warning: stdout failed ({failure.strerror}); what followed was not written\n")
    err.flush()
