"""The async front's telemetry, with OpenTelemetry's SDK and its in-memory exporter: one INTERNAL span per
awaited operation (`AsyncKvTable.<name>`) with the sync front's attributes, its requests, retries and
throttles counted into it (the batches sent concurrently too), an error named by type only, and an async
iteration's span lasting while it is read."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from kvtable.contract.async_store import AsyncKvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema.errors import ItemNotFoundError
from tests.harness.fault_proxy import client_through, fault_proxy
from tests.telemetry_settings import in_memory_tracing, telemetry_set


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    provider, exported = in_memory_tracing()
    try:
        with telemetry_set(tracer_provider=provider):
            yield exported
    finally:
        provider.shutdown()


def operations(exporter: InMemorySpanExporter) -> list[ReadableSpan]:
    return [span for span in exporter.get_finished_spans() if span.kind is SpanKind.INTERNAL]


def counts(span: ReadableSpan) -> tuple[Any, ...]:
    found = dict(span.attributes or {})
    return found["kvtable.requests"], found["kvtable.retries"], found["kvtable.throttles"]


def test_each_awaited_operation_is_one_internal_span_counting_its_requests(
    dynamodb_client: DynamoDBClient, table_name: str, exporter: InMemorySpanExporter
) -> None:
    async def scenario() -> list[str]:
        async with AsyncKvTable(dynamodb_client, table_name, batches_in_flight=4) as store:
            await store.create_user("u1", "u1@example.com", "key-one")
            await store.create_namespace("u1", "alpha")
            await store.load_keys("alpha", ((f"k{i:03d}", i) for i in range(230)), workers=4)
            exporter.clear()
            assert await store.count_keys("alpha", consistent=True) == 230
            await store.get_keys("alpha", [f"k{i:03d}" for i in range(230)])
            with pytest.raises(ItemNotFoundError):
                await store.get_key("alpha", "absent")
            return [key["SK"] async for key in store.iter_keys("alpha", page_size=100)]

    listed = asyncio.run(scenario())
    assert len(listed) == 230
    spans = operations(exporter)
    names = [span.name for span in spans]
    assert names[:3] == ["AsyncKvTable.count_keys", "AsyncKvTable.get_keys", "AsyncKvTable.get_key"]
    count, batch, missing, listing = spans[:4]
    assert dict(count.attributes or {}) == {
        "db.system.name": "aws.dynamodb",
        "db.collection.name": table_name,
        "kvtable.operation": "count_keys",
        "kvtable.requests": 1,
        "kvtable.retries": 0,
        "kvtable.throttles": 0,
    }
    assert counts(batch) == (3, 0, 0)  # 100 + 100 + 30 keys: three BatchGetItems, sent concurrently
    assert missing.status.status_code is StatusCode.ERROR
    assert missing.status.description == "ItemNotFoundError"  # the type only: the message names the key
    assert (listing.name, counts(listing)) == ("AsyncKvTable.iter_keys", (3, 0, 0))


def test_a_throttled_request_is_counted_on_its_awaited_operation(
    dynamodb_endpoint: LocalEndpoint, table_name: str, exporter: InMemorySpanExporter
) -> None:
    async def no_wait(_: float) -> None:
        return None

    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        store = AsyncKvTable(client_through(url), table_name, sleep=no_wait)

        async def scenario() -> None:
            plan.inject("throttle", "error500")
            await store.put_key("app", "k", 1)
            await store.aclose()

        asyncio.run(scenario())
    put, close = operations(exporter)
    assert (put.name, counts(put), close.name) == ("AsyncKvTable.put_key", (3, 2, 1), "AsyncKvTable.aclose")
    assert put.status.status_code is StatusCode.UNSET
