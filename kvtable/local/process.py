"""Start a server process on a free loopback port, and always stop it."""

import contextlib
import socket
import subprocess
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

LOOPBACK = "127.0.0.1"


class EngineStartError(RuntimeError):
    """A local engine did not start listening in time."""


class EngineMissingError(EngineStartError):
    """A local engine, or the Java it runs on, is not installed: a setting to fix, exit code 2."""


def free_loopback_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        port: int = sock.getsockname()[1]
        return port


def _listening(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((LOOPBACK, port)) == 0


@contextlib.contextmanager
def running_server(
    command: Sequence[str], port: int, log_path: Path, cwd: Path | None = None, timeout: float = 60.0
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` until the block ends, once `port` accepts connections; stop it even on error."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        try:
            deadline = time.monotonic() + timeout
            while not _listening(port):
                if process.poll() is not None:
                    raise EngineStartError(
                        f"{command[0]} exited with {process.returncode} before listening; see {log_path}"
                    )
                if time.monotonic() > deadline:
                    raise EngineStartError(f"{command[0]} did not listen on port {port} in {timeout:.0f}s")
                time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
