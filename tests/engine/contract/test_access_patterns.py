"""The six access patterns, each one request, on DynamoDB Local over HTTP."""

from datetime import UTC, datetime, timedelta

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.builders.table_definition import create_table_request
from kvtable.contract.consumed_capacity import CapacityRecorder
from kvtable.contract.store import KvTable
from kvtable.schema.errors import InvalidInputError, ItemNotFoundError
from tests.async_front import make_store


@pytest.fixture
def loaded(store: KvTable) -> KvTable:
    store.create_user("user123", "test@example.com", "abc123def456")
    store.create_namespace("user123", "myapp")
    store.put_key("myapp", "user:123", {"name": "John", "email": "john@example.com"})
    return store


def test_local_table_matches_the_template(dynamodb_client: DynamoDBClient, table_name: str) -> None:
    described = dynamodb_client.describe_table(TableName=table_name)["Table"]
    expected = create_table_request(table_name)
    assert described["KeySchema"] == expected["KeySchema"]
    (gsi,) = described["GlobalSecondaryIndexes"]
    assert gsi["IndexName"] == "GSI1"
    assert gsi["KeySchema"] == expected["GlobalSecondaryIndexes"][0]["KeySchema"]
    assert gsi["Projection"] == {"ProjectionType": "ALL"}
    assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    ttl = dynamodb_client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    assert ttl == {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}


def test_pattern_1_get_user_by_id(loaded: KvTable, capacity: CapacityRecorder) -> None:
    user = loaded.get_user("user123")
    assert (user["PK"], user["SK"]) == ("USER#user123", "METADATA")
    assert user["email"] == "test@example.com"
    assert user["plan"] == "free"
    assert capacity.last.operation == "GetItem"
    assert len(capacity.records) == 1


def test_pattern_2_get_user_by_api_key(loaded: KvTable, capacity: CapacityRecorder) -> None:
    user = loaded.get_user_by_api_key("abc123def456")
    assert user["userId"] == "user123"
    assert (user["GSI1PK"], user["GSI1SK"]) == ("APIKEY#abc123def456", "METADATA")
    assert [r.operation for r in capacity.records] == ["Query"]
    assert capacity.last.indexes == {"GSI1": 0.5}
    with pytest.raises(ItemNotFoundError):
        loaded.get_user_by_api_key("nobody-has-this")


def test_pattern_3_list_user_namespaces(loaded: KvTable) -> None:
    loaded.create_namespace("user123", "other")
    page = loaded.list_user_namespaces("user123")
    assert [item["SK"] for item in page.items] == ["NS#myapp", "NS#other"]
    assert all(item["entityType"] == "NAMESPACE" for item in page.items)
    assert page.cursor is None


def test_pattern_4_get_namespace_metadata(loaded: KvTable) -> None:
    namespace = loaded.get_namespace("myapp")
    assert namespace == {
        "PK": "NS#myapp",
        "SK": "METADATA",
        "GSI1PK": "USER#user123",
        "GSI1SK": "NS#myapp",
        "entityType": "NAMESPACE",
        "createdAt": namespace["createdAt"],
        "updatedAt": namespace["updatedAt"],
    }
    with pytest.raises(ItemNotFoundError):
        loaded.get_namespace("missing")


def test_pattern_5_key_crud(loaded: KvTable) -> None:
    created = loaded.get_key("myapp", "user:123")
    assert created["value"] == {"name": "John", "email": "john@example.com"}
    assert (created["GSI1PK"], created["GSI1SK"]) == ("NS#myapp", "KEY#user:123")

    updated = loaded.update_key("myapp", "user:123", [1, 2.5, "three"])
    assert updated["value"] == [1, 2.5, "three"]
    assert loaded.get_key("myapp", "user:123", consistent=True)["value"] == [1, 2.5, "three"]

    loaded.delete_key("myapp", "user:123")
    with pytest.raises(ItemNotFoundError):
        loaded.get_key("myapp", "user:123", consistent=True)
    with pytest.raises(ItemNotFoundError):
        loaded.delete_key("myapp", "user:123")
    with pytest.raises(ItemNotFoundError):
        loaded.update_key("myapp", "user:123", 1)


def _load_keys(store: KvTable, count: int) -> None:
    for i in range(count):
        store.put_key("myapp", f"user:{i:03d}", i)
    store.put_key("myapp", "order:1", "not a user")


@pytest.mark.parametrize("consistent", [False, True])
def test_pattern_6_list_keys_by_prefix_paginates(store: KvTable, consistent: bool) -> None:
    _load_keys(store, 25)
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = store.list_keys("myapp", "user:", page_size=10, cursor=cursor, consistent=consistent)
        assert len(page.items) <= 10
        seen.extend(item["SK"] for item in page.items)
        pages += 1
        if page.cursor is None:
            break
        cursor = page.cursor
    assert seen == [f"KEY#user:{i:03d}" for i in range(25)]
    assert pages == 3
    assert [k["value"] for k in store.iter_keys("myapp", "user:02", page_size=2, consistent=consistent)] == [
        20,
        21,
        22,
        23,
        24,
    ]


def test_pattern_6_uses_the_gsi_unless_consistent(store: KvTable, capacity: CapacityRecorder) -> None:
    store.put_key("myapp", "a", 1)
    capacity.clear()
    store.list_keys("myapp")
    assert capacity.last.indexes == {"GSI1": 0.5} and capacity.last.table == 0
    store.list_keys("myapp", consistent=True)
    assert capacity.last.indexes == {} and capacity.last.table == 1.0


def test_listing_every_key_excludes_namespace_metadata(loaded: KvTable) -> None:
    assert [k["SK"] for k in loaded.iter_keys("myapp", consistent=True)] == ["KEY#user:123"]
    assert [k["SK"] for k in loaded.iter_keys("myapp")] == ["KEY#user:123"]


def test_a_cursor_from_another_listing_is_refused(store: KvTable) -> None:
    _load_keys(store, 3)
    page = store.list_keys("myapp", page_size=1)
    assert page.cursor is not None
    with pytest.raises(InvalidInputError, match="cursor"):
        store.list_keys("othernamespace", cursor=page.cursor)
    with pytest.raises(InvalidInputError, match="cursor"):
        store.list_keys("myapp", cursor="not-a-cursor!")
    # A GSI listing's cursor does not continue a consistent (table) listing.
    with pytest.raises(InvalidInputError, match="cursor"):
        store.list_keys("myapp", cursor=page.cursor, consistent=True)


@pytest.mark.parametrize("page_size", [0, -1, 1001, True])
def test_bad_page_sizes_are_refused(store: KvTable, page_size: int) -> None:
    with pytest.raises(InvalidInputError, match="page size"):
        store.list_keys("myapp", page_size=page_size)


def test_expired_keys_are_not_returned(store: KvTable, dynamodb_client: DynamoDBClient) -> None:
    now = datetime.now(UTC)
    store.put_key("myapp", "session", "soon gone", ttl=int(now.timestamp()) + 60)
    store.put_key("myapp", "settings", "kept")
    later = make_store(
        dynamodb_client, store.table_name, store.transport, clock=lambda: now + timedelta(minutes=5)
    )
    with pytest.raises(ItemNotFoundError, match="expired"):
        later.get_key("myapp", "session")
    assert [k["SK"] for k in later.iter_keys("myapp")] == ["KEY#settings"]
    assert [k["SK"] for k in later.iter_keys("myapp", consistent=True)] == ["KEY#settings"]
    # Before expiry both are there.
    assert store.get_key("myapp", "session")["ttl"] == int(now.timestamp()) + 60
    # An expired key counts as absent: create succeeds over it.
    assert later.create_key("myapp", "session", "new")["value"] == "new"
