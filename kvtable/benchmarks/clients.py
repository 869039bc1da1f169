"""Client-side CPU per operation (get, put, list by prefix) of four ways to use the table, on the same
DynamoDB Local in one run, alternated: the data contract, idiomatic code on the boto3 client sending
the same requests, the boto3 `Table` resource, and PynamoDB (a benchmark-only dependency). CPU is this
process's own (time.process_time), so the engine's work does not count."""

from __future__ import annotations

import time
from functools import partial
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.conditions import Key
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from kvtable import key_design as kd
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
from kvtable.store import KvTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

NAMESPACE = "clients"
PAGE = 100
TARGET_RATIO = 1.05
OPERATIONS = ("get", "put", "list by prefix")


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
        self.partition = f"NS#{NAMESPACE}"

    def _item(self, item: dict[str, Any]) -> dict[str, Any]:
        return {name: self.deserialize(value) for name, value in item.items()}

    def get(self, i: int) -> object:
        response = self.client.get_item(
            TableName=self.table, Key={"PK": {"S": self.partition}, "SK": {"S": f"KEY#{key_name(i)}"}}
        )
        item = self._item(response["Item"])
        if "ttl" in item and item["ttl"] <= int(time.time()):
            raise LookupError("expired")
        return item

    def put(self, i: int) -> object:
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        sort = f"KEY#{key_name(i)}"
        response = self.client.update_item(
            TableName=self.table,
            Key={"PK": {"S": self.partition}, "SK": {"S": sort}},
            UpdateExpression="SET GSI1PK = :pk, GSI1SK = :sk, entityType = :type, #value = :value, "
            "updatedAt = :now, writeId = :id, createdAt = if_not_exists(createdAt, :now), "
            "#version = if_not_exists(#version, :zero) + :one REMOVE #ttl",
            ConditionExpression="(attribute_not_exists(PK) OR attribute_not_exists(#ttl) OR #ttl > :epoch) "
            "AND (attribute_not_exists(writeId) OR writeId <> :id)",
            ExpressionAttributeNames={"#value": "value", "#version": "version", "#ttl": "ttl"},
            ExpressionAttributeValues={
                ":pk": {"S": self.partition},
                ":sk": {"S": sort},
                ":type": {"S": "KEY"},
                ":value": self.serialize(key_value(i)),
                ":now": {"S": now},
                ":id": {"S": f"{i:032x}"},
                ":zero": {"N": "0"},
                ":one": {"N": "1"},
                ":epoch": {"N": str(int(time.time()))},
            },
            ReturnValues="ALL_NEW",
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
        return self._item(response["Attributes"])

    def _query(self) -> dict[str, Any]:
        return {
            "TableName": self.table,
            "IndexName": kd.DEFAULT_GSI_NAME,
            "KeyConditionExpression": "GSI1PK = :pk AND begins_with(GSI1SK, :prefix)",
            "FilterExpression": "attribute_not_exists(#ttl) OR #ttl > :epoch",
            "ExpressionAttributeNames": {"#ttl": "ttl"},
            "ExpressionAttributeValues": {
                ":pk": {"S": self.partition},
                ":prefix": {"S": f"KEY#{PREFIX}"},
                ":epoch": {"N": str(int(time.time()))},
            },
            "Limit": PAGE,
        }

    def list_page(self) -> object:
        return [self._item(item) for item in self.client.query(**self._query())["Items"]]

    def list_all(self) -> int:
        pages = self.client.get_paginator("query").paginate(**self._query())
        return sum(len([self._item(item) for item in page["Items"]]) for page in pages)


class TableResource:
    """The boto3 `Table` resource, as its documentation shows it (its put is a PutItem)."""

    name = "boto3 Table"

    def __init__(self, client: DynamoDBClient, table: str, url: str) -> None:
        self.table = resource(url).Table(table)
        self.partition = f"NS#{NAMESPACE}"

    def get(self, i: int) -> object:
        return self.table.get_item(Key={"PK": self.partition, "SK": f"KEY#{key_name(i)}"})["Item"]

    def put(self, i: int) -> object:
        sort = f"KEY#{key_name(i)}"
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        item = {
            "PK": self.partition,
            "SK": sort,
            "GSI1PK": self.partition,
            "GSI1SK": sort,
            "entityType": "KEY",
            "value": key_value(i),
            "createdAt": now,
            "updatedAt": now,
            "version": 1,
        }
        return self.table.put_item(Item=item)

    def _condition(self) -> Any:
        return Key("GSI1PK").eq(self.partition) & Key("GSI1SK").begins_with(f"KEY#{PREFIX}")

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
    from pynamodb.attributes import MapAttribute, NumberAttribute, UnicodeAttribute  # noqa: PLC0415
    from pynamodb.indexes import AllProjection, GlobalSecondaryIndex  # noqa: PLC0415
    from pynamodb.models import Model  # noqa: PLC0415

    class Settings:
        table_name = table
        host = url
        region = "us-east-1"
        aws_access_key_id = "local"
        aws_secret_access_key = "local"

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
        self.partition = f"NS#{NAMESPACE}"

    def get(self, i: int) -> object:
        return self.model.get(self.partition, f"KEY#{key_name(i)}")

    def put(self, i: int) -> object:
        sort = f"KEY#{key_name(i)}"
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
        return self.model(
            self.partition,
            sort,
            GSI1PK=self.partition,
            GSI1SK=sort,
            entityType="KEY",
            value=key_value(i),
            createdAt=now,
            updatedAt=now,
            version=1,
        ).save()

    def _query(self, limit: int | None) -> Any:
        condition = self.model.GSI1SK.startswith(f"KEY#{PREFIX}")
        return self.model.by_namespace.query(self.partition, condition, limit=limit)

    def list_page(self) -> object:
        return list(self._query(PAGE))

    def list_all(self) -> int:
        return consumed(self._query(None))


def _interleaved_cpu(clients: list[Any], operation: str, calls: int) -> dict[str, list[float]]:
    """CPU seconds of each call, the clients taking turns call by call (the order rotating), so that
    a machine that speeds up or slows down meanwhile affects every client alike."""
    samples: dict[str, list[float]] = {each.name: [] for each in clients}
    clock = time.process_time
    for i in range(calls):
        for turn in range(len(clients)):
            each = clients[(i + turn) % len(clients)]
            act = each.list_page if operation == "list by prefix" else partial(getattr(each, operation), i)
            start = clock()
            act()
            samples[each.name].append(clock() - start)
    return samples


def run_clients(client: DynamoDBClient, url: str, keys: int, ops: int, rounds: int) -> None:
    """Print the CPU table and the listing memory of each client."""
    table = new_table(client, "clients")
    KvTable(client, table).load_keys(NAMESPACE, entries(keys), workers=4)
    kinds: list[Any] = [Contract, PlainClient, TableResource]
    try:
        import pynamodb  # noqa: F401, PLC0415
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
    samples = {operation: _interleaved_cpu(clients, operation, count) for operation, count in calls.items()}
    memory = {each.name: traced(each.list_all) for each in clients}

    names = [each.name for each in clients]
    print(
        f"\n== client CPU per operation, µs: the mean of {calls['get']:,} calls each ({calls['list by prefix']:,} "
        f"lists of a page of {PAGE}), the clients taking turns call by call"
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
