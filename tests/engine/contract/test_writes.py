"""Writes that keep the data true, and bad input refused before any request."""

import threading
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.schema.errors import (
    AlreadyExistsError,
    InvalidEntryError,
    InvalidInputError,
    ItemNotFoundError,
    KvTableError,
)
from kvtable.transport import TransportChoice


@pytest.fixture
def requests_made(dynamodb_client: DynamoDBClient) -> list[str]:
    """Names of the DynamoDB operations the client sends, in order."""
    sent: list[str] = []

    def record(model: Any, **_: Any) -> None:
        sent.append(model.name)

    dynamodb_client.meta.events.register("before-call.dynamodb.*", record)
    return sent


@pytest.fixture
def user(store: KvTable) -> KvTable:
    store.create_user("user123", "test@example.com", "abc123def456", plan="pro")
    return store


def test_creating_an_existing_user_fails_cleanly(user: KvTable) -> None:
    with pytest.raises(AlreadyExistsError, match="user 'user123' already exists"):
        user.create_user("user123", "other@example.com", "another-key")
    # Nothing half-done: the other key was not claimed.
    user.create_user("user456", "b@example.com", "another-key")


def test_an_api_key_belongs_to_one_user(user: KvTable) -> None:
    with pytest.raises(AlreadyExistsError, match="API key"):
        user.create_user("user456", "b@example.com", "abc123def456")
    with pytest.raises(ItemNotFoundError):
        user.get_user("user456", consistent=True)


def test_rotating_the_api_key_moves_the_claim(user: KvTable) -> None:
    user.create_user("user456", "b@example.com", "taken-key")
    with pytest.raises(AlreadyExistsError):
        user.rotate_api_key("user123", "taken-key")
    assert user.get_user("user123", consistent=True)["apiKey"] == "abc123def456"

    rotated = user.rotate_api_key("user123", "fresh-key")
    assert rotated["apiKey"] == "fresh-key"
    assert user.get_user_by_api_key("fresh-key")["userId"] == "user123"
    with pytest.raises(ItemNotFoundError):
        user.get_user_by_api_key("abc123def456")
    # The old key is free again.
    user.create_user("user789", "c@example.com", "abc123def456")


def test_namespace_creation_is_one_transaction_and_names_are_unique(user: KvTable) -> None:
    user.create_namespace("user123", "myapp")
    user.create_user("user456", "b@example.com", "k2")
    with pytest.raises(AlreadyExistsError, match="namespace 'myapp' is taken"):
        user.create_namespace("user456", "myapp")
    assert user.list_user_namespaces("user456", consistent=True).items == []
    with pytest.raises(ItemNotFoundError, match="user 'ghost' not found"):
        user.create_namespace("ghost", "ghostapp")
    with pytest.raises(ItemNotFoundError):
        user.get_namespace("ghostapp", consistent=True)


def test_put_key_keeps_created_at_and_moves_updated_at(store: KvTable) -> None:
    first = store.put_key("myapp", "k", 1)
    assert first["createdAt"] == first["updatedAt"]
    time.sleep(0.01)
    second = store.put_key("myapp", "k", 2)
    assert second["createdAt"] == first["createdAt"]
    assert second["updatedAt"] > first["updatedAt"]
    assert second["value"] == 2
    assert datetime.fromisoformat(second["createdAt"]).tzinfo is not None


def test_create_key_refuses_an_existing_key(store: KvTable) -> None:
    store.create_key("myapp", "k", "first")
    with pytest.raises(AlreadyExistsError):
        store.create_key("myapp", "k", "second")
    assert store.get_key("myapp", "k", consistent=True)["value"] == "first"


def test_put_without_ttl_clears_a_previous_ttl(store: KvTable) -> None:
    store.put_key("myapp", "k", 1, ttl=int(time.time()) + 3600)
    assert "ttl" not in store.put_key("myapp", "k", 2)


def test_concurrent_counters_lose_no_increment(user: KvTable, dynamodb_client: DynamoDBClient) -> None:
    def bump() -> None:
        for _ in range(10):
            user.add_usage("user123", requests=1, storage_bytes=5)

    threads = [threading.Thread(target=bump) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    totals = user.get_user("user123", consistent=True)
    assert (totals["requestCount"], totals["storageBytes"]) == (80, 400)
    with pytest.raises(ItemNotFoundError):
        user.add_usage("ghost", requests=1)


LONG_KEY = "k" * 1021


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: s.get_user(""), "user id must be a non-empty string"),
        (lambda s: s.get_user("a#b"), "reserves"),
        (lambda s: s.put_key("ns", "a#b", 1), "reserves"),
        (lambda s: s.put_key("", "k", 1), "namespace"),
        (lambda s: s.put_key("ns", LONG_KEY, 1), "DynamoDB allows 1024"),
        (lambda s: s.put_key("ns", "k", "x" * (400 * 1024)), "400 KB"),
        (lambda s: s.put_key("ns", "k", 1, ttl=int(time.time()) - 1), "not in the future"),
        (lambda s: s.put_key("ns", "k", 1, ttl=time.time() + 60), "whole number"),
        (lambda s: s.put_key("ns", "k", 1, ttl=True), "whole number"),
        (lambda s: s.put_key("ns", "k", float("nan")), "NaN"),
        (lambda s: s.put_key("ns", "k", {"when": datetime.now(UTC)}), "not a JSON value"),
        (lambda s: s.create_user("u", "e@example.com", "k", plan="gold"), "plan must be one of"),
        (lambda s: s.create_user("u", "", "k"), "email"),
        (lambda s: s.create_user("u", "e@example.com", "a#b"), "reserves"),
        (lambda s: s.add_usage("u", requests=1.5), "whole number"),
        (lambda s: s.list_keys("ns", prefix="a#"), "reserves"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    store: KvTable, requests_made: list[str], call: Any, message: str
) -> None:
    with pytest.raises(InvalidInputError, match=message):
        call(store)
    assert requests_made == []


def test_a_missing_table_is_the_projects_error(
    dynamodb_client: DynamoDBClient, transport: TransportChoice
) -> None:
    with pytest.raises(KvTableError, match="does not exist"):
        KvTable(dynamodb_client, "no-such-table", transport=transport).get_user("u")


def test_load_keys_writes_every_key_with_its_gsi_copy(store: KvTable) -> None:
    written = store.load_keys("myapp", ((f"k{i:03d}", {"n": i}) for i in range(60)))
    assert written == 60
    listed = list(store.iter_keys("myapp", page_size=25))
    assert [k["value"] for k in listed] == [{"n": i} for i in range(60)]
    assert listed[0]["GSI1PK"] == "NS#myapp"


def test_load_keys_last_value_wins_for_a_repeated_key(store: KvTable) -> None:
    assert store.load_keys("myapp", [("k", 1), ("k", 2)]) == 2  # entries written, for resuming
    assert store.count_keys("myapp", consistent=True) == 1
    assert store.get_key("myapp", "k", consistent=True)["value"] == 2


def test_load_keys_with_a_bad_entry_in_the_first_chunk_writes_nothing(
    store: KvTable, requests_made: list[str]
) -> None:
    entries = [(f"k{i}", i) for i in range(20)] + [("bad#key", 0)] + [(f"k{i}", i) for i in range(20, 30)]
    with pytest.raises(InvalidEntryError, match=r"reserves.*entries 1 to 25") as refused:
        store.load_keys("myapp", entries)
    assert refused.value.written == 0
    assert requests_made == []
