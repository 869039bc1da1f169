"""Expired items are gone for every key operation, writes say what they do to createdAt and ttl, and
the usage counters mean what they say: on DynamoDB Local, with the store's clock moved by hand
(DynamoDB deletes expired items only eventually, so they are still there to be tripped over)."""

from datetime import UTC, datetime
from typing import Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.consumed_capacity import CapacityRecorder
from kvtable.contract.store import KvTable
from kvtable.schema.errors import (
    AlreadyExistsError,
    ConditionFailedError,
    InvalidInputError,
    ItemNotFoundError,
)
from kvtable.transport import TransportChoice

START = 1_800_000_000


class Clock:
    """A clock the test moves."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.now, UTC)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(
    dynamodb_client: DynamoDBClient, table_name: str, clock: Clock, transport: TransportChoice
) -> KvTable:
    return KvTable(dynamodb_client, table_name, transport=transport, clock=clock)


def raw(client: DynamoDBClient, table: str, key: str) -> dict[str, Any]:
    item = client.get_item(
        TableName=table, Key={"PK": {"S": "NS#ns1"}, "SK": {"S": f"KEY#{key}"}}, ConsistentRead=True
    )
    return dict(item.get("Item", {}))


def expired_key(timed: KvTable, clock: Clock, key: str = "k") -> str:
    """A key written with a TTL a minute ahead, then the clock moved two minutes on; its createdAt."""
    created = timed.put_key("ns1", key, {"v": "old"}, ttl=START + 60)["createdAt"]
    clock.now = START + 120
    return str(created)


def test_create_over_an_expired_key_starts_a_new_key_in_one_request(timed: KvTable, clock: Clock) -> None:
    old_created = expired_key(timed, clock)
    recorder = CapacityRecorder().attach(timed)
    created = timed.create_key("ns1", "k", {"v": "new"})
    assert [(r.operation, r.table, r.indexes) for r in recorder.records] == [
        ("UpdateItem", 1.0, {"GSI1": 1.0})
    ]
    assert created["createdAt"] != old_created
    assert created["createdAt"] == "2027-01-15T08:02:00.000Z"
    assert "ttl" not in created
    with pytest.raises(AlreadyExistsError):
        timed.create_key("ns1", "k", {"v": "again"})


def test_put_keeps_a_live_keys_created_at_and_renews_an_expired_one(timed: KvTable, clock: Clock) -> None:
    first = timed.put_key("ns1", "live", 1)
    clock.now += 5
    recorder = CapacityRecorder().attach(timed)
    second = timed.put_key("ns1", "live", 2)
    assert second["createdAt"] == first["createdAt"]
    assert len(recorder.records) == 1  # the usual case stays one request
    old_created = expired_key(timed, clock, "dead")
    renewed = timed.put_key("ns1", "dead", {"v": "new"})
    assert renewed["createdAt"] != old_created
    assert renewed["createdAt"] == renewed["updatedAt"]


def test_update_and_delete_of_an_expired_key_answer_as_for_a_missing_key(
    timed: KvTable, clock: Clock, dynamodb_client: DynamoDBClient, table_name: str
) -> None:
    expired_key(timed, clock)
    before = raw(dynamodb_client, table_name, "k")
    with pytest.raises(ItemNotFoundError):
        timed.update_key("ns1", "k", {"v": "new"})
    with pytest.raises(ItemNotFoundError):
        timed.delete_key("ns1", "k")
    with pytest.raises(ItemNotFoundError):
        timed.get_key("ns1", "k")
    assert raw(dynamodb_client, table_name, "k") == before


def test_update_keeps_the_ttl_unless_told(timed: KvTable) -> None:
    timed.put_key("ns1", "k", 1, ttl=START + 3600)
    assert timed.update_key("ns1", "k", 2)["ttl"] == START + 3600
    assert timed.update_key("ns1", "k", 3, ttl=START + 7200)["ttl"] == START + 7200
    assert "ttl" not in timed.update_key("ns1", "k", 4, ttl=None)
    # put_key replaces the whole key: without a ttl it has none.
    timed.update_key("ns1", "k", 5, ttl=START + 3600)
    assert "ttl" not in timed.put_key("ns1", "k", 6)


def test_request_count_only_grows(timed: KvTable) -> None:
    timed.create_user("u1", "u1@example.com", "key-one")
    assert timed.add_usage("u1", requests=3)["requestCount"] == 3
    with pytest.raises(InvalidInputError, match="requestCount only grows"):
        timed.add_usage("u1", requests=-1)
    assert timed.get_user("u1", consistent=True)["requestCount"] == 3


def test_storage_shrinks_but_never_below_zero_and_a_refusal_changes_nothing(timed: KvTable) -> None:
    timed.create_user("u1", "u1@example.com", "key-one")
    timed.add_usage("u1", requests=1, storage_bytes=100)
    assert timed.add_usage("u1", storage_bytes=-40)["storageBytes"] == 60
    assert timed.add_usage("u1", storage_bytes=-60)["storageBytes"] == 0
    with pytest.raises(ConditionFailedError, match="would go below zero; nothing was changed"):
        timed.add_usage("u1", requests=5, storage_bytes=-1)
    user = timed.get_user("u1", consistent=True)
    assert (user["requestCount"], user["storageBytes"]) == (1, 0)
    with pytest.raises(ItemNotFoundError):
        timed.add_usage("nobody", requests=1)
