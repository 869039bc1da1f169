"""The async front's driver: runs one of the contract's operations (kvtable/contract/instructions.py) on an
AsyncTransport, waiting between tries with `asyncio.sleep` (never blocking the loop), and running
`Concurrently`'s operations as tasks on the loop, at most `limit` at once."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar, cast

from kvtable.contract.instructions import Call, Concurrently, Finished, Operation, Sleep, settle

if TYPE_CHECKING:
    from kvtable.transport.base import AsyncTransport

T = TypeVar("T")
AsyncSleep = Callable[[float], Awaitable[None]]


async def run(operation: Operation[T], transport: AsyncTransport, sleep: AsyncSleep = asyncio.sleep) -> T:
    """Drive `operation` to its result: its calls awaited on `transport`, its waits with `sleep`.

    A cancellation while a call is awaited is thrown into the operation like any failure: it is not
    retried, and leaves the operation where it was (a write may have been applied)."""
    call = transport.call
    try:
        instruction = operation.send(None)
        while True:
            if type(instruction) is Call:
                try:
                    answer = await call(instruction.operation, instruction.request)
                except BaseException as error:
                    instruction = operation.throw(error)
                    continue
                instruction = operation.send(answer)
            elif type(instruction) is Sleep:
                await sleep(instruction.seconds)
                instruction = operation.send(None)
            else:
                finished = await _concurrently(cast(Concurrently, instruction), transport, sleep)
                instruction = operation.send(finished)
    except StopIteration as stop:
        return stop.value  # type: ignore[no-any-return]


async def _concurrently(work: Concurrently, transport: AsyncTransport, sleep: AsyncSleep) -> Finished:
    running: dict[asyncio.Task[Any], int] = {}
    failure: tuple[int, Exception] | None = None
    unread: Exception | None = None
    position = 0
    try:
        while failure is None:
            while len(running) >= work.limit and failure is None:
                failure = await _collect(work, running, asyncio.FIRST_COMPLETED)
            if failure is not None:
                break
            try:
                operation = next(work.operations, None)
            except Exception as error:
                unread = error
                break
            if operation is None:
                break
            running[asyncio.ensure_future(run(operation, transport, sleep))] = position
            position += 1
        while running:
            failure = await _collect(work, running, asyncio.ALL_COMPLETED) or failure
    except BaseException:
        # Cancelled (or worse): the operations under way are cancelled too, and awaited, so none outlives it.
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        raise
    return Finished(failure, unread)


async def _collect(
    work: Concurrently, running: dict[asyncio.Task[Any], int], how: str
) -> tuple[int, Exception] | None:
    """Wait for one operation or all; the first failure seen, if any."""
    done, _ = await asyncio.wait(list(running), return_when=how)
    return settle(work, done, running)
