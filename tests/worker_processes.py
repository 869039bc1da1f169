"""`kvtable` commands in processes of their own, as an operator or a scheduler starts them, and one of
several killed while it holds work: for the tests of work shared by N workers."""

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


def start_cli(argv: list[str], stdout: Any = subprocess.PIPE) -> subprocess.Popen[str]:
    """`kvtable argv` in a process of its own with this environment, stderr kept (stdout too by default)."""
    return subprocess.Popen(
        [sys.executable, "-m", "kvtable.cli.main", *argv],
        stdout=stdout,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


def frozen_when(process: subprocess.Popen[str], found: Callable[[], T | None], waited_for: str) -> T:
    """Stop `process` (SIGSTOP) once `found()` is not None, and that still so once its requests in flight
    have landed: what `found()` returned then, for a kill that leaves that work unfinished for certain."""
    deadline = time.monotonic() + 120
    while True:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"never {waited_for}"
        if found() is not None:
            process.send_signal(signal.SIGSTOP)
            time.sleep(0.3)  # a request sent before the stop reaches the engine meanwhile
            still = found()
            if still is not None:
                return still
            process.send_signal(signal.SIGCONT)
        time.sleep(0.01)


def outputs_with_one_killed(
    processes: list[subprocess.Popen[str]], killed: int, freeze: Callable[[], T]
) -> tuple[T, list[tuple[str, str]]]:
    """`freeze()`'s answer (it stops processes[killed] mid-work), then SIGKILL to that one and every
    process's stdout and stderr once all have ended; none is left running, even when a test fails."""
    try:
        frozen = freeze()
        processes[killed].send_signal(signal.SIGKILL)
        return frozen, [process.communicate(timeout=180) for process in processes]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()
