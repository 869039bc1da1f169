"""`kvtable migrate run --worker I/N`: four worker processes on one DynamoDB Local share a migration's
segments through leases in the table; one is killed with SIGKILL while it holds a segment, and the
others take its segments over once its lease ends, within the shared write budget."""

import re
import signal
import subprocess
import time

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.fleet.leases import Lease, read_leases
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.migrate.checkpoints import migration_partition_key
from kvtable.migrate.runner import table_requests
from kvtable.schema import key_design as kd
from kvtable.schema.key_design import VERSION
from kvtable.schema.migrations import KEY_VERSION
from tests.engine.migrate.test_migrate import (
    cli,
    legacy_item,
    migrate_args,
    raw_keys,
    status,
    write_legacy,
)
from tests.worker_processes import frozen_when, outputs_with_one_killed, start_cli

WORKERS, SEGMENTS, PAGE_SIZE = 4, 16, 5
NAMESPACES, KEYS_EACH = 48, 10  # many partitions, so that every segment of the scan holds some keys
BUDGET, LEASE_SECONDS = 120.0, 2.0
KILLED = 3


@pytest.fixture
def direct(dynamodb_client: DynamoDBClient, table_name: str) -> KvTable:
    return KvTable(dynamodb_client, table_name)


def start_worker(endpoint: LocalEndpoint, table: str, index: int) -> subprocess.Popen[str]:
    """One worker of four, in a process of its own, as a scheduler starts it."""
    argv = migrate_args(endpoint, table, "run", "--quiet", "--migration", KEY_VERSION.id)
    argv += ["--worker", f"{index}/{WORKERS}", "--workers", "1", "--segments", str(SEGMENTS)]
    argv += ["--page-size", str(PAGE_SIZE), "--max-write-units", str(BUDGET)]
    argv += ["--lease-seconds", str(LEASE_SECONDS)]
    return start_cli(argv)


def leases(store: KvTable) -> dict[int, Lease]:
    return read_leases(table_requests(store), migration_partition_key(KEY_VERSION.id), SEGMENTS)


def mid_segment(store: KvTable, worker: str) -> int | None:
    """A segment `worker` holds, with a page checkpointed and not finished, if any."""
    checkpoints = {c.segment: c for c in status(store).checkpoints}
    for part, lease in leases(store).items():
        checkpoint = checkpoints.get(part)
        if (
            lease.worker == worker
            and not lease.done
            and checkpoint
            and checkpoint.pages
            and not checkpoint.done
        ):
            return part
    return None


def frozen_mid_segment(store: KvTable, worker: str, process: subprocess.Popen[str]) -> int:
    """Stop `process` once `worker` holds a segment mid-way: the segment, for a kill that leaves it
    unfinished for certain."""
    return frozen_when(process, lambda: mid_segment(store, worker), "held a segment mid-way")


def test_four_workers_one_killed_complete_the_migration_within_the_shared_budget(
    dynamodb_endpoint: LocalEndpoint,
    direct: KvTable,
    table_name: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    namespaces = [f"ns{j:02d}" for j in range(NAMESPACES)]
    for namespace in namespaces:
        write_legacy(direct, KEYS_EACH, namespace)
    keys = NAMESPACES * KEYS_EACH
    started = time.monotonic()
    workers = [start_worker(dynamodb_endpoint, table_name, index) for index in range(WORKERS)]
    seized, outputs = outputs_with_one_killed(
        workers, KILLED, lambda: frozen_mid_segment(direct, f"{KILLED}/{WORKERS}", workers[KILLED])
    )
    wall = time.monotonic() - started
    assert workers[KILLED].returncode == -signal.SIGKILL
    for index, process in enumerate(workers):
        if index != KILLED:
            assert process.returncode == 0, outputs[index]

    # Every key changed once: at version 1 and otherwise as written, in every namespace.
    for namespace in namespaces:
        found = {item[kd.SORT_KEY]["S"]: item for item in raw_keys(direct, namespace)}
        expected = [{**legacy_item(i, namespace), VERSION: {"N": "1"}} for i in range(KEYS_EACH)]
        assert found == {item[kd.SORT_KEY]["S"]: item for item in expected}
    after = status(direct)
    assert after.complete and after.matched == keys
    # Every key read once in the checkpointed pages, none counted twice; a page in hand when its worker was
    # killed (or stopped, its lease renewed too late on this busy machine) was written but never
    # checkpointed: read again, it needed nothing, so its changes are in no count.
    assert after.changed + after.skipped <= keys

    # The segment it held went to another worker once its lease ended.
    taken = leases(direct)[seized]
    assert taken.worker != f"{KILLED}/{WORKERS}" and taken.taken_from == f"{KILLED}/{WORKERS}", taken
    code, out, _ = cli(
        migrate_args(dynamodb_endpoint, table_name, "status", "--migration", KEY_VERSION.id), capsys
    )
    assert code == 0
    row = next(line for line in out.splitlines() if line.strip().startswith(f"{seized}/{SEGMENTS}"))
    assert f"(took over from {KILLED}/{WORKERS})" in row and row.rstrip().endswith("done"), out

    # Each survivor kept to its quarter of the budget (a second's worth at once, then its rate), lease
    # writes included, so the four together stayed within it.
    survivors = [out for index, (out, _) in enumerate(outputs) if index != KILLED]
    reported = [float(re.findall(r"([\d,.]+) write units \(", out)[0].replace(",", "")) for out in survivors]
    assert all(units <= BUDGET / WORKERS * (wall + 1) for units in reported), (reported, wall)
    assert sum(reported) > keys  # they did most of the work: 2 units a key (the table and GSI1)
