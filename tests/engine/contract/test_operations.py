"""The operations a key-value service needs beyond the six patterns, on DynamoDB Local: their results,
their refusals (nothing changed), their exact consumed capacity, and for the batched ones an
interruption and a resume."""

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.consumed_capacity import CapacityRecorder
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint, local_dynamodb_client
from kvtable.schema import key_design as kd
from kvtable.schema.errors import (
    ConditionFailedError,
    InvalidInputError,
    ItemNotFoundError,
    NamespaceQuarantinedError,
    NamespaceUnavailableError,
    NotOwnerError,
    RetriesExhaustedError,
    VersionConflictError,
)
from kvtable.transport import TransportChoice
from tests.async_front import make_store
from tests.harness.fault_proxy import FaultPlan, client_through, fault_proxy


def units(capacity: CapacityRecorder) -> list[tuple[str, float, float]]:
    """(operation, table units, GSI1 units) of every request since the recorder was cleared."""
    return [(r.operation, r.table, r.indexes.get("GSI1", 0.0)) for r in capacity.records]


def five_minutes_on(store: KvTable) -> KvTable:
    """The same table as seen five minutes from now: a key whose TTL is a minute away has expired. It
    sends through the store's transport, so what records the store's capacity records its too."""
    return make_store(
        store.client,
        store.table_name,
        store.transport,
        clock=lambda: datetime.now(UTC) + timedelta(minutes=5),
    )


def all_items(client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    return list(client.scan(TableName=table, ConsistentRead=True)["Items"])


def tombstones(client: DynamoDBClient, table: str) -> set[str]:
    """The partitions of the namespace tombstones in the table (a deleted namespace's METADATA)."""
    return {
        item["PK"]["S"]
        for item in all_items(client, table)
        if item["entityType"]["S"] == kd.NAMESPACE_TOMBSTONE_ENTITY and item["SK"]["S"] == kd.METADATA
    }


@pytest.fixture
def owner(store: KvTable) -> KvTable:
    store.create_user("u1", "u1@example.com", "key-one")
    store.create_namespace("u1", "myapp")
    return store


@pytest.fixture
def proxied(
    dynamodb_endpoint: LocalEndpoint, table_name: str, transport: TransportChoice
) -> Iterator[tuple[KvTable, FaultPlan]]:
    """The same table through a fault proxy, with a budget of one try: an injected fault interrupts."""
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        client = client_through(url)
        yield KvTable(client, table_name, transport=transport, retry_attempts=1, sleep=lambda _: None), plan


# ----- compare-and-swap --------------------------------------------------------------------------


def test_every_key_write_counts_versions_from_one(owner: KvTable) -> None:
    assert owner.create_key("myapp", "k", 1)["version"] == 1
    assert owner.put_key("myapp", "k", 2)["version"] == 2
    assert owner.update_key("myapp", "k", 3)["version"] == 3
    assert owner.get_key("myapp", "k", consistent=True)["version"] == 3


def test_update_with_the_stored_version_writes_and_costs_one_write(
    owner: KvTable, capacity: CapacityRecorder
) -> None:
    owner.put_key("myapp", "k", "first")
    capacity.clear()
    written = owner.update_key("myapp", "k", "second", expected_version=1)
    assert (written["value"], written["version"]) == ("second", 2)
    assert units(capacity) == [("UpdateItem", 1.0, 1.0)]


def test_update_with_another_version_is_a_conflict_carrying_the_stored_version(owner: KvTable) -> None:
    owner.put_key("myapp", "k", "first")
    owner.put_key("myapp", "k", "someone else")
    with pytest.raises(VersionConflictError, match="version 2, not 1") as conflict:
        owner.update_key("myapp", "k", "mine", expected_version=1)
    assert conflict.value.current_version == 2
    stored = owner.get_key("myapp", "k", consistent=True)
    assert (stored["value"], stored["version"]) == ("someone else", 2)


def test_compare_and_swap_of_a_missing_or_expired_key_is_not_found(owner: KvTable) -> None:
    with pytest.raises(ItemNotFoundError):
        owner.update_key("myapp", "missing", 1, expected_version=1)
    owner.put_key("myapp", "short-lived", 1, ttl=int(time.time()) + 60)
    with pytest.raises(ItemNotFoundError):
        five_minutes_on(owner).update_key("myapp", "short-lived", 2, expected_version=1)


@pytest.mark.parametrize("bad", [0, -1, "1", 1.0, True, 10**38])
def test_a_bad_expected_version_is_refused_before_any_request(owner: KvTable, bad: object) -> None:
    owner.put_key("myapp", "k", 1)
    with pytest.raises(InvalidInputError, match="expected version"):
        owner.update_key("myapp", "k", 2, expected_version=bad)  # type: ignore[arg-type]
    assert owner.get_key("myapp", "k", consistent=True)["version"] == 1


@pytest.mark.parametrize("fault", ["drop_after", "error500", "throttle"])
def test_a_retried_write_counts_one_version(
    dynamodb_endpoint: LocalEndpoint, owner: KvTable, transport: TransportChoice, fault: str
) -> None:
    owner.put_key("myapp", "k", 1)
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        client = client_through(url)
        through = KvTable(client, owner.table_name, transport=transport, sleep=lambda _: None)
        plan.inject(fault)
        assert through.update_key("myapp", "k", 2, expected_version=1)["version"] == 2
        plan.inject(fault)
        assert through.put_key("myapp", "k", 3)["version"] == 3
    assert owner.get_key("myapp", "k", consistent=True)["version"] == 3


# ----- many keys at once -------------------------------------------------------------------------


def test_get_keys_answers_live_keys_in_the_order_asked(owner: KvTable, capacity: CapacityRecorder) -> None:
    for key in ("a", "b", "c"):
        owner.put_key("myapp", key, key.upper())
    owner.put_key("myapp", "gone", 0, ttl=int(time.time()) + 60)
    capacity.clear()
    found = five_minutes_on(owner).get_keys("myapp", ["c", "missing", "a", "gone", "c", "b"])
    assert list(found) == ["c", "a", "b"]
    assert [item["value"] for item in found.values()] == ["C", "A", "B"]
    # Four distinct small items read, eventually consistent: 0.5 RCU each (the expired one is read too).
    assert units(capacity) == [("BatchGetItem", 2.0, 0.0)]
    capacity.clear()
    owner.get_keys("myapp", ["a", "b"], consistent=True)
    assert units(capacity) == [("BatchGetItem", 2.0, 0.0)]


def test_get_keys_asks_100_keys_a_request(owner: KvTable, capacity: CapacityRecorder) -> None:
    owner.load_keys("myapp", ((f"k{i:03d}", i) for i in range(250)))
    capacity.clear()
    found = owner.get_keys("myapp", [f"k{i:03d}" for i in range(250)])
    assert [item["value"] for item in found.values()] == list(range(250))
    assert [operation for operation, _, _ in units(capacity)] == ["BatchGetItem"] * 3


@pytest.mark.parametrize("bad", ["abc", ["ok", "bad#key"], [1], None, [["list"]]])
def test_bad_key_lists_are_refused_before_any_request(owner: KvTable, bad: object) -> None:
    with pytest.raises(InvalidInputError):
        owner.get_keys("myapp", bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidInputError):
        owner.delete_keys("myapp", bad)  # type: ignore[arg-type]


def test_delete_keys_deletes_25_a_request(owner: KvTable, capacity: CapacityRecorder) -> None:
    owner.load_keys("myapp", ((f"k{i:02d}", i) for i in range(60)))
    capacity.clear()
    assert owner.delete_keys("myapp", [f"k{i:02d}" for i in range(0, 60, 2)]) == 30
    assert units(capacity) == [("BatchWriteItem", 25.0, 25.0), ("BatchWriteItem", 5.0, 5.0)]
    assert [k["value"] for k in owner.iter_keys("myapp", consistent=True)] == list(range(1, 60, 2))


def test_delete_keys_interrupted_then_run_again_deletes_them_all(
    proxied: tuple[KvTable, FaultPlan], owner: KvTable
) -> None:
    through, plan = proxied
    owner.load_keys("myapp", ((f"k{i:02d}", i) for i in range(60)))
    plan.inject("pass", "throttle")
    with pytest.raises(RetriesExhaustedError, match="nothing was written"):
        through.delete_keys("myapp", [f"k{i:02d}" for i in range(60)])
    assert owner.count_keys("myapp", consistent=True) == 35
    assert owner.delete_keys("myapp", [f"k{i:02d}" for i in range(60)]) == 60
    assert owner.count_keys("myapp", consistent=True) == 0


# ----- counting ----------------------------------------------------------------------------------


def test_count_keys_counts_live_keys_and_costs_what_reading_them_costs(
    owner: KvTable, capacity: CapacityRecorder
) -> None:
    for key in ("user:1", "user:2", "order:1"):
        owner.put_key("myapp", key, 1)
    owner.put_key("myapp", "user:gone", 1, ttl=int(time.time()) + 60)
    later = five_minutes_on(owner)
    capacity.clear()
    assert later.count_keys("myapp") == 3
    assert later.count_keys("myapp", prefix="user:") == 2
    assert later.count_keys("myapp", prefix="user:", consistent=True) == 2
    assert units(capacity) == [("Query", 0.0, 0.5), ("Query", 0.0, 0.5), ("Query", 1.0, 0.0)]


def test_count_keys_pages_past_one_megabyte(owner: KvTable, capacity: CapacityRecorder) -> None:
    owner.load_keys("myapp", ((f"k{i:02d}", "x" * 60_000) for i in range(30)))  # 1.8 MB
    capacity.clear()
    assert owner.count_keys("myapp", consistent=True) == 30
    assert [operation for operation, _, _ in units(capacity)] == ["Query", "Query"]


# ----- users: plan and email ---------------------------------------------------------------------


def test_update_user_changes_plan_and_email_in_one_write(owner: KvTable, capacity: CapacityRecorder) -> None:
    capacity.clear()
    user = owner.update_user("u1", plan="scale", email="new@example.com")
    assert (user["plan"], user["email"]) == ("scale", "new@example.com")
    assert units(capacity) == [("UpdateItem", 1.0, 1.0)]
    assert owner.get_user_by_api_key("key-one")["plan"] == "scale"


@pytest.mark.parametrize(
    ("changes", "message"),
    [({}, "give a plan"), ({"plan": "gold"}, "plan must be one of"), ({"email": ""}, "email")],
)
def test_update_user_refuses_bad_changes_before_any_request(
    owner: KvTable, capacity: CapacityRecorder, changes: dict[str, Any], message: str
) -> None:
    capacity.clear()
    with pytest.raises(InvalidInputError, match=message):
        owner.update_user("u1", **changes)
    assert capacity.records == []


def test_update_user_of_a_missing_user_is_not_found(store: KvTable, dynamodb_client: DynamoDBClient) -> None:
    with pytest.raises(ItemNotFoundError):
        store.update_user("nobody", plan="pro")
    assert all_items(dynamodb_client, store.table_name) == []


# ----- deleting a namespace ----------------------------------------------------------------------


def test_delete_namespace_removes_its_keys_metadata_and_link_only(
    owner: KvTable, capacity: CapacityRecorder, dynamodb_client: DynamoDBClient
) -> None:
    owner.create_namespace("u1", "other")
    owner.put_key("other", "kept", 1)
    owner.load_keys("myapp", ((f"k{i}", i) for i in range(3)))
    owner.put_key("myapp", "expired", 1, ttl=int(time.time()) + 60)
    capacity.clear()
    assert five_minutes_on(owner).delete_namespace("u1", "myapp") == 4  # the expired key is deleted too
    assert units(capacity) == [
        ("UpdateItem", 1.0, 1.0),  # mark the namespace `deleting`
        ("Query", 1.0, 0.0),  # a page of keys, strongly consistent, keys only
        ("BatchWriteItem", 4.0, 4.0),
        ("Query", 0.0, 0.0),  # no key left
        ("TransactWriteItems", 4.0, 2.0),  # metadata (on GSI1) and the owner's link
    ]
    with pytest.raises(ItemNotFoundError):
        owner.get_namespace("myapp", consistent=True)
    assert [link["SK"] for link in owner.iter_user_namespaces("u1", consistent=True)] == ["NS#other"]
    assert owner.get_key("other", "kept", consistent=True)["value"] == 1
    left = {item["PK"]["S"] + " " + item["SK"]["S"] for item in all_items(dynamodb_client, owner.table_name)}
    assert left == {
        "USER#u1 METADATA",
        "APIKEY#key-one METADATA",
        "USER#u1 NS#other",
        "NS#other METADATA",
        "NS#other KEY#kept",
        "NS#myapp METADATA",  # the tombstone, holding the name for the quarantine
    }
    with pytest.raises(NamespaceQuarantinedError):
        owner.create_namespace("u1", "myapp")
    # The name is free again once the quarantine (from the deletion, five minutes ahead) has passed.
    after = timedelta(minutes=5, seconds=owner.namespace_quarantine)
    after_quarantine = make_store(
        owner.client, owner.table_name, owner.transport, clock=lambda: datetime.now(UTC) + after
    )
    after_quarantine.create_namespace("u1", "myapp")


def test_delete_namespace_of_another_user_is_refused_and_changes_nothing(
    owner: KvTable, dynamodb_client: DynamoDBClient
) -> None:
    owner.create_user("u2", "u2@example.com", "key-two")
    owner.put_key("myapp", "k", 1)
    before = all_items(dynamodb_client, owner.table_name)
    with pytest.raises(NotOwnerError, match="not owned by user 'u2'"):
        owner.delete_namespace("u2", "myapp")
    with pytest.raises(ItemNotFoundError):
        owner.delete_namespace("u1", "never-made")
    assert all_items(dynamodb_client, owner.table_name) == before


def test_delete_namespace_interrupted_then_run_again_finishes(
    proxied: tuple[KvTable, FaultPlan], owner: KvTable
) -> None:
    through, plan = proxied
    owner.load_keys("myapp", ((f"k{i:03d}", i) for i in range(130)))
    # Mark, first page of 100, one batch of 25, then the second batch is throttled.
    plan.inject("pass", "pass", "pass", "throttle")
    with pytest.raises(RetriesExhaustedError):
        through.delete_namespace("u1", "myapp")
    with pytest.raises(NamespaceUnavailableError, match="being deleted"):
        owner.get_namespace("myapp", consistent=True)  # the service's pattern-4 read refuses the namespace
    assert owner.count_keys("myapp", consistent=True) == 105
    assert owner.delete_namespace("u1", "myapp") == 105
    assert owner.count_keys("myapp", consistent=True) == 0
    with pytest.raises(ItemNotFoundError):
        owner.get_namespace("myapp", consistent=True)


def test_delete_namespace_holds_one_page_of_keys_at_a_time(owner: KvTable) -> None:
    owner.load_keys("myapp", ((f"k{i:03d}", i) for i in range(230)))
    limits: list[int] = []

    def note_limit(operation: str, request: dict[str, Any]) -> None:
        if operation == "Query":
            limits.append(request.get("Limit", 0))

    owner.transport.before_call.append(note_limit)
    progress: list[int] = []
    assert owner.delete_namespace("u1", "myapp", on_progress=progress.append) == 230
    assert limits == [100, 100, 100, 100]
    assert progress == [*range(25, 230, 25), 230]


# ----- deleting a user ---------------------------------------------------------------------------


def test_delete_user_refuses_while_it_owns_namespaces_and_changes_nothing(
    owner: KvTable, dynamodb_client: DynamoDBClient
) -> None:
    before = all_items(dynamodb_client, owner.table_name)
    with pytest.raises(ConditionFailedError, match=r"still owns namespaces.*'myapp'"):
        owner.delete_user("u1")
    assert all_items(dynamodb_client, owner.table_name) == before


def test_a_namespace_created_while_the_deletion_starts_refuses_it_and_leaves_the_user_as_it_was(
    store: KvTable, dynamodb_client: DynamoDBClient, transport: TransportChoice
) -> None:
    store.create_user("u2", "u2@example.com", "key-two")
    other = KvTable(_other_client(dynamodb_client), store.table_name, transport=transport)
    raced: list[str] = []

    def create_first(operation: str, _: dict[str, Any]) -> None:
        # Another writer creates a namespace after the check and before the user is marked.
        if operation == "UpdateItem" and not raced:
            raced.append(other.create_namespace("u2", "late")["PK"])

    store.transport.before_call.append(create_first)
    with pytest.raises(ConditionFailedError, match=r"still owns namespaces.*'late'"):
        store.delete_user("u2")
    assert raced == ["NS#late"]
    assert "deleting" not in store.get_user("u2", consistent=True)
    assert store.get_namespace("late", consistent=True)["GSI1PK"] == "USER#u2"


def _other_client(client: DynamoDBClient) -> DynamoDBClient:
    return local_dynamodb_client(client.meta.endpoint_url)


def test_delete_user_with_its_namespaces_leaves_nothing_and_frees_its_api_key(
    owner: KvTable, dynamodb_client: DynamoDBClient
) -> None:
    owner.create_namespace("u1", "second")
    owner.load_keys("myapp", ((f"k{i}", i) for i in range(30)))
    owner.put_key("second", "k", 1)
    owner.create_user("u2", "u2@example.com", "key-two")
    assert owner.delete_user("u1", delete_namespaces=True) == ["myapp", "second"]
    left = {item["PK"]["S"] for item in all_items(dynamodb_client, owner.table_name)}
    assert left == {"USER#u2", "APIKEY#key-two", "NS#myapp", "NS#second"}  # the two namespaces' tombstones
    assert tombstones(dynamodb_client, owner.table_name) == {"NS#myapp", "NS#second"}
    with pytest.raises(ItemNotFoundError):
        owner.get_user_by_api_key("key-one")
    owner.create_user("u3", "u3@example.com", "key-one")  # the API key is free again


def test_delete_user_without_namespaces_costs(owner: KvTable, capacity: CapacityRecorder) -> None:
    owner.create_user("u2", "u2@example.com", "key-two")
    capacity.clear()
    assert owner.delete_user("u2") == []
    assert units(capacity) == [
        ("Query", 0.0, 0.0),  # owns no namespace (an empty answer: DynamoDB Local reports 0)
        ("UpdateItem", 1.0, 1.0),  # mark the user `deleting`
        ("Query", 0.0, 0.0),  # still none after the mark
        ("GetItem", 1.0, 0.0),  # its API key, strongly consistent
        ("TransactWriteItems", 4.0, 2.0),  # the user (on GSI1) and its API-key guard
    ]


def test_a_user_being_deleted_takes_no_new_namespace_and_a_rerun_finishes(
    owner: KvTable, dynamodb_client: DynamoDBClient
) -> None:
    owner.load_keys("myapp", ((f"k{i}", i) for i in range(60)))

    def interrupt(namespace: str, deleted: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        owner.delete_user("u1", delete_namespaces=True, on_progress=interrupt)
    assert owner.get_user("u1", consistent=True)["deleting"] is True
    with pytest.raises(ItemNotFoundError, match="being deleted"):
        owner.create_namespace("u1", "late")
    with pytest.raises(ItemNotFoundError, match="being deleted"):
        owner.update_user("u1", plan="pro")
    assert owner.delete_user("u1", delete_namespaces=True) == ["myapp"]
    assert tombstones(dynamodb_client, owner.table_name) == {"NS#myapp"}
    assert len(all_items(dynamodb_client, owner.table_name)) == 1  # nothing but the namespace's tombstone
    with pytest.raises(ItemNotFoundError):
        owner.delete_user("u1")


# ----- the two design decisions, measured --------------------------------------------------------


def test_key_writes_in_a_namespace_that_does_not_exist_are_allowed_by_design(
    store: KvTable, capacity: CapacityRecorder, dynamodb_client: DynamoDBClient
) -> None:
    """Checking the namespace on every write would take a transaction; the service checks it once per
    request with pattern 4 instead. Both costs, as DynamoDB Local reports them."""
    capacity.clear()
    assert store.put_key("no-such-namespace", "k", 1)["value"] == 1
    assert units(capacity) == [("UpdateItem", 1.0, 1.0)]
    store.create_user("u1", "u1@example.com", "key-one")
    store.create_namespace("u1", "myapp")
    by_hand = CapacityRecorder().attach(dynamodb_client)
    dynamodb_client.transact_write_items(
        TransactItems=[
            {
                "ConditionCheck": {
                    "TableName": store.table_name,
                    "Key": {"PK": {"S": "NS#myapp"}, "SK": {"S": "METADATA"}},
                    "ConditionExpression": "attribute_exists(PK)",
                }
            },
            {
                "Update": {
                    "TableName": store.table_name,
                    "Key": {"PK": {"S": "NS#myapp"}, "SK": {"S": "KEY#k"}},
                    "UpdateExpression": "SET GSI1PK = :pk, GSI1SK = :sk, #v = :v",
                    "ExpressionAttributeNames": {"#v": "value"},
                    "ExpressionAttributeValues": {
                        ":pk": {"S": "NS#myapp"},
                        ":sk": {"S": "KEY#k"},
                        ":v": {"N": "1"},
                    },
                }
            },
        ]
    )
    checked = by_hand.records[-1]
    assert (checked.table, checked.indexes["GSI1"]) == (4.0, 2.0)


def test_storage_bytes_stays_the_callers_job(owner: KvTable) -> None:
    """Following every key write on the user's one item would make each write a transaction and put
    all of a user's writes on one hot item; add_usage is the caller's tool, and key writes leave it be."""
    owner.put_key("myapp", "k", "x" * 1000)
    owner.delete_key("myapp", "k")
    assert owner.get_user("u1", consistent=True)["storageBytes"] == 0
    owner.add_usage("u1", storage_bytes=1000)
    assert owner.get_user("u1", consistent=True)["storageBytes"] == 1000
