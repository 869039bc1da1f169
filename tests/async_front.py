"""TEST ONLY: the async front (`AsyncKvTable`) under the contract tests written for the sync one.

- `ThreadedAsyncTransport`: an AsyncTransport that runs the SYNC direct transport's `call` in
  `asyncio.to_thread`. It stands in for the asyncio transport (kvtable/transport/async_direct.py, built
  on another branch) until that lands; then `async_store_for` takes the real one.
- `SyncOverAsync`: an AsyncKvTable behind KvTable's sync methods, each coroutine run to its end on the
  adapter's one event loop, so tests/engine/contract/* run unchanged on the async front.
- `ASYNC_FRONT`: the `transport` fixture's choice that means "the async front" (tests/engine/contract/
  conftest.py); as a TransportFactory it is the direct transport, so a test that builds its own KvTable
  with it still runs (on the sync front)."""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
import threading
import types
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from kvtable.contract.async_store import AsyncKvTable
from kvtable.contract.store import KvTable
from kvtable.transport import Transport, TransportChoice, TransportFactory
from kvtable.transport.direct import DirectTransport

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ITERATING = frozenset({"iter_keys", "iter_user_namespaces"})


class ThreadedAsyncTransport:
    """TEST ONLY: the sync transport's calls, each awaited in a thread of the loop's default executor."""

    def __init__(self, transport: Transport) -> None:
        self.sync = transport
        self.region = transport.region
        self.before_call = transport.before_call
        self.after_call = transport.after_call
        self.endpoint_url = getattr(transport, "endpoint_url", None)

    async def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        return await asyncio.to_thread(self.sync.call, operation, request)

    async def aclose(self) -> None:
        close = getattr(self.sync, "close", None)
        if close is not None:
            close()


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
        """Run one coroutine of the async front to its end, on this thread's loop."""
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
    client: DynamoDBClient, table_name: str, transport: ThreadedAsyncTransport | None = None, **options: Any
) -> AsyncKvTable:
    """An AsyncKvTable over `client`'s endpoint and settings (the threaded stand-in transport, or the one
    given); a sync `sleep` option (tests pass one that does not wait) is awaited as it is. One batch in
    flight unless told: the contract tests assert the order of requests (tests/engine/contract/
    test_async_front.py runs them concurrently)."""
    if "sleep" in options:
        options["sleep"] = _async_sleep(options["sleep"])
    options.setdefault("batches_in_flight", 1)
    if transport is None:
        transport = ThreadedAsyncTransport(DirectTransport.from_client(client))
    return AsyncKvTable(None, table_name, transport=transport, **options)


def make_store(
    client: DynamoDBClient,
    table_name: str,
    transport: TransportChoice | TransportFactory | Transport | ThreadedAsyncTransport,
    **options: Any,
) -> KvTable:
    """The store a contract test runs on: KvTable on `transport`, or for `ASYNC_FRONT` (or an async
    front's transport, shared) the async front behind SyncOverAsync, typed as KvTable: it answers every
    one of its methods."""
    if isinstance(transport, AsyncFront):
        adapter: Any = SyncOverAsync(async_store_for(client, table_name, **options), client)
        return adapter  # type: ignore[no-any-return]
    if isinstance(transport, ThreadedAsyncTransport):
        adapter = SyncOverAsync(async_store_for(client, table_name, transport, **options), client)
        return adapter  # type: ignore[no-any-return]
    return KvTable(client, table_name, transport=transport, **options)


def close_store(store: object) -> None:
    """Close what make_store made for the async front (a KvTable needs nothing)."""
    if isinstance(store, SyncOverAsync):
        store.close()


@contextlib.contextmanager
def async_transport_module() -> Iterator[None]:
    """While the asyncio transport (kvtable/transport/async_direct.py) is not in this tree, a stand-in
    module of that name whose builders give the threaded stand-in transport; once it is, nothing."""
    name = "kvtable.transport.async_direct"
    if importlib.util.find_spec(name) is not None:
        yield
        return
    from kvtable.contract.connect import direct_transport  # noqa: PLC0415 (test-only; kept beside its one use)

    def from_settings(settings: Any) -> ThreadedAsyncTransport:
        transport = direct_transport(settings)
        assert transport is not None
        return ThreadedAsyncTransport(transport)

    def from_client(client: DynamoDBClient) -> ThreadedAsyncTransport:
        return ThreadedAsyncTransport(DirectTransport.from_client(client))

    module: Any = types.ModuleType(name)
    module.async_transport_from_settings = from_settings
    module.async_transport_from_client = from_client
    sys.modules[name] = module
    try:
        yield
    finally:
        del sys.modules[name]
