"""The sans-I/O protocol between the contract's operations and the fronts that drive them.

An operation is a generator: it yields instructions and receives their answers, and returns its result.
`Call` answers DynamoDB's answer (or has the transport's failure thrown in where it was yielded), `Sleep`
answers None once the time has passed, `Concurrently` answers `Finished` once its operations are done.
The operations do no I/O and never sleep: the sync front (`drive_sync`) and the async front
(`drive_async`) do, so the requests, the retries and the errors are written once for both."""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable, Iterator
from typing import Any, TypeVar

T = TypeVar("T")


# Plain classes with slots, not dataclasses: dataclasses imports inspect, which `kvtable.connect`'s path
# does without (tests/engine/contract/test_connect.py).


class Call:
    """Send `operation` once with `request`; the answer, or the transport's failure thrown in."""

    __slots__ = ("operation", "request")

    def __init__(self, operation: str, request: dict[str, Any]) -> None:
        self.operation, self.request = operation, request

    def __repr__(self) -> str:
        return f"Call({self.operation!r}, {self.request!r})"


class Sleep:
    """Wait `seconds` before going on (a backoff between tries)."""

    __slots__ = ("seconds",)

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __repr__(self) -> str:
        return f"Sleep({self.seconds!r})"


class Concurrently:
    """Run the operations `operations` gives, started in its order, at most `limit` at once; `on_done` is
    told each one's position and result as it finishes, in the driver's own thread. After the first
    failure, or once reading `operations` raises, no more start and those running finish."""

    __slots__ = ("limit", "on_done", "operations")

    def __init__(
        self, operations: Iterator[Operation[Any]], limit: int, on_done: Callable[[int, Any], None]
    ) -> None:
        self.operations, self.limit, self.on_done = operations, limit, on_done


class Finished:
    """What `Concurrently` answers: the first operation that failed (its position and error), and what
    reading the next operation raised, if anything did."""

    __slots__ = ("failure", "unread")

    def __init__(self, failure: tuple[int, Exception] | None = None, unread: Exception | None = None) -> None:
        self.failure, self.unread = failure, unread


Instruction = Call | Sleep | Concurrently
Operation = Generator[Instruction, Any, T]


def raise_failure(finished: Finished) -> None:
    """Raise what failed among `Concurrently`'s operations, as the one that failed raised it."""
    if finished.failure is not None:
        raise finished.failure[1]
    if finished.unread is not None:
        raise finished.unread


def settle(
    work: Concurrently, done: Iterable[Any], positions: dict[Any, int]
) -> tuple[int, Exception] | None:
    """Tell `work.on_done` of each operation in `done` (futures or tasks, taken out of `positions`) that
    succeeded, in their order; the first failure among them, if any. Anything worse than an Exception
    (an interruption) is raised."""
    failure: tuple[int, Exception] | None = None
    for finished in sorted(done, key=positions.__getitem__):
        position = positions.pop(finished)
        error = finished.exception()
        if error is None:
            work.on_done(position, finished.result())
        elif not isinstance(error, Exception):
            raise error
        elif failure is None:
            failure = (position, error)
    return failure


def one_at_a_time(work: Concurrently, run: Callable[[Operation[Any]], Any]) -> Finished:
    """Do `work` with a limit of 1: each operation run to its end by `run`, in order, until one fails."""
    position = 0
    while True:
        try:
            operation = next(work.operations, None)
        except Exception as error:
            return Finished(unread=error)
        if operation is None:
            return Finished()
        try:
            result = run(operation)
        except Exception as error:
            return Finished(failure=(position, error))
        work.on_done(position, result)
        position += 1
