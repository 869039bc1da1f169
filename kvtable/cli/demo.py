"""Run the six access patterns on sample data and print each with its key condition,
items, consumed capacity and client-side latency.

Starts DynamoDB Local unless pointed at an endpoint (--endpoint-url, AWS_ENDPOINT_URL_DYNAMODB or
AWS_ENDPOINT_URL, in that order, as boto3 reads them) or at AWS (--aws). Its first line says which.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.cli.common import aws_session, check_environment_settings
from kvtable.cli.missing_table import missing_table_error
from kvtable.cli.settings import (
    add_aws_arguments,
    add_table_arguments,
    configured_dynamodb_endpoint,
    dynamodb_local_endpoint,
    with_placeholder_credentials,
)
from kvtable.schema import key_design as kd
from kvtable.schema.errors import KvTableError
from kvtable.schema.table_wording import table_not_found

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from kvtable.contract.consumed_capacity import CapacityRecorder
    from kvtable.contract.store import KvTable

# The data layer (and boto3 with it) is imported when the demo runs, not for `kvtable --help`.

PAGE_SIZE = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The demo's flags."""
    add_aws_arguments(parser, environment_file=False)
    parser.add_argument("--aws", action="store_true", help="use AWS (boto3's settings), not DynamoDB Local")
    add_table_arguments(parser, "the table to run the patterns on", "the table's global secondary index")
    parser.add_argument(
        "--create-table",
        action="store_true",
        help="create the table from the template first (always done on a DynamoDB Local the demo starts)",
    )
    parser.add_argument(
        "--gsi-lag-samples",
        type=kinds.Count(0, 1000),
        default=5,
        help="new keys to time onto the GSI (0: skip)",
    )


@dataclass(frozen=True)
class Engine:
    """Where the demo sends DynamoDB's requests: `url` (None: AWS's endpoint), whether the demo `started`
    a DynamoDB Local of its own, and the flag or variable that chose it (`source`)."""

    url: str | None
    started: bool
    source: str


def engine_line(engine: Engine, region: str | None = None) -> str:
    """The demo's first line: the endpoint, and whether the demo started it or took it from a flag or variable."""
    where = f" (region {region})" if region else ""
    if engine.started:
        return (
            f"DynamoDB: {engine.url}{where}, a DynamoDB Local the demo started and stops (no --endpoint-url, "
            "AWS_ENDPOINT_URL_DYNAMODB or AWS_ENDPOINT_URL is set)"
        )
    if engine.url is None:
        return f"DynamoDB: AWS{where}, from {engine.source}; no DynamoDB Local started"
    also = (
        "; to send only DynamoDB's requests elsewhere, set AWS_ENDPOINT_URL_DYNAMODB"
        if engine.source == "AWS_ENDPOINT_URL"
        else ""
    )
    return f"DynamoDB: {engine.url}{where}, from {engine.source}; no DynamoDB Local started{also}"


@contextlib.contextmanager
def _endpoint(args: argparse.Namespace) -> Iterator[Engine]:
    """The engine the demo runs on, started here when nothing names one."""
    url, source = configured_dynamodb_endpoint(args.endpoint_url, os.environ)
    if args.aws or source is not None:
        yield Engine(url, False, source or "--aws")
        return
    from kvtable.local.dynamodb_local import dynamodb_local  # noqa: PLC0415 (tempfile, shutil: kept off `kvtable --help`)

    with dynamodb_local() as local:
        yield Engine(local.url, True, "")


def _client(args: argparse.Namespace, url: str | None, local: bool) -> DynamoDBClient:
    from kvtable.contract.store import RECOMMENDED_CLIENT_CONFIG  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.local.dynamodb_local import local_dynamodb_client  # noqa: PLC0415 (tempfile, shutil: kept off `kvtable --help`)

    if local and url is not None:
        return local_dynamodb_client(url, aws_session(None, args.region, url).region_name or "us-east-1")
    session = aws_session(args.profile, args.region, url)
    with_placeholder_credentials(session, dynamodb_local_endpoint(url, os.environ), set())
    return session.client("dynamodb", endpoint_url=url, config=RECOMMENDED_CLIENT_CONFIG)


def _show(items: Any) -> str:
    rows = items if isinstance(items, list) else [items]
    lines = [json.dumps(row, sort_keys=True, default=str) for row in rows[:3]]
    if len(rows) > 3:
        lines.append(f"... and {len(rows) - 3} more")
    return "\n".join("      " + line for line in lines)


@dataclass
class _Patterns:
    """Runs the patterns one by one, printing each, and keeps their latencies in ms."""

    recorder: CapacityRecorder
    latencies: list[float] = field(default_factory=list)

    def run(
        self, title: str, condition: str, call: Callable[[], Any], shown: bool = True, items: bool = False
    ) -> Any:
        """Run `call` as the pattern `title`; print its key condition, capacity and latency, then (when
        `shown`) what it returned, or for a page (`items`) the page's items."""
        self.recorder.clear()
        start = time.perf_counter()
        result = call()
        elapsed_ms = (time.perf_counter() - start) * 1000
        record = self.recorder.last
        indexes = ", ".join(f"{name} {units}" for name, units in record.indexes.items()) or "none"
        print(f"\n{title}\n  key condition: {condition}")
        print(f"  consumed capacity: table {record.table}, indexes: {indexes}   latency: {elapsed_ms:.1f} ms")
        if shown:
            print(_show(result.items if items else result))
        self.latencies.append(elapsed_ms)
        return result


def run_patterns(store: KvTable, recorder: CapacityRecorder) -> list[float]:
    """Run and print the six patterns; return their latencies in ms."""
    from kvtable.cli.sample_data import SAMPLE_API_KEY, SAMPLE_NAMESPACE, SAMPLE_USER_ID  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    patterns = _Patterns(recorder)
    _entity_patterns(store, patterns, SAMPLE_USER_ID, SAMPLE_API_KEY, SAMPLE_NAMESPACE)
    _key_patterns(store, patterns, SAMPLE_NAMESPACE)
    return patterns.latencies


def _entity_patterns(
    store: KvTable, patterns: _Patterns, user_id: str, api_key: str, namespace_name: str
) -> None:
    """Patterns 1 to 4: the user, by id and by API key, its namespaces, and a namespace."""
    patterns.run(
        "1. Get user by id (GetItem)",
        f"PK = {kd.user_partition_key(user_id)} AND SK = {kd.METADATA}",
        lambda: store.get_user(user_id),
    )
    patterns.run(
        f"2. Get user by API key (Query on {store.gsi_name})",
        f"GSI1PK = {kd.api_key_partition_key(api_key)} AND GSI1SK = {kd.METADATA}",
        lambda: store.get_user_by_api_key(api_key),
    )
    patterns.run(
        "3. List user namespaces (Query)",
        f"PK = {kd.user_partition_key(user_id)} AND begins_with(SK, {kd.NAMESPACE_PREFIX})",
        lambda: store.list_user_namespaces(user_id),
        items=True,
    )
    patterns.run(
        "4. Get namespace metadata (GetItem)",
        f"PK = {kd.namespace_partition_key(namespace_name)} AND SK = {kd.METADATA}",
        lambda: store.get_namespace(namespace_name),
    )


def _key_patterns(store: KvTable, patterns: _Patterns, namespace_name: str) -> None:
    """Patterns 5 and 6: read and update a key, and list keys by prefix, page by page and consistently."""
    key_condition = (
        f"PK = {kd.namespace_partition_key(namespace_name)} AND SK = {kd.key_sort_key('user:123')}"
    )
    patterns.run("5. Read a key (GetItem)", key_condition, lambda: store.get_key(namespace_name, "user:123"))
    patterns.run(
        "5. Update a key (UpdateItem, keeps createdAt)",
        key_condition,
        lambda: store.put_key(namespace_name, "user:123", {"name": "John", "visits": 2}),
        shown=False,
    )
    prefix = kd.key_prefix_sort_key("user:")
    on_index = f"GSI1PK = {kd.namespace_partition_key(namespace_name)} AND begins_with(GSI1SK, {prefix})"
    page = patterns.run(
        f"6. List keys by prefix, page 1 of {PAGE_SIZE} (Query on {store.gsi_name})",
        on_index,
        lambda: store.list_keys(namespace_name, "user:", page_size=PAGE_SIZE),
        items=True,
    )
    print(f"      next cursor: {page.cursor}")
    cursor = page.cursor
    patterns.run(
        f"6. List keys by prefix, page 2 from the cursor (Query on {store.gsi_name})",
        on_index,
        lambda: store.list_keys(namespace_name, "user:", page_size=PAGE_SIZE, cursor=cursor),
        items=True,
    )
    patterns.run(
        "6. List keys by prefix, consistent (Query on the table)",
        f"PK = {kd.namespace_partition_key(namespace_name)} AND begins_with(SK, {prefix})",
        lambda: store.list_keys(namespace_name, "user:", page_size=PAGE_SIZE, consistent=True),
        items=True,
    )


def measure_gsi_lag(store: KvTable, samples: int) -> list[float]:
    """Write new keys and time, in ms, until each one is listed on the GSI."""
    from kvtable.cli.sample_data import SAMPLE_NAMESPACE  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    lags = []
    for i in range(samples):
        key = f"lag-probe:{time.time_ns()}:{i}"
        store.put_key(SAMPLE_NAMESPACE, key, i)
        start = time.perf_counter()
        while not store.list_keys(SAMPLE_NAMESPACE, key, page_size=1).items:
            if time.perf_counter() - start > 10:
                raise TimeoutError(f"{key} did not reach the GSI in 10 s")
            time.sleep(0.005)
        lags.append((time.perf_counter() - start) * 1000)
        store.delete_key(SAMPLE_NAMESPACE, key)
    return lags


def run(args: argparse.Namespace) -> int:
    """Run the demo."""
    from kvtable.builders.table_definition import create_table_from_template  # noqa: PLC0415 (the `build` extra)
    from kvtable.cli.sample_data import load_sample_data  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.contract.consumed_capacity import CapacityRecorder  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.contract.store import KvTable  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    # Before DynamoDB Local starts: a bad AWS_DEFAULT_REGION or AWS_ENDPOINT_URL* is refused at once.
    check_environment_settings(
        os.environ, region_given=args.region is not None, endpoint_given=args.endpoint_url is not None
    )
    with _endpoint(args) as engine:
        url, local = engine.url, engine.started
        client = _client(args, url, local)
        print(engine_line(engine, client.meta.region_name), flush=True)
        if local or args.create_table:
            create_table_from_template(client, args.table_name, args.gsi_name)
        store = KvTable(client, args.table_name, args.gsi_name)
        print(f"table {args.table_name} at {url or 'AWS'}: loading the design's sample data")
        try:
            load_sample_data(store)
            recorder = CapacityRecorder().attach(store)
            latencies = run_patterns(store, recorder)
        except KvTableError as error:
            missing = table_not_found(error)
            if missing is None:
                raise
            given = "--table-name" if args.table_name != kd.DEFAULT_TABLE_NAME else "the default"
            raise missing_table_error(missing, given) from error
        print(
            f"\nlatency over {len(latencies)} requests: max {max(latencies):.1f} ms (design target: < 10 ms)"
        )
        if args.gsi_lag_samples > 0:
            lags = measure_gsi_lag(store, args.gsi_lag_samples)
            print(f"GSI lag over {len(lags)} new keys: max {max(lags):.1f} ms (design target: < 1000 ms)")
        if local:
            print("(DynamoDB Local runs on this machine: its latencies say nothing about AWS's)")
    return 0


DEMO = Command(
    name="demo",
    summary="run the six access patterns on sample data, with consumed capacity and latency",
    description=__doc__ or "",
    examples=(
        "kvtable demo",
        "kvtable demo --aws --table-name kv-storage-data --region eu-west-1",
        "kvtable demo --endpoint-url http://127.0.0.1:8000 --create-table",
    ),
    add_arguments=add_arguments,
    run=run,
    extras=("build",),
)
