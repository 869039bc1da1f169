"""The sync front's driver: runs one of the contract's operations (kvtable/contract/instructions.py) on a
Transport, sleeping between tries with the `sleep` given, and running `Concurrently`'s operations one
after another (limit 1) or on a thread pool of `limit` threads."""

from __future__ import annotations

import contextvars
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from kvtable.contract.instructions import (
    Call,
    Concurrently,
    Finished,
    Operation,
    Sleep,
    one_at_a_time,
    settle,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

    from kvtable.transport import Transport

T = TypeVar("T")

# concurrent.futures (and the logging it brings) loads only for work with a limit above 1: a process that
# never works in parallel, such as a Lambda function's, does not pay for it.
_FIRST_COMPLETED = "FIRST_COMPLETED"


def run(operation: Operation[T], transport: Transport, sleep: Callable[[float], None]) -> T:
    """Drive `operation` to its result: its calls through `transport`, its waits with `sleep`."""
    call = transport.call
    try:
        instruction = operation.send(None)
        while True:
            if type(instruction) is Call:
                try:
                    answer = call(instruction.operation, instruction.request)
                except BaseException as error:
                    # The operation decides: it maps the failure, retries or gives up.
                    instruction = operation.throw(error)
                    continue
                instruction = operation.send(answer)
            elif type(instruction) is Sleep:
                sleep(instruction.seconds)
                instruction = operation.send(None)
            else:
                finished = _concurrently(cast(Concurrently, instruction), transport, sleep)
                instruction = operation.send(finished)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


def _concurrently(work: Concurrently, transport: Transport, sleep: Callable[[float], None]) -> Finished:
    if work.limit == 1:
        return one_at_a_time(work, lambda operation: run(operation, transport, sleep))
    return _on_threads(work, transport, sleep)


def _on_threads(work: Concurrently, transport: Transport, sleep: Callable[[float], None]) -> Finished:
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415 (concurrent.futures: not on `kvtable.connect`'s path (tests/engine/contract/test_connect.py))

    in_flight: dict[Future[Any], int] = {}
    failure: tuple[int, Exception] | None = None
    unread: Exception | None = None
    position = 0
    with ThreadPoolExecutor(max_workers=work.limit, thread_name_prefix="kvtable-work") as pool:
        try:
            while failure is None:
                # At most two operations a thread waiting or running: the reader waits for the workers.
                while len(in_flight) >= 2 * work.limit and failure is None:
                    failure = _collect(work, in_flight, _FIRST_COMPLETED)
                if failure is not None:
                    break
                try:
                    operation = next(work.operations, None)
                except Exception as error:
                    unread = error
                    break
                if operation is None:
                    break
                # telemetry hook: each operation runs in this thread's context, so inside the caller's span
                context_run = contextvars.copy_context().run
                in_flight[pool.submit(context_run, run, operation, transport, sleep)] = position
                position += 1
        finally:
            # The operations under way finish first, so what they did is told to `on_done`.
            failure = _collect(work, in_flight, None) or failure
    return Finished(failure, unread)


def _collect(
    work: Concurrently, in_flight: dict[Future[Any], int], how: str | None
) -> tuple[int, Exception] | None:
    """Wait for one operation (FIRST_COMPLETED) or all (None); the first failure seen, if any."""
    from concurrent.futures import wait  # noqa: PLC0415 (concurrent.futures: not on `kvtable.connect`'s path (tests/engine/contract/test_connect.py))

    done, _ = wait(list(in_flight), return_when=how or "ALL_COMPLETED")
    return settle(work, done, in_flight)
