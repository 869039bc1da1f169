"""The data layer against plain boto3 on the same DynamoDB Local: load N keys through `load_keys` and
through boto3's batch_writer, list them back by prefix through `iter_keys` and a paginated query."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
from boto3.dynamodb.conditions import Key

from kvtable.benchmarks.measure import (
    PREFIX,
    Measurement,
    best,
    consumed,
    entries,
    key_name,
    key_value,
    new_table,
    timed,
    traced,
)
from kvtable.contract.keys import new_key_item
from kvtable.contract.store import KvTable
from kvtable.schema import key_design as kd

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

WARMUP_KEYS = 2_000
TARGET_OVERHEAD = 0.10


def resource(url: str) -> Any:
    """A boto3 DynamoDB resource on the local engine."""
    return boto3.resource(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def load_with_boto3(url: str, table_name: str, namespace: str, count: int) -> int:
    """Load `count` equivalent items with boto3's batch_writer."""
    table = resource(url).Table(table_name)
    partition = kd.namespace_partition_key(namespace)
    now = "2026-01-01T00:00:00.000Z"
    with table.batch_writer() as batch:
        for i in range(count):
            sort = kd.key_sort_key(key_name(i))
            batch.put_item(Item=new_key_item(partition, sort, key_value(i), now))
    return count


def list_with_boto3(url: str, table_name: str, namespace: str, prefix: str) -> int:
    """List keys by prefix on the GSI with boto3's paginated query, 1,000 a page."""
    table = resource(url).Table(table_name)
    partition = kd.namespace_partition_key(namespace)
    seen = 0
    start_key: dict[str, Any] | None = None
    while True:
        kwargs: dict[str, Any] = {
            "IndexName": kd.DEFAULT_GSI_NAME,
            "KeyConditionExpression": Key(kd.GSI1_PARTITION_KEY).eq(partition)
            & Key(kd.GSI1_SORT_KEY).begins_with(kd.key_prefix_sort_key(prefix)),
            "Limit": 1000,
        }
        if start_key:
            kwargs["ExclusiveStartKey"] = start_key
        response = table.query(**kwargs)
        seen += len(response["Items"])
        start_key = response.get("LastEvaluatedKey")
        if not start_key:
            return seen


def run_comparison(client: DynamoDBClient, url: str, count: int, rounds: int) -> None:
    """Run both sides and print throughputs, their ratio, and the peak memory of listing."""
    ours, theirs = new_table(client, "layer"), new_table(client, "boto3")
    store = KvTable(client, ours)

    def layer_load(ns: str, n: int) -> Measurement:
        return timed(lambda: store.load_keys(ns, entries(n)))

    def plain_load(ns: str, n: int) -> Measurement:
        return timed(lambda: load_with_boto3(url, theirs, ns, n))

    def layer_list(ns: str) -> int:
        return consumed(store.iter_keys(ns, PREFIX, page_size=1000))

    def plain_list(ns: str) -> int:
        return list_with_boto3(url, theirs, ns, PREFIX)

    # A cold JVM is slower for whoever goes first: warm both sides, then alternate the order.
    warmup = min(WARMUP_KEYS, count)
    layer_load("warmup", warmup)
    plain_load("warmup", warmup)
    loads: dict[str, list[Measurement]] = {"layer": [], "plain": []}
    lists: dict[str, list[Measurement]] = {"layer": [], "plain": []}
    for r in range(rounds):
        ns = f"bench{r}"
        order = ["layer", "plain"] if r % 2 == 0 else ["plain", "layer"]
        for side in order:
            loads[side].append(layer_load(ns, count) if side == "layer" else plain_load(ns, count))
        for side in order:
            lister = layer_list if side == "layer" else plain_list
            lists[side].append(timed(lambda lister=lister, ns=ns: lister(ns)))  # type: ignore[misc]

    memory_all = traced(lambda: layer_list("bench0"))
    memory_plain = traced(lambda: plain_list("bench0"))
    memory_tenth = traced(lambda: layer_list("warmup"))

    load_layer, load_plain = best(loads["layer"]), best(loads["plain"])
    list_layer, list_plain = best(lists["layer"]), best(lists["plain"])
    print(f"\n== the data layer against plain boto3: {count} keys, best of {rounds} rounds")
    print(f"{'':<26}{'data layer':>14}{'plain boto3':>14}{'layer cost':>14}")
    worst = 0.0
    for title, layer, plain in (
        ("load (keys/s)", load_layer, load_plain),
        ("list by prefix (keys/s)", list_layer, list_plain),
    ):
        ratio = plain.per_second / layer.per_second
        worst = max(worst, ratio)
        print(f"{title:<26}{layer.per_second:>14,.0f}{plain.per_second:>14,.0f}{ratio:>13.2f}x")
    print(
        f"{'list peak memory (KiB)':<26}{memory_all.peak_bytes / 1024:>14,.0f}"
        f"{memory_plain.peak_bytes / 1024:>14,.0f}"
    )
    print(
        f"data layer listing peak memory (1,000 a page): {memory_tenth.peak_bytes / 1024:,.0f} KiB for "
        f"{memory_tenth.count} keys, {memory_all.peak_bytes / 1024:,.0f} KiB for {memory_all.count} keys"
    )
    verdict = "met" if worst <= 1 + TARGET_OVERHEAD else "NOT met"
    print(f"target (data layer no more than {TARGET_OVERHEAD:.0%} over plain boto3): {verdict}")
