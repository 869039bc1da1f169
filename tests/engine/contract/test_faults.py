"""A bad day on AWS, through a fault-injecting proxy in front of DynamoDB Local: throttling, HTTP 500s,
and connections dropped before the engine saw a request or after it applied one. Each operation
succeeds exactly once or fails with the contract's error; counters are exact; no item is lost or
duplicated. botocore's own retries are off, so the contract's retries are what is tested: the
contract must not depend on the caller's retry settings."""

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema.errors import AlreadyExistsError, RetriesExhaustedError
from kvtable.transport import TransportChoice
from tests.async_front import close_store, make_store
from tests.harness.fault_proxy import FaultPlan, client_through, fault_proxy
from tests.local_clients import local_settings

FAULTS = ["throttle", "error500", "drop_before", "drop_after"]


@pytest.fixture
def proxied(
    dynamodb_endpoint: LocalEndpoint, table_name: str, transport: TransportChoice
) -> Iterator[tuple[KvTable, FaultPlan]]:
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        client: DynamoDBClient = client_through(url)
        store = make_store(client, table_name, transport, sleep=lambda _: None)
        yield store, plan
        close_store(store)


def unproxied(store: KvTable, dynamodb_client: DynamoDBClient) -> KvTable:
    """The same table, without the proxy, to read back what really happened."""
    return KvTable(dynamodb_client, store.table_name)


def items(dynamodb_client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    return list(dynamodb_client.scan(TableName=table, ConsistentRead=True)["Items"])


@pytest.mark.parametrize("fault", FAULTS)
def test_a_counter_is_added_exactly_once(
    proxied: tuple[KvTable, FaultPlan], dynamodb_client: DynamoDBClient, fault: str
) -> None:
    store, plan = proxied
    store.create_user("u1", "u1@example.com", "key-one")
    plan.inject(fault)
    totals = store.add_usage("u1", requests=5, storage_bytes=100)
    assert (totals["requestCount"], totals["storageBytes"]) == (5, 100)
    user = unproxied(store, dynamodb_client).get_user("u1", consistent=True)
    assert (user["requestCount"], user["storageBytes"]) == (5, 100)
    assert plan.operations[1] == f"TransactWriteItems:{fault}"


@pytest.mark.parametrize("fault", FAULTS)
def test_a_create_is_applied_once_and_not_reported_taken(
    proxied: tuple[KvTable, FaultPlan], dynamodb_client: DynamoDBClient, fault: str
) -> None:
    store, plan = proxied
    plan.inject(fault)
    created = store.create_key("ns1", "k1", {"v": 1})
    assert created["value"] == {"v": 1}
    assert len(items(dynamodb_client, store.table_name)) == 1
    plan.inject(fault)
    store.create_user("u1", "u1@example.com", "key-one")
    assert unproxied(store, dynamodb_client).get_user("u1", consistent=True)["apiKey"] == "key-one"
    assert len(items(dynamodb_client, store.table_name)) == 3  # the key, the user, the API key guard
    # Someone else's create is still refused.
    with pytest.raises(AlreadyExistsError):
        store.create_key("ns1", "k1", {"v": 2})


@pytest.mark.parametrize("fault", FAULTS)
def test_puts_and_deletes_end_as_if_sent_once(
    proxied: tuple[KvTable, FaultPlan], dynamodb_client: DynamoDBClient, fault: str
) -> None:
    store, plan = proxied
    plan.inject(fault)
    store.put_key("ns1", "k1", "one")
    assert unproxied(store, dynamodb_client).get_key("ns1", "k1", consistent=True)["value"] == "one"
    plan.inject(fault)
    store.delete_key("ns1", "k1")  # after drop_after, the retry finds it gone: that is this delete's doing
    assert items(dynamodb_client, store.table_name) == []


@pytest.mark.parametrize("fault", FAULTS)
def test_a_bulk_load_writes_every_key_once(
    proxied: tuple[KvTable, FaultPlan], dynamodb_client: DynamoDBClient, fault: str
) -> None:
    store, plan = proxied
    plan.inject(fault)
    assert store.load_keys("ns1", ((f"k{i:03d}", i) for i in range(60))) == 60
    assert len(items(dynamodb_client, store.table_name)) == 60


@pytest.mark.parametrize("fault", FAULTS)
def test_reads_are_retried(proxied: tuple[KvTable, FaultPlan], fault: str) -> None:
    store, plan = proxied
    store.put_key("ns1", "k1", 1)
    plan.inject(fault, fault)
    assert store.get_key("ns1", "k1")["value"] == 1
    assert [k["value"] for k in store.list_keys("ns1").items] in ([1], [])


def test_past_the_budget_the_error_says_what_may_have_been_written(
    proxied: tuple[KvTable, FaultPlan], dynamodb_client: DynamoDBClient
) -> None:
    store, plan = proxied
    plan.inject(*["throttle"] * store.retry_attempts)
    with pytest.raises(RetriesExhaustedError) as throttled:
        store.put_key("ns1", "k1", 1)
    assert throttled.value.maybe_applied is False
    assert "nothing was written" in str(throttled.value)
    assert items(dynamodb_client, store.table_name) == []
    plan.inject("drop_after", *["throttle"] * (store.retry_attempts - 1))
    with pytest.raises(RetriesExhaustedError) as dropped:
        store.put_key("ns1", "k2", 2)
    assert dropped.value.maybe_applied is True
    assert "it may have been applied once" in str(dropped.value)
    assert len(items(dynamodb_client, store.table_name)) == 1


def test_a_delete_retried_by_botocore_itself_is_still_done_once(
    dynamodb_endpoint: LocalEndpoint, table_name: str, dynamodb_client: DynamoDBClient
) -> None:
    # With botocore's default retries, botocore re-sends a request whose connection dropped, unseen
    # by the contract: the second delete then finds the key gone, which is the first one's doing.
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        client: DynamoDBClient = boto3.client("dynamodb", **local_settings(url))
        # botocore's own retries are what this test is about: its transport only.
        store = KvTable(client, table_name, transport="botocore", sleep=lambda _: None)
        store.put_key("ns1", "k1", 1)
        plan.inject("drop_after")
        store.delete_key("ns1", "k1")
        assert plan.operations[-2:] == ["DeleteItem:drop_after", "DeleteItem:pass"]
    assert items(dynamodb_client, table_name) == []
