"""Shared work: throughput of `kvtable load --worker I/N` and of `kvtable migrate run --worker I/N`
against the number of worker processes (1, 2, 4, 8), all on one DynamoDB Local, unpaced.

Run: `PYTHONPATH=$PWD .venv/bin/python -m kvtable.benchmarks.workers [KEYS]` (default 20,000 keys)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kvtable.benchmarks.measure import new_table
from kvtable.local.dynamodb_local import dynamodb_local, local_dynamodb_client
from kvtable.schema import key_design as kd
from kvtable.schema.migrations import KEY_VERSION

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

WORKER_COUNTS = (1, 2, 4, 8)
NAMESPACES = 64  # keys spread over partitions, so that every segment of a scan holds some
OLD_TIME = "2025-01-02T03:04:05.000Z"


def workers_seconds(argvs: list[list[str]]) -> float:
    """Wall time of the commands run at once, each in a process of its own (each must exit 0)."""
    started = time.perf_counter()
    # Placeholder credentials, as DynamoDB Local takes any.
    environment = {**os.environ, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"}
    environment.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "kvtable.cli.main", *argv], stdout=subprocess.DEVNULL, env=environment
        )
        for argv in argvs
    ]
    codes = [process.wait() for process in processes]
    if any(codes):
        raise RuntimeError(f"a worker failed: exit codes {codes}")
    return time.perf_counter() - started


def write_file(path: Path, keys: int) -> None:
    with path.open("w", encoding="utf-8") as out:
        for i in range(keys):
            out.write(json.dumps({"key": f"k{i:07d}", "value": {"n": i}}) + "\n")


def unversioned_key_item(i: int, namespace: str) -> dict[str, Any]:
    """Key number `i` of `namespace` (`k0000042`, value {"n": i}) as kvtable wrote keys before versions
    existed (the 0001 migration's work), raw."""
    partition, sort = kd.namespace_partition_key(namespace), kd.key_sort_key(f"k{i:07d}")
    return {
        kd.PARTITION_KEY: {"S": partition},
        kd.SORT_KEY: {"S": sort},
        kd.GSI1_PARTITION_KEY: {"S": partition},
        kd.GSI1_SORT_KEY: {"S": sort},
        kd.ENTITY_TYPE_ATTRIBUTE: {"S": kd.KEY_ENTITY},
        "value": {"M": {"n": {"N": str(i)}}},
        kd.CREATED_AT: {"S": OLD_TIME},
        kd.UPDATED_AT: {"S": OLD_TIME},
    }


def write_unversioned(client: DynamoDBClient, table: str, keys: int) -> None:
    """`keys` key items as written before versions existed (the 0001 migration's work), raw."""

    def item(i: int) -> dict[str, Any]:
        return unversioned_key_item(i, f"ns{i % NAMESPACES}")

    def chunk(start: int) -> None:
        pending: dict[str, Any] = {
            table: [{"PutRequest": {"Item": item(i)}} for i in range(start, min(start + 25, keys))]
        }
        while pending:
            pending = dict(client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {})

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(chunk, range(0, keys, 25)))


def run_workers(keys: int, counts: tuple[int, ...] = WORKER_COUNTS) -> list[tuple[int, float, float]]:
    """(workers, load keys/s, migrate keys/s) for each worker count."""
    rows = []
    with dynamodb_local() as endpoint, tempfile.TemporaryDirectory() as folder:
        client = local_dynamodb_client(endpoint.url)
        path = Path(folder) / "keys.jsonl"
        write_file(path, keys)
        for count in counts:
            table = new_table(client, f"workers-{count}")
            where = ["--endpoint-url", endpoint.url, "--table-name", table, "--quiet"]
            load = [
                ["load", *where, "--namespace", "bench", str(path), "--worker", f"{i}/{count}"]
                for i in range(count)
            ]
            load_seconds = workers_seconds(load)
            write_unversioned(client, table, keys)
            unpaced = ["--migration", KEY_VERSION.id, "--workers", "2", "--max-write-units", "1000000"]
            migrate = [["migrate", "run", *where, *unpaced, "--worker", f"{i}/{count}"] for i in range(count)]
            migrate_seconds = workers_seconds(migrate)
            rows.append((count, keys / load_seconds, keys / migrate_seconds))
    return rows


def main(argv: list[str]) -> None:
    """Print the table."""
    keys = int(argv[0]) if argv else 20_000
    print(f"== shared work on one DynamoDB Local ({os.cpu_count()} cores): {keys:,} keys, unpaced")
    print(f"{'workers':>8}{'load keys/s':>14}{'migrate keys/s':>17}")
    for count, load, migrate in run_workers(keys):
        print(f"{count:>8}{load:>14,.0f}{migrate:>17,.0f}")


if __name__ == "__main__":
    main(sys.argv[1:])
