"""Client-side CPU per operation (get, put, list by prefix) of four ways to use the table, on the same
DynamoDB Local in one run, alternated: the data contract, idiomatic code on the boto3 client sending
the same requests, the boto3 `Table` resource, and PynamoDB (a benchmark-only dependency). CPU is this
process's own (time.process_time), so the engine's work does not count. The contract's requests, written
by hand, live here too: the `transports` section's peers send them."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from kvtable.benchmarks.compare import resource
from kvtable.benchmarks.measure import (
    PREFIX,
    consumed,
    entries,
    key_name,
    key_value,
    new_table,
    traced,
)
from kvtable.contract.keys import new_key_item
from kvtable.contract.requests import TableRequests
from kvtable.contract.store import KvTable
from kvtable.schema import key_design as kd
from kvtable.schema.key_design import VERSION, WRITE_ID

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NAMESPACE = "clients"
PAGE = 100
TARGET_RATIO = 1.05
OPERATIONS = ("get", "put", "list by prefix")
PARTITION = kd.namespace_partition_key(NAMESPACE)
LISTED_SORT_PREFIX = kd.key_prefix_sort_key(PREFIX)  # the sort keys every listing here begins with

# The contract's put_key request (a missing or live key; no TTL), as its expressions read today: every
# hand-written client sends these, and `transports` checks them against what the contract sends.
PUT_UPDATE = (
    f"SET {kd.GSI1_PARTITION_KEY} = :a0, {kd.GSI1_SORT_KEY} = :a1, {kd.ENTITY_TYPE_ATTRIBUTE} = :a2, "
    f"#value = :a3, {kd.UPDATED_AT} = :a4, {WRITE_ID} = :a5, "
    f"{kd.CREATED_AT} = if_not_exists({kd.CREATED_AT}, :a4), "
    "#version = if_not_exists(#version, :zero) + :one REMOVE #ttl"
)
PUT_CONDITION = (
    "(attribute_not_exists(#pk) OR attribute_not_exists(#ttl) OR #ttl > :now) "
    f"AND (attribute_not_exists({WRITE_ID}) OR {WRITE_ID} <> :a5)"
)
PUT_NAMES = {"#pk": kd.PARTITION_KEY, "#ttl": kd.TTL_ATTRIBUTE, "#version": VERSION, "#value": "value"}
QUERY_CONDITION = "#pk = :pk AND begins_with(#sk, :prefix)"
LIVE_FILTER = "attribute_not_exists(#ttl) OR #ttl > :now"
QUERY_NAMES = {"#pk": kd.GSI1_PARTITION_KEY, "#sk": kd.GSI1_SORT_KEY, "#ttl": kd.TTL_ATTRIBUTE}


def sort_key(i: int) -> str:
    """The sort key of the i-th benchmark key."""
    # The prefix, not kd.key_sort_key: idiomatic hand-written code does not check its own keys, so the
    # clients measured against the contract are not charged for the contract's checks.
    return kd.KEY_PREFIX + key_name(i)


def put_values(i: int) -> dict[str, Any]:
    """The put's ExpressionAttributeValues as Python values: a new write id each time, as the contract's."""
    return {
        ":a0": PARTITION,
        ":a1": sort_key(i),
        ":a2": kd.KEY_ENTITY,
        ":a3": key_value(i),
        ":a4": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
        ":a5": os.urandom(16).hex(),
        ":one": 1,
        ":now": int(time.time()),
        ":zero": 0,
    }


def get_request(table: str, i: int) -> dict[str, Any]:
    """The contract's get_key GetItem for the i-th key."""
    return {"TableName": table, "Key": TableRequests.key_map(PARTITION, sort_key(i)), "ConsistentRead": False}


def put_request(table: str, i: int, value: Mapping[str, object]) -> dict[str, Any]:
    """The contract's put_key UpdateItem for the i-th key; `value` is key_value(i) in DynamoDB's JSON."""
    sort, now = sort_key(i), int(time.time())
    return {
        "TableName": table,
        "Key": TableRequests.key_map(PARTITION, sort),
        "UpdateExpression": PUT_UPDATE,
        "ConditionExpression": PUT_CONDITION,
        "ExpressionAttributeNames": PUT_NAMES,
        "ExpressionAttributeValues": {
            ":a0": {"S": PARTITION},
            ":a1": {"S": sort},
            ":a2": {"S": kd.KEY_ENTITY},
            ":a3": value,
            ":a4": {"S": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(now))},
            ":a5": {"S": os.urandom(16).hex()},
            ":one": {"N": "1"},
            ":now": {"N": str(now)},
            ":zero": {"N": "0"},
        },
        "ReturnValues": "ALL_NEW",
        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
    }


def page_request(table: str) -> dict[str, Any]:
    """The contract's list_keys Query: a page of PAGE keys with the prefix on the GSI, expired ones filtered."""
    return {
        "TableName": table,
        "KeyConditionExpression": QUERY_CONDITION,
        "FilterExpression": LIVE_FILTER,
        "ExpressionAttributeNames": QUERY_NAMES,
        "ExpressionAttributeValues": {
            ":pk": {"S": PARTITION},
            ":prefix": {"S": LISTED_SORT_PREFIX},
            ":now": {"N": str(int(time.time()))},
        },
        "IndexName": kd.DEFAULT_GSI_NAME,
        "Limit": PAGE,
        "ConsistentRead": False,
    }


def live(item: dict[str, Any]) -> dict[str, Any]:
    """`item` unless its TTL has passed (DynamoDB deletes expired items only eventually), as the contract."""
    if kd.TTL_ATTRIBUTE in item and int(item[kd.TTL_ATTRIBUTE]) <= int(time.time()):
        raise LookupError("expired")
    return item


class Contract:
    """The kvtable data contract."""

    name = "kvtable"

    def __init__(self, client: DynamoDBClient, table: str, url: str) -> None:
        self.store = KvTable(client, table)

    def get(self, i: int) -> object:
        return self.store.get_key(NAMESPACE, key_name(i))

    def put(self, i: int) -> object:
        return self.store.put_key(NAMESPACE, key_name(i), key_value(i))

    def list_page(self) -> object:
        return self.store.list_keys(NAMESPACE, PREFIX, page_size=PAGE).items

    def list_all(self) -> int:
        return consumed(self.store.iter_keys(NAMESPACE, PREFIX, page_size=PAGE))


class PlainClient:
    """Idiomatic code on the boto3 client, sending the requests the contract sends, written by hand."""

    name = "boto3 client"

    def __init__(self, client: DynamoDBClient, table: str, url: str) -> None:
        self.client, self.table = client, table
        self.serialize, self.deserialize = TypeSerializer().serialize, TypeDeserializer().deserialize

    def _item(self, item: dict[str, Any]) -> dict[str, Any]:
        return {name: self.deserialize(value) for name, value in item.items()}

    def get(self, i: int) -> object:
        response = self.client.get_item(**get_request(self.table, i))
        return live(self._item(response["Item"]))

    def put(self, i: int) -> object:
        request = put_request(self.table, i, self.serialize(key_value(i)))
        return self._item(self.client.update_item(**request)["Attributes"])

    def list_page(self) -> object:
        return [self._item(item) for item in self.client.query(**page_request(self.table))["Items"]]

    def list_all(self) -> int:
        request = page_request(self.table)
        pages = self.client.get_paginator("query").paginate(**request)
        return sum(len([self._item(item) for item in page["Items"]]) for page in pages)


class TableResource:
    """The boto3 `Table` resource, as its documentation shows it (its put is a PutItem)."""

    name = "boto3 Table"

    def __init__(self, client: DynamoDBClient, table: str, url: str) -> None:
        self.table = resource(url).Table(table)
        self.partition = PARTITION

    def get(self, i: int) -> object:
        return self.table.get_item(Key={kd.PARTITION_KEY: self.partition, kd.SORT_KEY: sort_key(i)})["Item"]

    def put(self, i: int) -> object:
        sort = sort_key(i)
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        return self.table.put_item(Item=new_key_item(self.partition, sort, key_value(i), now))

    def _condition(self) -> Any:
        return Key(kd.GSI1_PARTITION_KEY).eq(self.partition) & Key(kd.GSI1_SORT_KEY).begins_with(
            LISTED_SORT_PREFIX
        )

    def list_page(self) -> object:
        return self.table.query(
            IndexName=kd.DEFAULT_GSI_NAME, KeyConditionExpression=self._condition(), Limit=PAGE
        )["Items"]

    def list_all(self) -> int:
        seen, start = 0, None
        while True:
            extra: dict[str, Any] = {"ExclusiveStartKey": start} if start else {}
            page = self.table.query(
                IndexName=kd.DEFAULT_GSI_NAME, KeyConditionExpression=self._condition(), **extra
            )
            seen += len(page["Items"])
            start = page.get("LastEvaluatedKey")
            if not start:
                return seen


def pynamodb_model(table: str, url: str) -> Any:
    """A PynamoDB model of key items on `table`, with GSI1 as an index."""
    from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute  # noqa: PLC0415 (a peer library, benchmark-only)
    from pynamodb.indexes import AllProjection, GlobalSecondaryIndex  # noqa: PLC0415 (a peer library, benchmark-only)
    from pynamodb.models import Model  # noqa: PLC0415 (a peer library, benchmark-only)

    class Settings:
        table_name = table
        host = url
        region = "us-east-1"
        aws_access_key_id = "local"
        aws_secret_access_key = "local"

    # The fields below spell the table's attribute names: renamed, with `attr_name`, PynamoDB would send an
    # item's attributes in another order (it orders them by field name). tests/unit/schema/test_key_design.py checks them.
    class ByNamespace(GlobalSecondaryIndex):  # type: ignore[misc]  # PynamoDB is typed Any here
        class Meta(Settings):
            index_name = kd.DEFAULT_GSI_NAME
            projection = AllProjection()

        GSI1PK = UnicodeAttribute(hash_key=True)
        GSI1SK = UnicodeAttribute(range_key=True)

    class KeyModel(Model):  # type: ignore[misc]
        class Meta(Settings):
            pass

        PK = UnicodeAttribute(hash_key=True)
        SK = UnicodeAttribute(range_key=True)
        GSI1PK = UnicodeAttribute()
        GSI1SK = UnicodeAttribute()
        entityType = UnicodeAttribute()  # noqa: N815 (the table's attribute names)
        value = MapAttribute()
        createdAt = UnicodeAttribute()  # noqa: N815
        updatedAt = UnicodeAttribute()  # noqa: N815
        version = NumberAttribute(null=True)
        writeId = UnicodeAttribute(null=True)  # noqa: N815
        ttl = NumberAttribute(null=True)
        by_namespace = ByNamespace()

    return KeyModel


class PynamoDB:
    """PynamoDB 6.1, as its documentation shows it (its put is a PutItem)."""

    name = "PynamoDB"

    def __init__(self, client: DynamoDBClient, table: str, url: str) -> None:
        self.model = pynamodb_model(table, url)
        self.partition = PARTITION

    def get(self, i: int) -> object:
        return self.model.get(self.partition, sort_key(i))

    def put(self, i: int) -> object:
        sort = sort_key(i)
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        return self.model(
            self.partition,
            sort,
            GSI1PK=self.partition,
            GSI1SK=sort,
            entityType=kd.KEY_ENTITY,
            value=key_value(i),
            createdAt=now,
            updatedAt=now,
            version=1,
        ).save()

    def _query(self, limit: int | None) -> Any:
        condition = self.model.GSI1SK.startswith(LISTED_SORT_PREFIX)
        return self.model.by_namespace.query(self.partition, condition, limit=limit)

    def list_page(self) -> object:
        return list(self._query(PAGE))

    def list_all(self) -> int:
        return consumed(self._query(None))


def shuffled_cpu(
    actions: dict[str, Callable[[int], object]], calls: int, rng: random.Random
) -> dict[str, list[float]]:
    """CPU seconds of each call of each action, in an order shuffled afresh for every call index: under a
    fixed rotation a botocore client that runs right after another one costs 10-15% less CPU (warm caches),
    and a machine that speeds up or slows down meanwhile affects every action alike."""
    samples: dict[str, list[float]] = {name: [] for name in actions}
    clock = time.process_time
    for i, name in shuffled_calls(list(actions), calls, rng):
        act = actions[name]
        start = clock()
        act(i)
        samples[name].append(clock() - start)
    return samples


def shuffled_calls(names: list[str], calls: int, rng: random.Random) -> Iterator[tuple[int, str]]:
    """(call index, name) for `calls` indexes, every name once per index, in an order shuffled afresh for
    each index (shuffled_cpu's order, also the async section's)."""
    order = list(names)
    for i in range(calls):
        rng.shuffle(order)
        for name in order:
            yield i, name


def _operation(each: Any, operation: str) -> Callable[[int], object]:
    if operation == "list by prefix":
        return lambda _: each.list_page()
    return getattr(each, operation)  # type: ignore[no-any-return]


def run_clients(client: DynamoDBClient, url: str, keys: int, ops: int, rounds: int, *, seed: int = 0) -> None:
    """Print the CPU table and the listing memory of each client (call order shuffled with `seed`)."""
    table = new_table(client, "clients")
    KvTable(client, table).load_keys(NAMESPACE, entries(keys), workers=4)
    kinds: list[Any] = [Contract, PlainClient, TableResource]
    try:
        import pynamodb  # noqa: F401, PLC0415 (a peer library, benchmark-only)
    except ModuleNotFoundError:
        print("\n(PynamoDB is not installed: `make bench` installs it; its column is left out)")
    else:
        kinds.append(PynamoDB)
    clients = [kind(client, table, url) for kind in kinds]
    for each in clients:  # warm every path: models loaded, connections open
        for i in range(min(20, ops)):
            each.get(i)
            each.put(i)
        each.list_page()
    calls = {"get": ops * rounds, "put": ops * rounds, "list by prefix": max(ops * rounds // 10, 5)}
    rng = random.Random(seed)
    samples = {
        operation: shuffled_cpu({each.name: _operation(each, operation) for each in clients}, count, rng)
        for operation, count in calls.items()
    }
    memory = {each.name: traced(each.list_all) for each in clients}

    names = [each.name for each in clients]
    print(
        f"\n== client CPU per operation, µs: the mean of {calls['get']:,} calls each ({calls['list by prefix']:,} "
        f"lists of a page of {PAGE}), the order shuffled for every call (seed {seed})"
    )
    print(f"{'':<26}" + "".join(f"{name:>14}" for name in names) + f"{'kvtable/client':>16}")
    worst = 0.0
    for operation in OPERATIONS:
        row = {name: sum(samples[operation][name]) / len(samples[operation][name]) * 1e6 for name in names}
        ratio = row["kvtable"] / row["boto3 client"]
        worst = max(worst, ratio)
        print(f"{operation:<26}" + "".join(f"{row[name]:>14,.0f}" for name in names) + f"{ratio:>15.2f}x")
    print(
        f"{f'list all {keys:,} keys, peak KiB':<26}"
        + "".join(f"{memory[name].peak_bytes / 1024:>14,.0f}" for name in names)
    )
    verdict = "met" if worst <= TARGET_RATIO else "NOT met"
    print(
        f"target (kvtable at most {TARGET_RATIO:.2f}x the boto3 client's CPU for the same requests): {verdict}"
    )
