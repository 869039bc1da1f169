"""`kvtable migrate plan` promises the write units the run then reports: the same pages of the same segments,
each checkpoint priced as AWS charges its PutItem (a unit a KB begun of the larger of the old and new item),
the changes apart from the checkpoints on both sides. Exact figures on DynamoDB Local."""

from __future__ import annotations

from typing import Any

import pytest

from kvtable.cli.main import main
from kvtable.contract.requests import Item
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.migrate import plan
from kvtable.migrate.runner import table_requests
from kvtable.schema import key_design as kd
from kvtable.schema.migrations import KEY_VERSION
from tests.engine.migrate.test_migrate import legacy_item, run_migration, status, write_legacy


@pytest.fixture
def direct(dynamodb_client: Any, table_name: str) -> KvTable:
    return KvTable(dynamodb_client, table_name)


def with_versioned_keys(store: KvTable) -> None:
    """A user, a namespace and 30 keys written with versions: scanned, never changed."""
    store.create_user("u1", "u1@example.com", "api-key-1")
    store.create_namespace("u1", "current")
    for i in range(30):
        store.put_key("current", f"c{i}", i)


def test_the_plan_promises_the_pages_checkpoints_and_units_the_run_reports(direct: KvTable) -> None:
    write_legacy(direct, 120)
    with_versioned_keys(direct)
    requests = table_requests(direct)
    counted = plan.count(requests, KEY_VERSION, plan.describe(requests), segments=4, page_size=10)
    # One worker: the segments in turn, so the run meets its own checkpoints (items in the table it scans)
    # the same way every time.
    result = run_migration(direct, workers=1, segments=4, page_size=10)
    pages = sum(checkpoint.pages for checkpoint in status(direct).checkpoints)
    # Every legacy key is in one partition, so in one segment: 13 pages there (the last one empty), 4, 1 and 1
    # in the others (one of them scans nothing). An even split, the former estimate, said 4 x ceil(154/4/10) = 16.
    assert (counted.checkpoint_writes, result.checkpoint_writes, pages) == (19, 19, 19)
    assert plan.checkpoint_writes(counted.scanned, 4, 10) == 16
    assert (counted.checkpoint_units, result.checkpoint_units) == (19.0, 19.0)  # each under 1 KB
    assert (counted.write_units, result.write_units - result.checkpoint_units) == (240.0, 240.0)
    assert (counted.total_write_units, result.write_units) == (259.0, 259.0)
    assert counted.read_units == result.read_units  # the same pages, read the same way


def long_key_item(i: int) -> Item:
    """A legacy key whose name is 900 characters: a checkpoint holding it as `lastKey` passes 1 KB."""
    item = legacy_item(i)
    sort = kd.key_sort_key(f"{i:03d}" + "x" * 897)
    return {**item, kd.SORT_KEY: {"S": sort}, kd.GSI1_SORT_KEY: {"S": sort}}


def test_a_checkpoint_over_a_kilobyte_is_priced_as_two_units_by_both(direct: KvTable) -> None:
    requests = table_requests(direct)
    requests.batch_write("write long keys", [{"PutRequest": {"Item": long_key_item(i)}} for i in range(20)])
    counted = plan.count(requests, KEY_VERSION, plan.describe(requests), segments=1, page_size=5)
    result = run_migration(direct, segments=1, page_size=5)
    # Four full pages carry a 900-byte lastKey (2 units each; the 4th checkpoint replaces a 2-unit one),
    # then an empty last page whose checkpoint, without lastKey, still replaces a 2-unit item.
    assert (counted.checkpoint_writes, result.checkpoint_writes) == (5, 5)
    assert (counted.checkpoint_units, result.checkpoint_units) == (10.0, 10.0)
    assert counted.total_write_units == result.write_units


def test_the_commands_say_the_same_total(
    dynamodb_endpoint: LocalEndpoint, direct: KvTable, capsys: pytest.CaptureFixture[str]
) -> None:
    write_legacy(direct, 2)
    flags = ["--endpoint-url", dynamodb_endpoint.url, "--table-name", direct.table_name, "--quiet"]
    assert main(["migrate", "plan", *flags[:-1]]) == 0
    planned = capsys.readouterr().out.splitlines()[3]
    assert planned == (
        "  the run: about 20.0 write units (4.0 for the changes, 16.0 for 16 checkpoint writes) and about "
        f"{planned.rsplit('about ', 1)[1]}"
    )
    assert main(["migrate", "run", *flags]) == 0
    ran = capsys.readouterr().out.splitlines()[1]
    # The items scanned may include some of the run's own checkpoints, written meanwhile by other segments.
    assert ran.startswith("0001-key-version: complete: 2 changed, 0 skipped, ")
    assert "; 20.0 write units (4.0 for the changes, 16.0 for 16 checkpoint writes), " in ran
