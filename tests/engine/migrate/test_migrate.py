"""`kvtable migrate` on DynamoDB Local: keys written before versions existed, read and swapped before and
after their backfill; the plan's count against what the run then does and costs; the command's three
actions, exit codes and Ctrl-C; writes that must never overwrite the service's; and the example index."""

import signal
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.benchmarks.workers import unversioned_key_item
from kvtable.builders.table_definition import create_table_from_template
from kvtable.cli.main import main
from kvtable.contract.consumed_capacity import CapacityRecorder
from kvtable.contract.requests import Item, TableRequests
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint, dynamodb_local
from kvtable.migrate import plan
from kvtable.migrate.checkpoints import Checkpoints, MigrationStatus, migration_partition_key
from kvtable.migrate.options import RunOptions
from kvtable.migrate.runner import MigrationRun, RunResult, table_requests
from kvtable.schema import key_design as kd
from kvtable.schema import migrations as registry
from kvtable.schema.errors import KvTableError, VersionConflictError
from kvtable.schema.key_design import VERSION, WRITE_ID
from kvtable.schema.migration import Migration
from kvtable.schema.migrations import (
    GSI2_NAME,
    GSI2_PARTITION_KEY,
    GSI2_SORT_KEY,
    KEY_VERSION,
    KEYS_BY_CHANGE,
)
from tests.local_clients import local_settings
from tests.worker_processes import start_cli

LEGACY = "legacy"  # the namespace of the keys written the old way
UNPACED = 1_000_000.0  # write units a second: no pacing, for tests that are not about it


def legacy_item(i: int, namespace: str = LEGACY) -> Item:
    """Key number `i` as kvtable wrote keys before versions existed: no `version`; odd ones carry a
    `writeId` (written between writeIds and versions), even ones none (written before either)."""
    item: Item = unversioned_key_item(i, namespace)
    if i % 2:
        item[WRITE_ID] = {"S": f"old-write-{i}"}
    return item


def key_name(i: int) -> str:
    return f"k{i:07d}"


def write_legacy(store: KvTable, count: int, namespace: str = LEGACY, workers: int = 4) -> None:
    """`count` legacy keys, written raw (BatchWriteItem, as no contract write would)."""
    requests = table_requests(store)

    def chunk(start: int) -> None:
        puts = [
            {"PutRequest": {"Item": legacy_item(i, namespace)}} for i in range(start, min(start + 25, count))
        ]
        requests.batch_write("write legacy keys", puts)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(chunk, range(0, count, 25)))


def raw_keys(store: KvTable, namespace: str = LEGACY) -> Iterator[Item]:
    """The namespace's key items as stored (a strong Query on the table), not as the contract reads them."""
    requests = table_requests(store)
    request: dict[str, Any] = {
        "TableName": store.table_name,
        "KeyConditionExpression": "#pk = :pk",
        "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY},
        "ExpressionAttributeValues": {":pk": {"S": kd.namespace_partition_key(namespace)}},
        "ConsistentRead": True,
    }
    while True:
        response = requests.send("read raw keys", "Query", request)
        yield from response.get("Items", [])
        if not response.get("LastEvaluatedKey"):
            return
        request["ExclusiveStartKey"] = response["LastEvaluatedKey"]


def assert_migrated_untouched(store: KvTable, count: int) -> None:
    """Every legacy key is at version 1 and otherwise exactly as written: the backfill set `version` once."""
    seen = 0
    for item in raw_keys(store):
        i = int(item[kd.SORT_KEY]["S"].removeprefix(kd.KEY_PREFIX + "k"))
        assert item == {**legacy_item(i), VERSION: {"N": "1"}}, item
        seen += 1
    assert seen == count


def run_migration(
    store: KvTable, migration: Migration = KEY_VERSION, requests: TableRequests | None = None, **options: Any
) -> RunResult:
    options.setdefault("max_write_units", UNPACED)
    return MigrationRun(requests or table_requests(store), migration, RunOptions(**options)).run()


def status(store: KvTable, migration: Migration = KEY_VERSION) -> MigrationStatus:
    return Checkpoints(table_requests(store)).load(migration)


def delete_checkpoints(store: KvTable, migration: Migration = KEY_VERSION) -> None:
    for checkpoint in status(store, migration).checkpoints:
        store.client.delete_item(
            TableName=store.table_name,
            Key={
                kd.PARTITION_KEY: {"S": migration_partition_key(migration.id)},
                kd.SORT_KEY: {"S": checkpoint.sort_key},
            },
        )


def cli(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(argv))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def migrate_args(endpoint: LocalEndpoint, table: str, action: str, *rest: str) -> list[str]:
    return ["migrate", action, "--endpoint-url", endpoint.url, "--table-name", table, *rest]


@pytest.fixture
def direct(dynamodb_client: DynamoDBClient, table_name: str) -> KvTable:
    """A store on the direct transport: the runner's tests need one transport, not both."""
    return KvTable(dynamodb_client, table_name)


# ----- the contract reads and swaps keys the backfill has not reached ---------------------------------


def test_a_key_written_before_versions_reads_as_version_1(store: KvTable) -> None:
    write_legacy(store, 4)
    assert [store.get_key(LEGACY, key_name(i))["version"] for i in range(4)] == [1, 1, 1, 1]
    for consistent in (False, True):
        page = store.list_keys(LEGACY, consistent=consistent)
        assert [item["version"] for item in page.items] == [1, 1, 1, 1]
    assert [item["version"] for item in store.iter_keys(LEGACY, page_size=3)] == [1, 1, 1, 1]
    # Only the reading is upgraded: the items stay as they were until the backfill.
    assert all(VERSION not in item for item in raw_keys(store))


def test_get_keys_reads_a_key_written_before_versions_as_version_1(store: KvTable) -> None:
    write_legacy(store, 2)
    found = store.get_keys(LEGACY, [key_name(0), key_name(1)])
    assert [item.get(VERSION) for item in found.values()] == [1, 1]


def test_compare_and_swap_works_on_a_pre_version_key_before_and_after_its_migration(store: KvTable) -> None:
    write_legacy(store, 3)
    # Before the backfill: the unversioned key is version 1, and a swap from 1 takes it to 2.
    swapped = store.update_key(LEGACY, key_name(0), "swapped before", expected_version=1)
    assert (swapped["value"], swapped["version"]) == ("swapped before", 2)
    with pytest.raises(VersionConflictError) as conflict:
        store.update_key(LEGACY, key_name(1), "from a version it never had", expected_version=2)
    assert conflict.value.current_version == 1
    result = run_migration(store)
    assert (result.changed, result.skipped) == (2, 0)  # key 0 has a version already: nothing to do
    stored = {item[kd.SORT_KEY]["S"]: item[VERSION]["N"] for item in raw_keys(store)}
    assert stored == {
        kd.key_sort_key(key_name(0)): "2",
        **{kd.key_sort_key(key_name(i)): "1" for i in (1, 2)},
    }
    # After it: the key holds version 1, and the swap works the same.
    after = store.update_key(LEGACY, key_name(2), "swapped after", expected_version=1)
    assert (after["value"], after["version"]) == ("swapped after", 2)
    with pytest.raises(VersionConflictError):
        store.update_key(LEGACY, key_name(2), "stale", expected_version=1)


@pytest.mark.parametrize("write", ["put_key", "update_key"])
def test_a_plain_write_over_an_unversioned_key_makes_it_version_2(
    store: KvTable, capacity: CapacityRecorder, write: str
) -> None:
    """Read as version 1, an unversioned key's next write makes it 2: a swap from the 1 read before that
    write must fail, or it would overwrite the write. The plain write's own request is the one it always
    was, and takes it to 1; a second request (only on a key's first write after versions) makes it 2."""
    write_legacy(store, 1)
    read = store.get_key(LEGACY, key_name(0))["version"]
    capacity.clear()
    assert getattr(store, write)(LEGACY, key_name(0), "someone else")["version"] == 2
    assert [(r.operation, r.table, r.indexes.get("GSI1", 0.0)) for r in capacity.records] == [
        ("UpdateItem", 1.0, 1.0),
        ("UpdateItem", 1.0, 1.0),
    ]
    with pytest.raises(VersionConflictError) as conflict:
        store.update_key(LEGACY, key_name(0), "mine", expected_version=read)
    assert conflict.value.current_version == 2
    assert store.get_key(LEGACY, key_name(0), consistent=True)["value"] == "someone else"
    capacity.clear()
    assert store.put_key(LEGACY, key_name(0), "again")["version"] == 3  # one request from now on
    assert len(capacity.records) == 1


def test_two_swaps_from_one_read_of_an_unversioned_key_do_not_both_win(store: KvTable) -> None:
    write_legacy(store, 1)
    read = store.get_key(LEGACY, key_name(0))["version"]
    assert store.update_key(LEGACY, key_name(0), "first", expected_version=read)["version"] == 2
    with pytest.raises(VersionConflictError):
        store.update_key(LEGACY, key_name(0), "second", expected_version=read)
    assert store.get_key(LEGACY, key_name(0), consistent=True)["value"] == "first"


# ----- plan and run: what is counted is what is changed, at the cost counted ------------------------------


def test_the_plan_counts_what_the_run_then_changes_at_the_capacity_it_said(direct: KvTable) -> None:
    write_legacy(direct, 120)
    direct.create_user("u1", "u1@example.com", "api-key-1")
    direct.create_namespace("u1", "current")
    for i in range(30):
        direct.put_key("current", f"c{i}", i)  # versioned already: nothing to change
    requests = table_requests(direct)
    figures = plan.describe(requests)
    counted = plan.count(requests, KEY_VERSION, figures, segments=4, page_size=50)
    assert (counted.counted, counted.to_change) == (True, 120)
    assert counted.scanned == figures.item_count == 120 + 30 + 4  # keys, user, API-key guard, namespace, link
    assert counted.write_units == 240.0  # each key: 1 on the table, 1 on GSI1 (it projects ALL)
    assert counted.read_units > 0
    estimated = plan.estimate(KEY_VERSION, figures, segments=4, page_size=50)
    assert (estimated.counted, estimated.to_change, estimated.write_units) == (False, 154, 308.0)

    result = run_migration(direct, segments=4, page_size=50)
    after = result.status
    assert (result.changed, result.skipped, after.complete, after.segments_done) == (120, 0, True, 4)
    checkpoint_writes = sum(checkpoint.pages for checkpoint in after.checkpoints)
    # Measured: exactly the counted writes, plus one unit a checkpoint (a small item on no index).
    assert result.write_units == counted.write_units + checkpoint_writes
    assert result.read_units == pytest.approx(counted.read_units, abs=2.0)
    assert_migrated_untouched(direct, 120)


def test_run_status_and_a_run_again_through_the_command(
    dynamodb_endpoint: LocalEndpoint, direct: KvTable, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    write_legacy(direct, 150)
    code, out, _ = cli(migrate_args(dynamodb_endpoint, table_name, "status"), capsys)
    assert (code, out.splitlines()[0]) == (0, "0001-key-version: not started")
    assert "0002-keys-by-change: not started (example: runs only with --migration)" in out

    code, out, err = cli(migrate_args(dynamodb_endpoint, table_name, "plan"), capsys)
    assert code == 0, err
    assert "counted by a scan: 150 items scanned, 150 to change" in out
    assert "(300.0 for the changes, 16.0 for 16 checkpoint writes)" in out
    code, out, err = cli(migrate_args(dynamodb_endpoint, table_name, "plan", "--estimate"), capsys)
    assert code == 0, err
    assert "estimated from DescribeTable" in out and "at most 150 items to change" in out

    code, out, err = cli(
        migrate_args(dynamodb_endpoint, table_name, "run", "--max-write-units", "100000"), capsys
    )
    assert code == 0, err
    assert "0001-key-version: complete: 150 changed, 0 skipped" in out
    assert "items (100%)" in err and "items/s" in err  # the progress bar, on stderr
    assert_migrated_untouched(direct, 150)

    code, out, _ = cli(migrate_args(dynamodb_endpoint, table_name, "status"), capsys)
    assert "0001-key-version: complete, 16/16 segments done, 150 changed, 0 skipped" in out
    for action in ("run", "plan"):
        code, out, _ = cli(migrate_args(dynamodb_endpoint, table_name, action), capsys)
        assert code == 0
        assert out == f"nothing to migrate in table {table_name}: every migration asked for is complete\n"


def test_bad_input_and_failures_exit_with_the_project_codes(
    dynamodb_endpoint: LocalEndpoint, direct: KvTable, table_name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    cases = [
        (
            ["run", "--migration", "9999-nothing"],
            2,
            "no migration '9999-nothing'; the registry holds 0001-key",
        ),
        (["run", "--workers", "0"], 2, "argument --workers: '0' is not a whole number from 1 to 32"),
        (["run", "--estimate"], 2, "--estimate applies to `kvtable migrate plan` only"),
        (["status", "--workers", "2"], 2, "--workers applies to `kvtable migrate plan or run` only"),
    ]
    for argv, expected_code, message in cases:
        code, _, err = cli(migrate_args(dynamodb_endpoint, table_name, *argv), capsys)
        assert (code, err.count("\n")) == (expected_code, 1), err
        assert message in err
    for action in ("plan", "run", "status"):
        code, _, err = cli(migrate_args(dynamodb_endpoint, "no-such-table", action), capsys)
        assert (code, err) == (
            2,
            f"kvtable migrate: error: table no-such-table (--table-name) does not exist in {dynamodb_endpoint.url} "
            "(region us-east-1); create it there first (`kvtable local --table-name no-such-table` starts a "
            "DynamoDB Local that has it, at the URL it prints), or name an existing table with --table-name or --env\n",
        ), action

    write_legacy(direct, 40)
    run_migration(direct, segments=4)
    # A run left part done (here: one segment's checkpoint gone) resumes with the segments it started with.
    direct.client.delete_item(
        TableName=table_name,
        Key={
            kd.PARTITION_KEY: {"S": migration_partition_key(KEY_VERSION.id)},
            kd.SORT_KEY: {"S": "SEGMENT#3/4"},
        },
    )
    code, _, err = cli(migrate_args(dynamodb_endpoint, table_name, "run", "--segments", "8"), capsys)
    assert code == 2 and "was started with 4 segments; run it with --segments 4" in err


# ----- the service's writes win ---------------------------------------------------------------------------


def on_first_migration_write(store: KvTable, action: Callable[[str], object]) -> list[str]:
    """Run `action(key)` just before the runner's first UpdateItem goes out, as if the service wrote
    between the scan and the write; the keys it acted on."""
    acted: list[str] = []

    def before(operation: str, request: dict[str, Any]) -> None:
        if (
            operation == "UpdateItem"
            and not acted
            and VERSION in request["ExpressionAttributeNames"].values()
        ):
            acted.append(kd.parse_key(request["Key"][kd.SORT_KEY]["S"]))
            action(acted[0])

    store.transport.before_call.append(before)
    return acted


def test_a_write_the_service_makes_after_the_scan_is_never_overwritten(
    direct: KvTable, dynamodb_client: DynamoDBClient, table_name: str
) -> None:
    write_legacy(direct, 20)
    service = KvTable(dynamodb_client, table_name)
    acted = on_first_migration_write(direct, lambda key: service.put_key(LEGACY, key, "the service's"))
    result = run_migration(direct, segments=1)
    assert (result.changed, result.skipped) == (19, 1)
    kept = direct.get_key(LEGACY, acted[0], consistent=True)
    assert (kept["value"], kept["version"]) == ("the service's", 2)


def test_a_key_deleted_after_the_scan_is_not_made_again(
    direct: KvTable, dynamodb_client: DynamoDBClient, table_name: str
) -> None:
    write_legacy(direct, 20)
    service = KvTable(dynamodb_client, table_name)
    acted = on_first_migration_write(direct, lambda key: service.delete_key(LEGACY, key))
    result = run_migration(direct, segments=1)
    assert (result.changed, result.skipped) == (19, 1)
    assert kd.key_sort_key(acted[0]) not in {item[kd.SORT_KEY]["S"] for item in raw_keys(direct)}


def test_a_second_pass_over_migrated_items_writes_nothing(direct: KvTable) -> None:
    write_legacy(direct, 60)
    run_migration(direct, segments=4, page_size=10)
    before = list(raw_keys(direct))
    delete_checkpoints(direct)  # as if its checkpoints were lost: every page is scanned again
    again = run_migration(direct, segments=4, page_size=10)
    assert (again.changed, again.skipped, again.status.complete) == (0, 0, True)
    assert list(raw_keys(direct)) == before


def test_the_writes_keep_to_the_capacity_budget(direct: KvTable) -> None:
    write_legacy(direct, 60)
    started = time.monotonic()
    result = run_migration(direct, workers=4, segments=4, page_size=10, max_write_units=40)
    elapsed = time.monotonic() - started
    assert result.changed == 60
    # A second's worth goes at once; the rest at 40 units a second, whatever the four workers could do.
    assert result.write_units > 120
    assert elapsed >= (result.write_units - 40) / 40 - 0.1


# ----- Ctrl-C ---------------------------------------------------------------------------------------------


def test_ctrl_c_stops_with_one_line_and_a_run_again_finishes(
    dynamodb_endpoint: LocalEndpoint, direct: KvTable, table_name: str
) -> None:
    write_legacy(direct, 300)
    flags = ["--max-write-units", "150", "--workers", "2", "--segments", "4", "--page-size", "20"]
    with start_run(dynamodb_endpoint, table_name, flags) as process:
        wait_for_progress(direct, 40, process)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    assert process.returncode == 130
    assert err == "kvtable migrate: interrupted; run it again to resume\n"
    assert not status(direct).complete
    resumed = run_migration(direct)
    assert_resumed_exactly(resumed.status, 300, workers=2, page_size=20)
    assert_migrated_untouched(direct, 300)


def assert_resumed_exactly(after: MigrationStatus, keys: int, *, workers: int, page_size: int) -> None:
    """The counts of a run stopped mid-page and resumed: every key read once in the pages checkpointed;
    the writes of the pages left unfinished (one a worker at most) are not counted, and their keys, read
    again, needed nothing."""
    assert after.complete
    assert after.matched == keys
    assert keys - workers * page_size <= after.changed + after.skipped <= keys


def start_run(endpoint: LocalEndpoint, table: str, flags: list[str]) -> subprocess.Popen[str]:
    """`kvtable migrate run --quiet` in a process of its own, as an operator starts it (stderr kept)."""
    argv = [*migrate_args(endpoint, table, "run", "--quiet"), *flags]
    return start_cli(argv, stdout=subprocess.DEVNULL)


def wait_for_progress(
    store: KvTable, scanned: int, process: subprocess.Popen[str], seconds: float = 60
) -> None:
    """Until the checkpoints of KEY_VERSION show `scanned` items, while `process` runs."""
    deadline = time.monotonic() + seconds
    while status(store).scanned < scanned:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the run made no progress"
        time.sleep(0.05)


# ----- the worked example: an index's key attributes, backfilled ----------------------------------------


@pytest.fixture
def own_engine() -> Iterator[tuple[DynamoDBClient, str]]:
    """A DynamoDB Local of this test's own, with a table: the session's engine (the 2026-05-28 jar), after
    many tests, at times leaves an index it is asked to create CREATING for good."""
    with dynamodb_local() as endpoint:
        client = boto3.client("dynamodb", **local_settings(endpoint.url))
        create_table_from_template(client, "kv-example")
        yield client, "kv-example"


@pytest.mark.dynamodb_local
def test_the_example_backfills_an_index_that_lists_keys_by_last_change(
    own_engine: tuple[DynamoDBClient, str],
) -> None:
    dynamodb_client, table_name = own_engine
    direct = KvTable(dynamodb_client, table_name)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    for i, key in enumerate(["b", "c", "a"]):
        at = start + timedelta(minutes=i)
        KvTable(dynamodb_client, table_name, clock=lambda at=at: at).put_key("ns", key, i)  # type: ignore[misc]
    assert KEYS_BY_CHANGE.example and KEYS_BY_CHANGE not in registry.applied()
    for migration in registry.applied():
        run_migration(direct, migration)
    assert all(GSI2_PARTITION_KEY not in item for item in raw_keys(direct, "ns"))

    result = run_migration(direct, KEYS_BY_CHANGE)
    assert (result.changed, result.skipped) == (3, 0)
    for item in raw_keys(direct, "ns"):
        assert item[GSI2_PARTITION_KEY] == item[kd.PARTITION_KEY]
        assert item[GSI2_SORT_KEY] == item[kd.UPDATED_AT]
    # What `kvtable deploy --stepwise` does on AWS, done here directly: create the index.
    dynamodb_client.update_table(
        TableName=table_name,
        AttributeDefinitions=[
            {"AttributeName": GSI2_PARTITION_KEY, "AttributeType": "S"},
            {"AttributeName": GSI2_SORT_KEY, "AttributeType": "S"},
        ],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": GSI2_NAME,
                    "KeySchema": [
                        {"AttributeName": GSI2_PARTITION_KEY, "KeyType": "HASH"},
                        {"AttributeName": GSI2_SORT_KEY, "KeyType": "RANGE"},
                    ],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )
    deadline = time.monotonic() + 60
    while any(
        index["IndexStatus"] != "ACTIVE"
        for index in dynamodb_client.describe_table(TableName=table_name)["Table"]["GlobalSecondaryIndexes"]
    ):
        assert time.monotonic() < deadline, "GSI2 is not ACTIVE after a minute"
        time.sleep(0.1)
    newest_first = dynamodb_client.query(
        TableName=table_name,
        IndexName=GSI2_NAME,
        KeyConditionExpression="#pk = :ns",
        ExpressionAttributeNames={"#pk": GSI2_PARTITION_KEY},
        ExpressionAttributeValues={":ns": {"S": kd.namespace_partition_key("ns")}},
        ScanIndexForward=False,
    )["Items"]
    assert [item[kd.SORT_KEY]["S"] for item in newest_first] == ["KEY#a", "KEY#c", "KEY#b"]


def test_two_runs_of_one_migration_do_not_share_a_segment(direct: KvTable) -> None:
    """A second run that started from the same checkpoints stops at its first checkpoint, naming why."""
    write_legacy(direct, 40)
    first = MigrationRun(table_requests(direct), KEY_VERSION, RunOptions(segments=1, page_size=10))
    second = MigrationRun(table_requests(direct), KEY_VERSION, RunOptions(segments=1, page_size=10))
    loaded = first.checkpoints.load(KEY_VERSION)
    (mine,) = first.segments(loaded)
    (theirs,) = second.segments(loaded)
    page = {"changed": 0, "skipped": 0, "matched": 10, "scanned": 10}
    first.checkpoints.save(mine.after_page(None, **page), mine)
    with pytest.raises(KvTableError, match="another `kvtable migrate run` is under way"):
        second.checkpoints.save(theirs.after_page(None, **page), theirs)
    assert status(direct).checkpoints == (mine.after_page(None, **page),)
