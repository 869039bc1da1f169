"""Benchmark: the data layer against plain boto3 on the same DynamoDB Local, in one run.

Loads N keys through KvTable.load_keys and through boto3's batch_writer, then
lists them back by prefix through KvTable.iter_keys and through boto3's query
paginator. Prints throughputs, their ratio, and the peak memory of listing.
A benchmark, not a test: its timings depend on the machine.
"""

import argparse
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import boto3
from boto3.dynamodb.conditions import Key

from kvtable import key_design as kd
from kvtable.cli.command import Command
from kvtable.local.dynamodb_local import dynamodb_local, local_dynamodb_client
from kvtable.store import KvTable

WARMUP_KEYS = 2_000
PREFIX = "item:"
TARGET_OVERHEAD = 0.10


@dataclass(frozen=True)
class Measurement:
    """Seconds for a run over `count` keys, and the peak traced memory in bytes."""

    seconds: float
    count: int
    peak_bytes: int = 0

    @property
    def per_second(self) -> float:
        """Keys a second."""
        return self.count / self.seconds


def _key(i: int) -> str:
    return f"{PREFIX}{i:06d}"


def _value(i: int) -> dict[str, Any]:
    return {"n": i, "label": f"value {i}"}


def _timed(action: Callable[[], int]) -> Measurement:
    start = time.perf_counter()
    count = action()
    return Measurement(time.perf_counter() - start, count)


def _traced(action: Callable[[], int]) -> Measurement:
    tracemalloc.start()
    try:
        start = time.perf_counter()
        count = action()
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Measurement(seconds, count, peak)


def _count(items: Iterable[object]) -> int:
    # Consume without keeping items, as a streaming reader would.
    return sum(1 for _ in items)


def load_with_data_layer(store: KvTable, namespace: str, count: int) -> int:
    """Load `count` keys through the data layer."""
    return store.load_keys(namespace, ((_key(i), _value(i)) for i in range(count)))


def load_with_boto3(url: str, table_name: str, namespace: str, count: int) -> int:
    """Load `count` equivalent items with boto3's batch_writer."""
    table = _resource(url).Table(table_name)
    partition = kd.namespace_partition_key(namespace)
    now = "2026-01-01T00:00:00.000Z"
    with table.batch_writer() as batch:
        for i in range(count):
            sort = kd.key_sort_key(_key(i))
            batch.put_item(
                Item={
                    kd.PARTITION_KEY: partition,
                    kd.SORT_KEY: sort,
                    kd.GSI1_PARTITION_KEY: partition,
                    kd.GSI1_SORT_KEY: sort,
                    "entityType": "KEY",
                    "value": _value(i),
                    "createdAt": now,
                    "updatedAt": now,
                }
            )
    return count


def list_with_boto3(url: str, table_name: str, namespace: str, prefix: str) -> int:
    """List keys by prefix on the GSI with boto3's paginated query, 1,000 a page."""
    table = _resource(url).Table(table_name)
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


def _resource(url: str) -> Any:
    return boto3.resource(
        "dynamodb",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def _best(measurements: list[Measurement]) -> Measurement:
    return min(measurements, key=lambda m: m.seconds)


def run(url: str, count: int, rounds: int) -> None:
    """Run both sides against the DynamoDB at `url` and print the comparison."""
    from kvtable.table_definition import create_table_from_template  # noqa: PLC0415 (the `build` extra)

    client = local_dynamodb_client(url)
    ours, theirs = f"bench-layer-{uuid.uuid4().hex[:8]}", f"bench-boto3-{uuid.uuid4().hex[:8]}"
    for name in (ours, theirs):
        create_table_from_template(client, name)
    store = KvTable(client, ours)

    def layer_load(ns: str, n: int) -> Measurement:
        return _timed(lambda: load_with_data_layer(store, ns, n))

    def plain_load(ns: str, n: int) -> Measurement:
        return _timed(lambda: load_with_boto3(url, theirs, ns, n))

    def layer_list(ns: str) -> int:
        return _count(store.iter_keys(ns, PREFIX, page_size=1000))

    def plain_list(ns: str) -> int:
        return list_with_boto3(url, theirs, ns, PREFIX)

    # A cold JVM is slower for whoever goes first: warm both sides, then alternate the order.
    layer_load("warmup", WARMUP_KEYS)
    plain_load("warmup", WARMUP_KEYS)
    loads: dict[str, list[Measurement]] = {"layer": [], "plain": []}
    lists: dict[str, list[Measurement]] = {"layer": [], "plain": []}
    for r in range(rounds):
        ns = f"bench{r}"
        order = ["layer", "plain"] if r % 2 == 0 else ["plain", "layer"]
        for side in order:
            loads[side].append(layer_load(ns, count) if side == "layer" else plain_load(ns, count))
        for side in order:
            lister = layer_list if side == "layer" else plain_list
            lists[side].append(_timed(lambda lister=lister, ns=ns: lister(ns)))  # type: ignore[misc]

    # Memory is traced apart from timing: tracing slows Python down.
    memory_all = _traced(lambda: layer_list("bench0"))
    memory_plain = _traced(lambda: plain_list("bench0"))
    memory_tenth = _traced(lambda: layer_list("warmup"))

    load_layer, load_plain = _best(loads["layer"]), _best(loads["plain"])
    list_layer, list_plain = _best(lists["layer"]), _best(lists["plain"])
    print(f"{count} keys on DynamoDB Local at {url}, best of {rounds} rounds")
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
        f"data layer listing peak memory: {memory_tenth.peak_bytes / 1024:,.0f} KiB for "
        f"{memory_tenth.count} keys, {memory_all.peak_bytes / 1024:,.0f} KiB for {memory_all.count} keys"
    )
    verdict = "met" if worst <= 1 + TARGET_OVERHEAD else "NOT met"
    print(f"target (data layer no more than {TARGET_OVERHEAD:.0%} over plain boto3): {verdict}")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--keys, --rounds and --endpoint-url."""
    parser.add_argument("--keys", type=int, default=20_000, help="keys to load and list (default 20000)")
    parser.add_argument("--rounds", type=int, default=2, help="measured rounds per side (default 2)")
    parser.add_argument("--endpoint-url", help="an already running DynamoDB Local")


def run_bench(args: argparse.Namespace) -> int:
    """Start DynamoDB Local (or use --endpoint-url) and run the benchmark."""
    if args.endpoint_url:
        run(args.endpoint_url, args.keys, args.rounds)
    else:
        with dynamodb_local() as local:
            run(local.url, args.keys, args.rounds)
    return 0


BENCH = Command(
    name="bench",
    summary="benchmark the data layer against plain boto3 on DynamoDB Local",
    description=__doc__ or "",
    examples=("kvtable bench", "kvtable bench --keys 2000 --rounds 1"),
    add_arguments=add_arguments,
    run=run_bench,
)
