"""The `async` benchmark section's plumbing on DynamoDB Local, at small sizes: every async client gets,
puts and pages the same keys, each client is measured for every call asked for, and the concurrency run
counts requests for every task count. Nothing here is timed: the figures are the benchmark's business."""

from __future__ import annotations

import asyncio
from importlib.util import find_spec
from typing import Any

from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.benchmarks.async_clients import ASYNC_PEERS, KVTABLE_ASYNC, async_clients
from kvtable.benchmarks.async_run import AsyncSizes, measure_async
from kvtable.benchmarks.clients import NAMESPACE, PAGE
from kvtable.benchmarks.measure import entries, key_value, new_table
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint

KEYS = 120

# The peers are installed for the benchmark only (`make bench`): a test run measures those present, and
# the section names each one left out.
INSTALLED_PEERS = [
    kind.name for kind, modules in ASYNC_PEERS if all(find_spec(module) is not None for module in modules)
]


def loaded_table(client: DynamoDBClient) -> str:
    table = new_table(client, "async-test")
    KvTable(client, table).load_keys(NAMESPACE, entries(KEYS))
    return table


def test_every_async_client_reads_and_writes_the_same_keys(
    dynamodb_endpoint: LocalEndpoint, dynamodb_client: DynamoDBClient
) -> None:
    table = loaded_table(dynamodb_client)

    async def each_client() -> dict[str, tuple[Any, Any, int]]:
        clients, notes = async_clients(dynamodb_client, table, dynamodb_endpoint.url)
        assert len(notes) == len(ASYNC_PEERS) - len(INSTALLED_PEERS)
        seen = {}
        for each in clients:
            got, put, page = await each.get(3), await each.put(4), await each.page()
            seen[each.name] = (got, put, len(page))  # type: ignore[arg-type]
            await each.aclose()
        return seen

    seen = asyncio.run(each_client())
    assert list(seen) == ["kvtable async", *INSTALLED_PEERS]
    assert KVTABLE_ASYNC.name == "kvtable async"
    for name, (got, put, page) in seen.items():
        assert got["value"] == key_value(3), name
        assert put["value"] == key_value(4) and put["version"] >= 2, name
        assert page == PAGE, name


def test_the_section_measures_every_call_and_every_task_count(
    dynamodb_endpoint: LocalEndpoint, dynamodb_client: DynamoDBClient
) -> None:
    table = loaded_table(dynamodb_client)
    sizes = AsyncSizes(KEYS, calls=6, pages=2, seconds=0.1, seed=7, tasks=(1, 4))
    names, samples, runs, notes = asyncio.run(
        measure_async(dynamodb_client, dynamodb_endpoint.url, table, sizes)
    )
    assert len(notes) == len(ASYNC_PEERS) - len(INSTALLED_PEERS)
    assert list(names) == ["kvtable async", *INSTALLED_PEERS]
    assert {
        operation: {name: len(calls) for name, calls in by_name.items()}
        for operation, by_name in samples.items()
    } == {
        "get": dict.fromkeys(names, 6),
        "put": dict.fromkeys(names, 6),
        "page": dict.fromkeys(names, 2),
    }
    assert list(runs) == [1, 4]
    for measured in runs.values():
        assert sorted(measured) == sorted(names)
        assert all(run.requests > 0 and run.seconds > 0 for run in measured.values())
