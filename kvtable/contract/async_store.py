"""The data contract from asyncio: `AsyncKvTable`, the async front over the same operations as `KvTable`
(kvtable/contract/{users,namespaces,keys,bulk}.py, sans I/O), each awaited on an AsyncTransport with
`kvtable.contract.drive_async`. The same arguments, typed results and errors as the sync front."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypeVar

from kvtable.contract import drive_async
from kvtable.contract.bulk import ProgressCallback
from kvtable.contract.clock import utc_now
from kvtable.contract.front import ContractFront
from kvtable.contract.instructions import Operation
from kvtable.contract.keys import KEEP_TTL, KeepTtl
from kvtable.contract.namespaces import NAMESPACE_QUARANTINE_SECONDS
from kvtable.contract.retries import RETRY_ATTEMPTS
from kvtable.schema import key_design as kd
from kvtable.schema.entities import (
    BillingPlan,
    JsonValue,
    KeyItem,
    NamespaceItem,
    NamespaceLinkItem,
    UserItem,
)
from kvtable.schema.errors import InvalidInputError
from kvtable.schema.limits import MAX_WORKERS
from kvtable.schema.pagination import DEFAULT_PAGE_SIZE, Page
from kvtable.telemetry import instrument_async as instrument_telemetry  # telemetry hook
from kvtable.transport.base import AsyncTransport

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

T = TypeVar("T")

# How many requests one AsyncKvTable has in flight at once, all tasks together (more wait their turn):
# a container's event loop with a pool of a few connections, not a fleet. And how many batches one
# operation (get_keys, delete_keys, deleting a namespace's keys) sends at once: the sync workers' limit.
REQUESTS_IN_FLIGHT = 64
BATCHES_IN_FLIGHT = 4


class _Bounded:
    """The transport, with at most `limit` calls awaited at once; the others wait on the loop."""

    def __init__(self, transport: AsyncTransport, limit: int) -> None:
        self._call = transport.call
        self._slots = asyncio.Semaphore(limit)

    async def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        async with self._slots:
            return await self._call(operation, request)


async def _every_item(fetch_page: Callable[[str | None], Awaitable[Page[T]]]) -> AsyncIterator[T]:
    """Every item of a listing, fetching the next page only when the last one is used up."""
    cursor: str | None = None
    while True:
        page = await fetch_page(cursor)
        for item in page.items:
            yield item
        if page.cursor is None:
            return
        cursor = page.cursor


def _require_limit(name: str, value: object, most: int) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= most:
        raise InvalidInputError(f"{name} must be a whole number from 1 to {most}, got {value!r}")
    return value


class AsyncKvTable(ContractFront):
    """The kvtable data contract over one DynamoDB table and its GSI, awaited: the async front.

    Use it as `async with` (or call `aclose()`), from one event loop. A task cancelled during a write
    leaves it maybe applied, as a lost answer does (docs/async.md)."""

    def __init__(
        self,
        client: DynamoDBClient | None,
        table_name: str = kd.DEFAULT_TABLE_NAME,
        gsi_name: str = kd.DEFAULT_GSI_NAME,
        *,
        transport: AsyncTransport | None = None,
        clock: Callable[[], datetime] = utc_now,
        home_region: str | None = None,
        retry_attempts: int = RETRY_ATTEMPTS,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        namespace_quarantine: int = NAMESPACE_QUARANTINE_SECONDS,
        requests_in_flight: int = REQUESTS_IN_FLIGHT,
        batches_in_flight: int = BATCHES_IN_FLIGHT,
    ) -> None:
        """`client`: a boto3 client whose settings the async transport takes (credentials, region, endpoint,
        timeouts, proxy, CA bundle), or None with `transport` given (`kvtable.connect_async` makes one).
        `requests_in_flight`: requests awaited at once by all tasks together; `batches_in_flight`: batches
        one operation sends at once. The rest as `KvTable`'s."""
        if transport is None:
            if client is None:
                raise InvalidInputError(
                    "give a boto3 client or an async transport; or use kvtable.connect_async()"
                )
            transport = _transport_from_client(client)
        self.transport = transport
        self.requests_in_flight = _require_limit("requests in flight", requests_in_flight, 10_000)
        self.batches_in_flight = _require_limit("batches in flight", batches_in_flight, MAX_WORKERS)
        self._sleep = sleep
        self._build_operations(
            transport,
            table_name,
            gsi_name,
            clock=clock,
            home_region=home_region,
            retry_attempts=retry_attempts,
            namespace_quarantine=namespace_quarantine,
            in_flight=batches_in_flight,
        )
        instrument_telemetry(self)  # telemetry hook: spans when OpenTelemetry is in use
        self._bounded = _Bounded(transport, requests_in_flight)  # after the hook, which wraps the calls

    async def _run(self, operation: Operation[T]) -> T:
        return await drive_async.run(operation, self._bounded, self._sleep)  # type: ignore[arg-type]

    async def __aenter__(self) -> AsyncKvTable:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the transport's connections; the table is not usable after."""
        await self.transport.aclose()

    async def warm(self) -> None:
        """Open the transport's connection now (TCP and TLS), so the first request does not wait for it:
        call it at the application's start (a FastAPI lifespan)."""
        warm = getattr(self.transport, "warm", None)
        if warm is not None:
            opened = warm()
            if asyncio.iscoroutine(opened):
                await opened

    # ----- users -------------------------------------------------------------

    async def get_user(self, user_id: str, consistent: bool = False) -> UserItem:
        """Pattern 1: `PK=USER#<id>, SK=METADATA` (GetItem)."""
        return await self._run(self._users.get_user(user_id, consistent))

    async def get_user_by_api_key(self, api_key: str) -> UserItem:
        """Pattern 2: `GSI1PK=APIKEY#<key>, GSI1SK=METADATA` (Query on the GSI, eventually consistent)."""
        return await self._run(self._users.get_user_by_api_key(api_key))

    async def create_user(
        self,
        user_id: str,
        email: str,
        api_key: str,
        plan: BillingPlan = "free",
        password_hash: str | None = None,
    ) -> UserItem:
        """Create a user and claim its API key in one transaction; AlreadyExistsError if either is taken."""
        return await self._run(self._users.create_user(user_id, email, api_key, plan, password_hash))

    async def rotate_api_key(self, user_id: str, new_api_key: str) -> UserItem:
        """Give the user a new API key, releasing the old one, in one transaction."""
        return await self._run(self._users.rotate_api_key(user_id, new_api_key))

    async def add_usage(self, user_id: str, requests: int = 0, storage_bytes: int = 0) -> UserItem:
        """Add to the user's requestCount and storageBytes atomically, once however often it is retried."""
        return await self._run(self._users.add_usage(user_id, requests, storage_bytes))

    async def update_user(
        self, user_id: str, *, plan: BillingPlan | None = None, email: str | None = None
    ) -> UserItem:
        """Change a user's plan and/or email (one UpdateItem); returns the user as stored now."""
        return await self._run(self._users.update_user(user_id, plan=plan, email=email))

    async def delete_user(
        self,
        user_id: str,
        *,
        delete_namespaces: bool = False,
        on_progress: Callable[[str, int], None] | None = None,
    ) -> list[str]:
        """Delete a user, its API-key guard and (with `delete_namespaces`) the namespaces it owns."""
        return await self._run(
            self._users.delete_user(user_id, delete_namespaces=delete_namespaces, on_progress=on_progress)
        )

    # ----- namespaces --------------------------------------------------------

    async def list_user_namespaces(
        self,
        user_id: str,
        page_size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        consistent: bool = False,
    ) -> Page[NamespaceLinkItem]:
        """Pattern 3: `PK=USER#<id>, SK begins_with NS#`, one page."""
        return await self._run(self._namespaces.list_user_namespaces(user_id, page_size, cursor, consistent))

    def iter_user_namespaces(
        self, user_id: str, page_size: int = DEFAULT_PAGE_SIZE, consistent: bool = False
    ) -> AsyncIterator[NamespaceLinkItem]:
        """Every namespace link of a user, one page in memory at a time."""
        return _every_item(
            lambda cursor: self._run(
                self._namespaces.list_user_namespaces(user_id, page_size, cursor, consistent)
            )
        )

    async def get_namespace(self, namespace: str, consistent: bool = False) -> NamespaceItem:
        """Pattern 4: `PK=NS#<namespace>, SK=METADATA` (GetItem); NamespaceUnavailableError while it is being
        deleted or once it is."""
        return await self._run(self._namespaces.get_namespace(namespace, consistent))

    async def create_namespace(self, user_id: str, namespace: str) -> NamespaceItem:
        """Create a namespace and the user's link to it in one transaction, after deleting what a deleted
        namespace of that name left; NamespaceQuarantinedError within its quarantine."""
        return await self._run(self._namespaces.create_namespace(user_id, namespace))

    async def delete_namespace(
        self, user_id: str, namespace: str, *, on_progress: Callable[[int], None] | None = None
    ) -> int:
        """Delete a namespace, every key in it and its owner's link, leaving a tombstone that holds the name
        for the quarantine; returns the keys deleted by this run (0 if it was already deleted)."""
        return await self._run(self._namespaces.delete_namespace(user_id, namespace, on_progress=on_progress))

    # ----- keys --------------------------------------------------------------

    async def put_key(self, namespace: str, key: str, value: JsonValue, ttl: int | None = None) -> KeyItem:
        """Pattern 5 (create or replace): keeps a live key's createdAt, sets `ttl` or clears it (None)."""
        return await self._run(self._keys.put_key(namespace, key, value, ttl))

    async def create_key(self, namespace: str, key: str, value: JsonValue, ttl: int | None = None) -> KeyItem:
        """Pattern 5 (create): AlreadyExistsError if a live key is there."""
        return await self._run(self._keys.create_key(namespace, key, value, ttl))

    async def update_key(
        self,
        namespace: str,
        key: str,
        value: JsonValue,
        ttl: int | KeepTtl | None = KEEP_TTL,
        *,
        expected_version: int | None = None,
    ) -> KeyItem:
        """Pattern 5 (update) of a live key; with `expected_version`, a compare-and-swap."""
        return await self._run(
            self._keys.update_key(namespace, key, value, ttl, expected_version=expected_version)
        )

    async def get_key(self, namespace: str, key: str, consistent: bool = False) -> KeyItem:
        """Pattern 5 (read): `PK=NS#<namespace>, SK=KEY#<key>` (GetItem); expired keys are not found."""
        return await self._run(self._keys.get_key(namespace, key, consistent))

    async def delete_key(self, namespace: str, key: str) -> None:
        """Pattern 5 (delete); ItemNotFoundError if the key does not exist or has expired."""
        await self._run(self._keys.delete_key(namespace, key))

    async def list_keys(
        self,
        namespace: str,
        prefix: str = "",
        page_size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        consistent: bool = False,
    ) -> Page[KeyItem]:
        """Pattern 6, one page: on the GSI, or on the table when `consistent`."""
        return await self._run(self._keys.list_keys(namespace, prefix, page_size, cursor, consistent))

    def iter_keys(
        self, namespace: str, prefix: str = "", page_size: int = DEFAULT_PAGE_SIZE, consistent: bool = False
    ) -> AsyncIterator[KeyItem]:
        """Every live key with the prefix, streamed one page at a time."""
        return _every_item(
            lambda cursor: self._run(self._keys.list_keys(namespace, prefix, page_size, cursor, consistent))
        )

    async def count_keys(self, namespace: str, prefix: str = "", consistent: bool = False) -> int:
        """How many live keys have the prefix (Query, Select=COUNT, paged): what listing them costs."""
        return await self._run(self._keys.count_keys(namespace, prefix, consistent))

    # ----- many keys at once -------------------------------------------------

    async def get_keys(
        self, namespace: str, keys: Iterable[str], consistent: bool = False
    ) -> dict[str, KeyItem]:
        """The live keys among `keys`, by name, in the order asked (BatchGetItem, 100 keys a request)."""
        return await self._run(self._bulk.get_keys(namespace, keys, consistent))

    async def delete_keys(self, namespace: str, keys: Iterable[str]) -> int:
        """Delete `keys` (BatchWriteItem, 25 a request); returns how many distinct keys were named."""
        return await self._run(self._bulk.delete_keys(namespace, keys))

    async def load_keys(
        self,
        namespace: str,
        entries: Iterable[tuple[str, JsonValue]],
        ttl: int | None = None,
        *,
        workers: int = 1,
        on_progress: ProgressCallback | None = None,
    ) -> int:
        """Write `entries` (streamed, 25 a BatchWriteItem); returns how many entries were written."""
        return await self._run(
            self._bulk.load_keys(namespace, entries, ttl, workers=workers, on_progress=on_progress)
        )


def _transport_from_client(client: DynamoDBClient) -> AsyncTransport:
    from kvtable.transport.async_direct import async_transport_from_client  # noqa: PLC0415 (the async transport's own modules: only when an AsyncKvTable is made from a client)

    return async_transport_from_client(client)
