"""The async front (`AsyncKvTable`) beside the sync one, on DynamoDB Local: one corpus through both gives
the same items, pages, cursors and errors; its batches go concurrently on the loop, with the same result
and cost; a cancelled request is a fault (a write maybe applied, never applied twice, the store still
answering right after); nothing on its path blocks the loop.

The async front runs on the real asyncio transport (kvtable/transport/async_direct.py); the cancellation
tests look at its connection pool."""

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

import kvtable
from kvtable.builders.table_definition import create_table_from_template
from kvtable.contract.async_store import AsyncKvTable
from kvtable.contract.consumed_capacity import CapacityRecorder
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema.errors import InvalidInputError, KvTableError
from kvtable.transport.async_direct import AsyncDirectTransport, async_transport_from_client
from tests.async_front import SyncOverAsync, async_store_for
from tests.conftest import CONNECT_FALLBACK_VARIABLES
from tests.harness.fault_proxy import client_through, fault_proxy

VOLATILE = ("createdAt", "updatedAt", "writeId")


def plain(result: Any) -> Any:
    """A result with what differs between two runs (times, write ids) left out."""
    if isinstance(result, dict):
        return {name: plain(value) for name, value in result.items() if name not in VOLATILE}
    if isinstance(result, list):
        return [plain(value) for value in result]
    if hasattr(result, "items") and hasattr(result, "cursor"):
        return {"items": plain(result.items), "cursor": result.cursor}
    return result


SOON = int(datetime.now(UTC).timestamp()) + 3600  # one TTL for both runs


def put(store: KvTable, i: int) -> Callable[[], Any]:
    return lambda: store.put_key("app", f"k{i}", {"n": i, "tags": ["a", i]}, ttl=SOON if i % 2 else None)


def corpus(store: KvTable) -> Iterator[tuple[str, Callable[[], Any]]]:
    """Every kind of operation, the refusals too, in an order where each step's answer is known."""
    yield "create user", lambda: store.create_user("u1", "u1@example.com", "key-1")
    yield "user taken", lambda: store.create_user("u1", "other@example.com", "key-2")
    yield "create namespace", lambda: store.create_namespace("u1", "app")
    yield "namespace taken", lambda: store.create_namespace("u1", "app")
    for i in range(7):
        yield f"put {i}", put(store, i)
    yield "create over live", lambda: store.create_key("app", "k1", 1)
    yield "swap", lambda: store.update_key("app", "k2", "swapped", expected_version=1)
    yield "swap conflict", lambda: store.update_key("app", "k2", "again", expected_version=1)
    yield "get", lambda: store.get_key("app", "k3", consistent=True)
    yield "get missing", lambda: store.get_key("app", "nope")
    yield "bad key", lambda: store.put_key("app", "bad#key", 1)
    yield "bad page size", lambda: store.list_keys("app", page_size=0)
    yield "pages", lambda: pages(store)
    yield "count", lambda: store.count_keys("app", consistent=True)
    yield "get keys", lambda: store.get_keys("app", ["k6", "k0", "missing", "k6"], consistent=True)
    yield "delete keys", lambda: store.delete_keys("app", ["k0", "k1"])
    yield "delete missing key", lambda: store.delete_key("app", "k0")
    yield "load", lambda: store.load_keys("app", ((f"l{i:02d}", i) for i in range(40)), workers=2)
    yield "bad entry", lambda: store.load_keys("app", [("fine", 1), ("bad#", 2)])
    yield "every key", lambda: [key["SK"] for key in store.iter_keys("app", consistent=True)]
    yield "usage", lambda: store.add_usage("u1", requests=3, storage_bytes=10)
    yield "usage below zero", lambda: store.add_usage("u1", storage_bytes=-100)
    yield "namespaces", lambda: store.list_user_namespaces("u1", consistent=True)
    yield "delete namespace", lambda: store.delete_namespace("u1", "app")
    yield "namespace gone", lambda: store.get_namespace("app", consistent=True)
    yield "delete user", lambda: store.delete_user("u1")


def pages(store: KvTable) -> list[Any]:
    """Every page of a listing three keys a page, each from the last one's cursor."""
    found, cursor = [], None
    while True:
        page = store.list_keys("app", page_size=3, cursor=cursor, consistent=True)
        found.append(page)
        if page.cursor is None:
            return found
        cursor = page.cursor


def outcomes(store: KvTable) -> list[tuple[str, Any]]:
    """Each corpus step's result, or its error's type and message."""
    seen: list[tuple[str, Any]] = []
    for name, step in corpus(store):
        try:
            seen.append((name, plain(step())))
        except KvTableError as error:
            seen.append((name, (type(error).__name__, str(error))))
    return seen


def new_table(client: DynamoDBClient, name: str) -> str:
    create_table_from_template(client, name)
    return name


def test_one_corpus_through_both_fronts_gives_the_same_items_pages_cursors_and_errors(
    dynamodb_client: DynamoDBClient, table_name: str
) -> None:
    other = new_table(dynamodb_client, table_name + "-async")
    sync_outcomes = outcomes(KvTable(dynamodb_client, table_name))
    adapter = SyncOverAsync(async_store_for(dynamodb_client, other, batches_in_flight=4), dynamodb_client)
    try:
        async_outcomes = outcomes(adapter)  # type: ignore[arg-type]
    finally:
        adapter.close()
    assert [name for name, _ in async_outcomes] == [name for name, _ in sync_outcomes]
    for (name, expected), (_, got) in zip(sync_outcomes, async_outcomes, strict=True):
        assert got == expected, name
    errors = [name for name, outcome in sync_outcomes if isinstance(outcome, tuple)]
    assert len(errors) == 11  # the refusals are in the comparison, not only successes
    assert any(page["cursor"] for page in dict(sync_outcomes)["pages"])


class InFlight:
    """Counts the calls awaited at once on the asyncio transport, and the most seen."""

    def __init__(self, transport: AsyncDirectTransport) -> None:
        self.transport, self.now, self.most = transport, 0, 0
        self.region, self.before_call, self.after_call = (
            transport.region,
            transport.before_call,
            transport.after_call,
        )

    async def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        self.now += 1
        self.most = max(self.most, self.now)
        try:
            return await self.transport.call(operation, request)
        finally:
            self.now -= 1

    async def aclose(self) -> None:
        await self.transport.aclose()


def test_batches_go_concurrently_on_the_loop_with_the_sync_fronts_result_and_cost(
    dynamodb_client: DynamoDBClient, table_name: str
) -> None:
    other = new_table(dynamodb_client, table_name + "-async")
    names = [f"k{i:03d}" for i in range(250)]
    sync_store = KvTable(dynamodb_client, table_name)
    sync_capacity = CapacityRecorder().attach(sync_store)
    counting = InFlight(async_transport_from_client(dynamodb_client))
    async_store = AsyncKvTable(None, other, transport=counting, batches_in_flight=4)
    async_capacity = CapacityRecorder().attach(async_store)

    def work_sync() -> tuple[Any, ...]:
        sync_store.create_user("u1", "u1@example.com", "key-1")
        sync_store.create_namespace("u1", "app")
        loaded = sync_store.load_keys("app", ((name, i) for i, name in enumerate(names)), workers=4)
        found = sync_store.get_keys("app", names, consistent=True)
        deleted = sync_store.delete_keys("app", names[:60])
        return loaded, plain(found), deleted, sync_store.delete_namespace("u1", "app")

    async def work_async() -> tuple[Any, ...]:
        async with async_store:
            await async_store.create_user("u1", "u1@example.com", "key-1")
            await async_store.create_namespace("u1", "app")
            loaded = await async_store.load_keys(
                "app", ((name, i) for i, name in enumerate(names)), workers=4
            )
            found = await async_store.get_keys("app", names, consistent=True)
            deleted = await async_store.delete_keys("app", names[:60])
            return loaded, plain(found), deleted, await async_store.delete_namespace("u1", "app")

    async_result = asyncio.run(work_async())
    sync_result = work_sync()
    assert async_result == sync_result
    assert (sync_result[0], len(sync_result[1]), sync_result[2], sync_result[3]) == (250, 250, 60, 190)
    assert counting.most == 4  # the limit, reached
    assert sorted(units(async_capacity)) == sorted(units(sync_capacity))


def units(capacity: CapacityRecorder) -> list[tuple[str, float, tuple[tuple[str, float], ...]]]:
    return [(r.operation, r.table, tuple(sorted(r.indexes.items()))) for r in capacity.records]


# ----- cancellation ------------------------------------------------------------------------------


def scan(client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    return list(client.scan(TableName=table, ConsistentRead=True)["Items"])


async def wait_for(event: threading.Event) -> None:
    """Wait on the loop (not blocking it) until `event` is set by the proxy's thread."""
    while not event.is_set():
        await asyncio.sleep(0.01)


def test_a_write_cancelled_before_it_is_sent_is_not_applied(
    dynamodb_endpoint: LocalEndpoint, dynamodb_client: DynamoDBClient, table_name: str
) -> None:
    # One request in flight at a time: the second put waits for its turn, and is cancelled there.
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        store = async_store_for(client_through(url), table_name, requests_in_flight=1)

        async def scenario() -> None:
            plan.inject("hold_after")
            first = asyncio.ensure_future(store.put_key("app", "first", 1))
            await wait_for(plan.holding)
            waiting = asyncio.ensure_future(store.put_key("app", "second", 2))
            await asyncio.sleep(0.05)
            waiting.cancel()
            with pytest.raises(asyncio.CancelledError):
                await waiting
            plan.release()
            assert (await first)["version"] == 1
            pool = transport_of(store).pool
            # The cancelled one never took a connection: one opened, kept open for the next request.
            assert pool.opened == 1 and len(pool.idle) == 1 and not pool.idle[0].writer.is_closing()
            await store.aclose()

        asyncio.run(scenario())
        assert plan.operations == ["UpdateItem:hold_after"]  # the cancelled one never left
    assert [item["SK"]["S"] for item in scan(dynamodb_client, table_name)] == ["KEY#first"]


@pytest.mark.parametrize("write", ["put_key", "create_key", "add_usage"])
def test_a_write_cancelled_after_it_was_sent_is_maybe_applied_never_twice_and_the_store_answers_right(
    dynamodb_endpoint: LocalEndpoint, dynamodb_client: DynamoDBClient, table_name: str, write: str
) -> None:
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        store = async_store_for(client_through(url), table_name)
        writes: dict[str, Callable[[], Any]] = {
            "put_key": lambda: store.put_key("app", "k", "sent"),
            "create_key": lambda: store.create_key("app", "k", "sent"),
            "add_usage": lambda: store.add_usage("u1", requests=5),
        }

        async def scenario() -> tuple[Any, Any]:
            await store.create_user("u1", "u1@example.com", "key-1")
            pool = transport_of(store).pool
            (used,) = pool.idle  # the one connection, which the write takes
            plan.inject("hold_after")
            task = asyncio.ensure_future(writes[write]())
            await wait_for(plan.holding)  # sent, applied by the engine, its answer not yet back
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # Its connection, answer unread, is closed and not kept for another request.
            assert used.writer.is_closing() and pool.idle == ()
            plan.release()
            # The same store answers the next requests with their own answers, not the held one.
            key = await store.put_key("app", "after", "next")
            user = await store.get_user("u1", consistent=True)
            assert pool.opened == 2 and len(pool.idle) == 1 and pool.idle[0] is not used
            await store.aclose()
            return key, user

        key, user = asyncio.run(scenario())
        sent = [operation for operation in plan.operations if operation.endswith(":hold_after")]
        assert len(sent) == 1  # the contract did not send the cancelled write again
    assert (key["SK"], key["value"], key["version"]) == ("KEY#after", "next", 1)
    items = {
        item["SK"]["S"]: item for item in scan(dynamodb_client, table_name) if item["PK"]["S"] == "NS#app"
    }
    if write == "add_usage":
        assert user["requestCount"] == 5  # applied once
    else:
        assert items["KEY#k"]["version"] == {"N": "1"}  # applied once


def transport_of(store: AsyncKvTable) -> AsyncDirectTransport:
    assert isinstance(store.transport, AsyncDirectTransport)
    return store.transport


# ----- nothing blocks the loop -------------------------------------------------------------------


def test_the_async_path_never_sleeps_on_the_loops_thread(
    dynamodb_endpoint: LocalEndpoint, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slept_on_loop: list[float] = []
    sleep = time.sleep
    loop_thread: list[int] = []

    def watched_sleep(seconds: float) -> None:
        if threading.get_ident() in loop_thread:
            slept_on_loop.append(seconds)
        sleep(seconds)

    monkeypatch.setattr(time, "sleep", watched_sleep)
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        store = async_store_for(client_through(url), table_name, batches_in_flight=4)

        async def scenario() -> int:
            loop_thread.append(threading.get_ident())
            asyncio.get_running_loop().slow_callback_duration = 10.0  # debug mode's checks, not its timing
            plan.inject("throttle", "error500", "drop_before", "unprocessed")
            await store.put_key("app", "k", 1)
            loaded = await store.load_keys("app", ((f"k{i:03d}", i) for i in range(120)), workers=3)
            plan.inject("throttle", "unprocessed")
            found = await store.get_keys("app", [f"k{i:03d}" for i in range(120)])
            await store.aclose()
            return loaded + len(found)

        assert asyncio.run(scenario(), debug=True) == 240
        assert any(":throttle" in operation for operation in plan.operations)
    assert slept_on_loop == []  # every backoff was awaited


# ----- making one --------------------------------------------------------------------------------


def test_connect_async_from_the_environment_and_a_boto3_clients_settings_give_the_same_contract(
    dynamodb_endpoint: LocalEndpoint,
    dynamodb_client: DynamoDBClient,
    table_name: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", dynamodb_endpoint.url)
    for name in CONNECT_FALLBACK_VARIABLES:
        monkeypatch.delenv(name, raising=False)

    async def scenario() -> tuple[Any, Any]:
        async with await kvtable.connect_async(table_name, warm=True, requests_in_flight=8) as connected:
            written = await connected.put_key("app", "k", {"from": "connect_async"})
            assert connected.requests_in_flight == 8
        async with AsyncKvTable(dynamodb_client, table_name) as from_client:
            return written, await from_client.get_key("app", "k", consistent=True)

    written, read = asyncio.run(scenario())
    assert plain(read) == plain(written)
    assert read["value"] == {"from": "connect_async"}


@pytest.mark.parametrize(
    "bad", [{"requests_in_flight": 0}, {"batches_in_flight": 17}, {"batches_in_flight": True}]
)
def test_bad_limits_are_refused_when_the_store_is_made(
    dynamodb_client: DynamoDBClient, bad: dict[str, Any]
) -> None:
    with pytest.raises(InvalidInputError, match="in flight must be a whole number"):
        AsyncKvTable(None, "t", transport=async_transport_from_client(dynamodb_client), **bad)
