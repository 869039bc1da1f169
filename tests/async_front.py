"""TEST ONLY: the async front (`AsyncKvTable`) under the contract tests written for the sync one.

- `async_store_for`: an AsyncKvTable on the real asyncio transport (kvtable/transport/async_direct.py)
  with a boto3 client's settings, as `AsyncKvTable(client, ...)` makes it.
- `SyncOverAsync`: an AsyncKvTable behind KvTable's sync methods, each coroutine run to its end on the
  adapter's one event loop, so tests/engine/contract/* run unchanged on the async front.
- `ASYNC_FRONT`: the `transport` fixture's choice that means "the async front" (tests/engine/contract/
  conftest.py); as a TransportFactory it is the direct transport, so a test that builds its own KvTable
  with it still runs (on the sync front)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from kvtable.contract.async_store import AsyncKvTable
from kvtable.contract.store import KvTable
from kvtable.transport import Transport, TransportChoice, TransportFactory
from kvtable.transport.async_direct import AsyncDirectTransport, async_transport_from_client
from kvtable.transport.base import AsyncTransport
from kvtable.transport.direct import DirectTransport

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ITERATING = frozenset({"iter_keys", "iter_user_namespaces"})


class AsyncFront:
    """The `transport` fixture's async choice; called as a TransportFactory, the sync direct transport."""

    def __call__(self, client: DynamoDBClient) -> Transport:
        return DirectTransport.from_client(client)

    def __repr__(self) -> str:
        return "async"


ASYNC_FRONT = AsyncFront()


class SyncOverAsync:
    """TEST ONLY: an AsyncKvTable with KvTable's sync methods: each coroutine runs to its end on an event
    loop of the calling thread's own (tests that call from several threads get one loop each)."""

    def __init__(self, store: AsyncKvTable, client: DynamoDBClient) -> None:
        self.front = store
        self.client = client
        self._loops: dict[int, asyncio.AbstractEventLoop] = {}
        self._lock = threading.Lock()

    def run(self, awaitable: Any) -> Any:
        """Run one coroutine of the async front to its end, on this thread's loop; called from inside a
        running loop (a test's before_call hook that writes through another store, as a concurrent
        client would), on a helper thread's loop, holding the caller's loop meanwhile as the hook means."""
        if asyncio._get_running_loop() is not None:
            with ThreadPoolExecutor(1) as helper:
                return helper.submit(self.run, awaitable).result()
        with self._lock:
            loop = self._loops.get(threading.get_ident())
            if loop is None:
                loop = self._loops[threading.get_ident()] = asyncio.new_event_loop()
        return loop.run_until_complete(awaitable)

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.front, name)
        if name in ITERATING:
            return lambda *args, **kwargs: self._iterate(attribute(*args, **kwargs))
        if asyncio.iscoroutinefunction(attribute):
            return lambda *args, **kwargs: self.run(attribute(*args, **kwargs))
        return attribute

    def _iterate(self, items: AsyncIterator[Any]) -> Iterator[Any]:
        while True:
            try:
                yield self.run(anext(items))
            except StopAsyncIteration:
                return

    def close(self) -> None:
        """Close the front's transport and this adapter's loops."""
        self.run(self.front.aclose())
        for loop in self._loops.values():
            loop.run_until_complete(loop.shutdown_default_executor())
            loop.close()


def _async_sleep(sleep: Callable[[float], None]) -> Callable[[float], Any]:
    async def waited(seconds: float) -> None:
        sleep(seconds)

    return waited


def async_store_for(
    client: DynamoDBClient, table_name: str, transport: AsyncTransport | None = None, **options: Any
) -> AsyncKvTable:
    """An AsyncKvTable over `client`'s endpoint and settings (the asyncio transport, or the one given); a
    sync `sleep` option (tests pass one that does not wait) is awaited as it is. One batch in
    flight unless told: the contract tests assert the order of requests (tests/engine/contract/
    test_async_front.py runs them concurrently)."""
    if "sleep" in options:
        options["sleep"] = _async_sleep(options["sleep"])
    options.setdefault("batches_in_flight", 1)
    if transport is None:
        transport = async_transport_from_client(client)
    return AsyncKvTable(None, table_name, transport=transport, **options)


def make_store(
    client: DynamoDBClient,
    table_name: str,
    transport: TransportChoice | TransportFactory | Transport | AsyncDirectTransport,
    **options: Any,
) -> KvTable:
    """The store a contract test runs on: KvTable on `transport`, or for `ASYNC_FRONT` (or an async
    front's transport, shared) the async front behind SyncOverAsync, typed as KvTable: it answers every
    one of its methods."""
    if isinstance(transport, AsyncFront):
        adapter: Any = SyncOverAsync(async_store_for(client, table_name, **options), client)
        return adapter  # type: ignore[no-any-return]
    if isinstance(transport, AsyncDirectTransport):
        adapter = SyncOverAsync(async_store_for(client, table_name, transport, **options), client)
        return adapter  # type: ignore[no-any-return]
    return KvTable(client, table_name, transport=transport, **options)


def close_store(store: object) -> None:
    """Close what make_store made for the async front (a KvTable needs nothing)."""
    if isinstance(store, SyncOverAsync):
        store.close()
