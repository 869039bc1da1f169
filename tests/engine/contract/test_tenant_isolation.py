"""No tenant ever sees another tenant's keys: a deleted namespace leaves a tombstone that holds its name for the
quarantine, and the next create of the name first deletes every key that landed after the deletion's sweep
(a write still in flight). On DynamoDB Local, on both transports, with an injected clock."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.consumed_capacity import CapacityRecorder
from kvtable.contract.store import NAMESPACE_QUARANTINE_SECONDS, KvTable, iso_timestamp
from kvtable.local.dynamodb_local import local_dynamodb_client
from kvtable.schema import key_design as kd
from kvtable.schema.errors import (
    AlreadyExistsError,
    InvalidInputError,
    ItemNotFoundError,
    NamespaceQuarantinedError,
    NamespaceUnavailableError,
)
from kvtable.transport import TransportChoice
from tests.async_front import make_store

QUARANTINE = 60  # seconds: the tests move the clock past it instead of waiting


class Clock:
    """A clock the test moves; it starts at the real time, so DynamoDB Local's own TTL deletion (by the
    real time) never removes a tombstone behind the test's back."""

    def __init__(self) -> None:
        self.now = datetime.now(UTC).replace(microsecond=0)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)

    @property
    def epoch(self) -> int:
        return int(self.now.timestamp())


@dataclass
class World:
    """Alice and Bob's stores over one table, each with its own client and transport, on one clock."""

    alice: KvTable
    bob: KvTable
    clock: Clock
    client: DynamoDBClient

    def items(self) -> list[dict[str, Any]]:
        table = self.alice.table_name
        return sorted(
            self.client.scan(TableName=table, ConsistentRead=True)["Items"],
            key=lambda item: (item["PK"]["S"], item["SK"]["S"]),
        )

    def raw(self, namespace: str, sort_key: str = kd.METADATA) -> dict[str, Any] | None:
        """The stored item, in DynamoDB's JSON, read strongly."""
        key = {"PK": {"S": kd.namespace_partition_key(namespace)}, "SK": {"S": sort_key}}
        answer = self.client.get_item(TableName=self.alice.table_name, Key=key, ConsistentRead=True)
        return answer.get("Item")


def clocked(store: KvTable, clock: Clock, *, own_transport: TransportChoice | None = None) -> KvTable:
    """The store's table on `clock`: through the store's own transport (what records its capacity
    records this one's too), or through a transport and client of its own."""
    if own_transport is None:
        return make_store(
            store.client, store.table_name, store.transport, clock=clock, namespace_quarantine=QUARANTINE
        )
    client = local_dynamodb_client(store.client.meta.endpoint_url)
    return make_store(client, store.table_name, own_transport, clock=clock, namespace_quarantine=QUARANTINE)


@pytest.fixture
def world(store: KvTable, transport: TransportChoice, dynamodb_client: DynamoDBClient) -> World:
    clock = Clock()
    alice = clocked(store, clock)
    bob = clocked(store, clock, own_transport=transport)
    alice.create_user("alice", "alice@example.com", "key-alice")
    bob.create_user("bob", "bob@example.com", "key-bob")
    return World(alice, bob, clock, dynamodb_client)


def units(capacity: CapacityRecorder) -> list[tuple[str, float, float]]:
    """(operation, table units, GSI1 units) of every request since the recorder was cleared."""
    return [(r.operation, r.table, r.indexes.get("GSI1", 0.0)) for r in capacity.records]


def leave_stragglers(world: World, namespace: str, count: int) -> None:
    """Alice's namespace, deleted, with `count` of her writes landing after the deletion's sweep."""
    world.alice.create_namespace("alice", namespace)
    world.alice.put_key(namespace, "swept", "by the deletion")
    assert world.alice.delete_namespace("alice", namespace) == 1
    for i in range(count):
        world.alice.put_key(namespace, f"late{i}", {"owner": "alice"})


# ----- the tombstone -----------------------------------------------------------------------------


def test_a_deleted_namespace_leaves_a_tombstone_off_the_index_and_no_link(world: World) -> None:
    world.alice.create_namespace("alice", "ns")
    assert owned_on_the_index(world, "alice") == ["NS#ns"]
    assert world.alice.delete_namespace("alice", "ns") == 0
    assert world.raw("ns") == {
        "PK": {"S": "NS#ns"},
        "SK": {"S": "METADATA"},
        "entityType": {"S": kd.NAMESPACE_TOMBSTONE_ENTITY},
        "formerOwner": {"S": "alice"},
        "ttl": {"N": str(world.clock.epoch + QUARANTINE)},
        "createdAt": {"S": iso_timestamp(world.clock.now)},
        "updatedAt": {"S": iso_timestamp(world.clock.now)},
    }
    assert owned_on_the_index(world, "alice") == []
    assert list(world.alice.iter_user_namespaces("alice", consistent=True)) == []


def owned_on_the_index(world: World, user_id: str) -> list[str]:
    """The namespaces GSI1 lists under the user (where a namespace's metadata is indexed by its owner)."""
    answer = world.client.query(
        TableName=world.alice.table_name,
        IndexName=world.alice.gsi_name,
        KeyConditionExpression="GSI1PK = :owner",
        ExpressionAttributeValues={":owner": {"S": kd.user_partition_key(user_id)}},
    )
    return [item["GSI1SK"]["S"] for item in answer["Items"]]


def test_pattern_4_refuses_a_namespace_being_deleted_or_deleted(world: World) -> None:
    world.alice.create_namespace("alice", "ns")
    world.alice.put_key("ns", "k", 1)

    def interrupt(deleted: int) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        world.alice.delete_namespace("alice", "ns", on_progress=interrupt)
    with pytest.raises(NamespaceUnavailableError, match="'ns' is being deleted; answer as for"):
        world.bob.get_namespace("ns", consistent=True)
    assert world.alice.delete_namespace("alice", "ns") == 0  # the interrupted run deleted the key
    with pytest.raises(NamespaceUnavailableError, match="'ns' was deleted; answer as for"):
        world.bob.get_namespace("ns", consistent=True)
    world.clock.advance(QUARANTINE)
    with pytest.raises(ItemNotFoundError) as past:  # an expired tombstone is no namespace at all
        world.bob.get_namespace("ns", consistent=True)
    assert type(past.value) is ItemNotFoundError


def test_deleting_a_deleted_namespace_again_returns_0_for_its_owner_only_and_writes_nothing(
    world: World, capacity: CapacityRecorder
) -> None:
    world.alice.create_namespace("alice", "ns")
    world.alice.delete_namespace("alice", "ns")
    before = world.items()
    capacity.clear()
    assert world.alice.delete_namespace("alice", "ns") == 0  # a re-run after an interruption is done
    with pytest.raises(ItemNotFoundError, match="namespace 'ns' not found"):
        world.bob.delete_namespace("bob", "ns")
    world.clock.advance(QUARANTINE)
    assert world.alice.delete_namespace("alice", "ns") == 0  # until DynamoDB removes the tombstone
    assert world.items() == before
    assert units(capacity) == []  # refused marks only, which report no capacity


# ----- creating over a tombstone -----------------------------------------------------------------


def test_a_name_in_quarantine_is_refused_saying_when_it_frees_up_and_nothing_is_written(
    world: World, capacity: CapacityRecorder
) -> None:
    world.alice.create_namespace("alice", "ns")
    world.alice.delete_namespace("alice", "ns")
    free_at = iso_timestamp(world.clock.now + timedelta(seconds=QUARANTINE))
    world.clock.advance(QUARANTINE - 1)
    before = world.items()
    capacity.clear()
    # Its former owner too: her own writes to the old namespace may still be in flight.
    for creator, user in ((world.bob, "bob"), (world.alice, "alice")):
        with pytest.raises(NamespaceQuarantinedError) as refused:
            creator.create_namespace(user, "ns")
        assert isinstance(refused.value, AlreadyExistsError)
        assert (refused.value.taken, refused.value.free_at) == ("namespace", free_at)
        assert f"quarantined until {free_at}" in str(refused.value)
    assert world.items() == before
    assert units(capacity) == [("Query", 1.0, 0.0)]  # alice's (bob's store is not recorded): the tombstone


def test_create_over_a_fresh_name_costs_a_look_and_the_transaction_and_a_taken_one_the_look(
    world: World, capacity: CapacityRecorder
) -> None:
    capacity.clear()
    world.alice.create_namespace("alice", "ns")
    assert units(capacity) == [
        ("Query", 0.0, 0.0),  # nothing under the name (an empty answer: DynamoDB Local reports 0)
        ("TransactWriteItems", 4.0, 2.0),  # user check + metadata (on GSI1) + link, as before
    ]
    capacity.clear()
    with pytest.raises(AlreadyExistsError, match="'ns' is taken"):
        world.alice.create_namespace("alice", "ns")
    assert units(capacity) == [("Query", 1.0, 0.0)]  # the name's METADATA, live: refused at once


@pytest.mark.parametrize("stragglers", [0, 3])
def test_create_over_an_expired_tombstone_deletes_the_stragglers_then_creates(
    world: World, capacity: CapacityRecorder, stragglers: int
) -> None:
    leave_stragglers(world, "ns", stragglers)
    world.clock.advance(QUARANTINE)
    capacity.clear()
    created = world.alice.create_namespace("alice", "ns")
    sweep = [("TransactWriteItems", 4.0, 2.0), ("Query", 1.0, 0.0)] if stragglers else []
    assert units(capacity) == [
        ("Query", 1.0, 0.0),  # the partition's last item: the tombstone, past its quarantine
        ("Query", 1.0, 0.0),  # a page of what is left (strong), the tombstone included
        # Delete the page if it holds stragglers, checking the name is still free (Local reports 4 + 2 for
        # any transaction); then the page again: the tombstone alone.
        *sweep,
        ("TransactWriteItems", 4.0, 2.0),  # the namespace, over the tombstone, and its link
    ]
    assert created["GSI1PK"] == "USER#alice"
    assert world.alice.count_keys("ns", consistent=True) == 0
    assert world.raw("ns") == {
        "PK": {"S": "NS#ns"},
        "SK": {"S": "METADATA"},
        "GSI1PK": {"S": "USER#alice"},
        "GSI1SK": {"S": "NS#ns"},
        "entityType": {"S": "NAMESPACE"},
        "createdAt": {"S": iso_timestamp(world.clock.now)},
        "updatedAt": {"S": iso_timestamp(world.clock.now)},
    }


def test_the_hot_path_costs_the_same_in_a_namespace_made_over_a_tombstone(
    world: World, capacity: CapacityRecorder
) -> None:
    leave_stragglers(world, "ns", 1)
    world.clock.advance(QUARANTINE)
    world.alice.create_namespace("alice", "ns")
    measured = []
    for step in (
        lambda: world.alice.put_key("ns", "k", 1),
        lambda: world.alice.get_key("ns", "k"),
        lambda: world.alice.list_keys("ns"),
    ):
        capacity.clear()
        step()
        measured.extend(units(capacity))
    assert measured == [("UpdateItem", 1.0, 1.0), ("GetItem", 0.5, 0.0), ("Query", 0.0, 0.5)]


def test_create_sweeps_keys_left_after_dynamodb_removed_the_tombstone(world: World) -> None:
    """DynamoDB's TTL removes a tombstone some time after its quarantine; keys that landed under it stay, and
    the next create of the name, finding no METADATA, still deletes them first."""
    leave_stragglers(world, "ns", 2)
    world.client.delete_item(
        TableName=world.alice.table_name, Key={"PK": {"S": "NS#ns"}, "SK": {"S": "METADATA"}}
    )
    world.bob.create_namespace("bob", "ns")
    assert world.bob.count_keys("ns", consistent=True) == 0


def test_an_interrupted_sweep_is_finished_by_the_next_create(world: World) -> None:
    leave_stragglers(world, "ns", 150)  # two pages of 99
    world.clock.advance(QUARANTINE)
    sweeps: list[str] = []

    def interrupt_the_second_sweep(operation: str, _: dict[str, Any]) -> None:
        if operation == "TransactWriteItems":
            sweeps.append(operation)
            if len(sweeps) == 2:
                raise KeyboardInterrupt

    world.bob.transport.before_call.append(interrupt_the_second_sweep)
    with pytest.raises(KeyboardInterrupt):
        world.bob.create_namespace("bob", "ns")
    world.bob.transport.before_call.remove(interrupt_the_second_sweep)
    assert world.alice.count_keys("ns", consistent=True) == 51
    with pytest.raises(ItemNotFoundError):
        world.bob.get_namespace("ns", consistent=True)  # not created yet: the tombstone is still there
    world.bob.create_namespace("bob", "ns")
    assert world.bob.count_keys("ns", consistent=True) == 0


def test_two_creates_of_a_name_over_stragglers_one_wins_and_the_loser_deletes_none_of_its_keys(
    world: World, store: KvTable, transport: TransportChoice
) -> None:
    """Carol's create reads the page of leftovers after Bob created the name and wrote a key: her sweep,
    which checks the name is still free in the same transaction, deletes nothing of Bob's."""
    leave_stragglers(world, "ns", 2)
    world.clock.advance(QUARANTINE)
    carol = clocked(store, world.clock, own_transport=transport)
    carol.create_user("carol", "carol@example.com", "key-carol")
    queries: list[str] = []

    def bob_wins_first(operation: str, _: dict[str, Any]) -> None:
        queries.append(operation)
        if queries == ["Query", "Query"]:  # after carol's look, before her page of leftovers
            world.bob.create_namespace("bob", "ns")
            world.bob.put_key("ns", "mine", "bob's")

    carol.transport.before_call.append(bob_wins_first)
    with pytest.raises(AlreadyExistsError, match="'ns' is taken") as lost:
        carol.create_namespace("carol", "ns")
    assert type(lost.value) is AlreadyExistsError
    assert [key["SK"] for key in world.bob.iter_keys("ns", consistent=True)] == ["KEY#mine"]
    assert queries[:3] == ["Query", "Query", "TransactWriteItems"]  # her sweep was sent, and refused
    assert world.bob.get_namespace("ns", consistent=True)["GSI1PK"] == "USER#bob"


@pytest.mark.parametrize("quarantine", [-1, 1.5, True, "60"])
def test_a_bad_quarantine_is_refused(store: KvTable, quarantine: Any) -> None:
    with pytest.raises(InvalidInputError, match="namespace quarantine"):
        make_store(store.client, store.table_name, store.transport, namespace_quarantine=quarantine)


def test_the_default_quarantine_outlasts_a_write_with_botocores_default_timeouts(store: KvTable) -> None:
    # tries x (connect timeout + read timeout + the backoff's cap), in seconds, botocore's defaults
    budget = store.retry_attempts * (60 + 60 + 2)
    assert store.namespace_quarantine == NAMESPACE_QUARANTINE_SECONDS == 60 * 60 > budget
    assert NAMESPACE_QUARANTINE_SECONDS > 10 * 60  # DynamoDB's ClientRequestToken window


# ----- the race ----------------------------------------------------------------------------------

# Where one of Alice's writes, authorized before her deletion began, lands (in the order they happen).
LANDINGS = (
    "before the deletion's sweep",
    "between the sweep and the tombstone",
    "right after the deletion",
    "later in the quarantine",
    "after the quarantine, before Bob's create",
)
ITERATIONS = 50  # a fresh name each; on both transports


@dataclass
class InFlight:
    """Alice's writes to a namespace, authorized before its deletion, landing at chosen moments: `counts`
    of them at each of LANDINGS, from her service's own client."""

    writer: KvTable
    namespace: str
    counts: dict[str, int]
    written: list[str] = field(default_factory=list)
    deletion: list[str] = field(default_factory=list)

    def land(self, landing: str) -> None:
        for n in range(self.counts[landing]):
            key = f"{LANDINGS.index(landing)}-{n}"
            self.writer.put_key(self.namespace, key, {"owner": "alice"})
            self.written.append(key)

    def during_deletion(self, operation: str, _: dict[str, Any]) -> None:
        """Before each request of the deletion: land the writes due at that point."""
        self.deletion.append(operation)
        if self.deletion == ["UpdateItem", "Query"]:  # marked; the sweep's first page is next
            self.land(LANDINGS[0])
        if operation == "TransactWriteItems":  # swept; the tombstone is next
            self.land(LANDINGS[1])


def bob_sees_nothing_of_alice(bob: KvTable, namespace: str, alice_keys: list[str]) -> None:
    """Every read Bob has, eventual and strong, shows his one key `bob` and nothing of Alice's."""
    for consistent in (False, True):
        for key in alice_keys:
            with pytest.raises(ItemNotFoundError):
                bob.get_key(namespace, key, consistent=consistent)
        assert bob.get_key(namespace, "bob", consistent=consistent)["value"] == "bob's"
        page = bob.list_keys(namespace, consistent=consistent)
        assert [(item["SK"], item["value"]) for item in page.items] == [("KEY#bob", "bob's")]
        assert [item["value"] for item in bob.iter_keys(namespace, consistent=consistent)] == ["bob's"]
        assert bob.count_keys(namespace, consistent=consistent) == 1
        many = bob.get_keys(namespace, [*alice_keys, "bob"], consistent=consistent)
        assert {key: item["value"] for key, item in many.items()} == {"bob": "bob's"}


def test_no_write_of_a_deleted_namespaces_owner_reaches_the_next_owner(
    world: World, store: KvTable, transport: TransportChoice
) -> None:
    """Alice deletes a namespace while her writes are in flight: 0 to 2 of them land at each of LANDINGS.
    Bob creates the name once the quarantine has passed and reads it every way he can: none of Alice's keys
    is there, not even the one of the name he writes himself."""
    writer = clocked(store, world.clock, own_transport=transport)
    rng = random.Random(20261201)
    for iteration in range(ITERATIONS):
        flight = InFlight(writer, f"ns{iteration}", {landing: rng.randint(0, 2) for landing in LANDINGS})
        world.alice.create_namespace("alice", flight.namespace)
        world.alice.put_key(flight.namespace, "bob", {"owner": "alice"})
        world.alice.transport.before_call.append(flight.during_deletion)
        try:
            world.alice.delete_namespace("alice", flight.namespace)
        finally:
            world.alice.transport.before_call.remove(flight.during_deletion)
        flight.land(LANDINGS[2])
        world.clock.advance(QUARANTINE // 2)
        flight.land(LANDINGS[3])
        with pytest.raises(NamespaceQuarantinedError):
            world.bob.create_namespace("bob", flight.namespace)
        world.clock.advance(QUARANTINE - QUARANTINE // 2)
        flight.land(LANDINGS[4])
        world.bob.create_namespace("bob", flight.namespace)
        world.bob.put_key(flight.namespace, "bob", "bob's")
        bob_sees_nothing_of_alice(world.bob, flight.namespace, flight.written)


def test_a_write_that_outlives_the_quarantine_is_the_one_case_it_cannot_stop(world: World) -> None:
    """The bound the mechanism relies on: a write landing after the next owner's create lands in the new
    namespace. With the quarantine longer than any write lives (retries and timeouts), none does; this shows
    the reads above would see one if it did."""
    world.alice.create_namespace("alice", "ns")
    world.alice.delete_namespace("alice", "ns")
    world.clock.advance(QUARANTINE)
    world.bob.create_namespace("bob", "ns")
    world.alice.put_key("ns", "too-late", {"owner": "alice"})  # authorized before the deletion
    assert world.bob.get_key("ns", "too-late", consistent=True)["value"] == {"owner": "alice"}
