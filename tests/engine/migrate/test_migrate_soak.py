"""The migration runner at scale: flat memory, a SIGKILL mid-way then a resume, writers running during it,
and throttling. `make test` runs these at a few hundred keys; `make soak` at 200,000
(MIGRATE_SOAK_ITEMS=200000), with the same assertions."""

import os
import random
import signal
import threading
import time
import tracemalloc

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.migrate.options import RunOptions
from kvtable.migrate.runner import MigrationRun, table_requests
from kvtable.schema import key_design as kd
from kvtable.schema.entities import JsonValue
from kvtable.schema.key_design import VERSION
from kvtable.schema.migrations import KEY_VERSION
from tests.engine.migrate.test_migrate import (
    LEGACY,
    UNPACED,
    assert_migrated_untouched,
    assert_resumed_exactly,
    delete_checkpoints,
    key_name,
    raw_keys,
    run_migration,
    start_run,
    status,
    wait_for_progress,
    write_legacy,
)
from tests.harness.fault_proxy import FaultPlan, client_through, fault_proxy

ITEMS = int(os.environ.get("MIGRATE_SOAK_ITEMS") or 600)
SOAK = ITEMS > 10_000
# Small runs cut their scan finer, so that they too have several pages a segment to stop in the middle of.
PAGE_SIZE = 500 if SOAK else 25
WORKERS, SEGMENTS = (4, 16) if SOAK else (2, 4)


@pytest.fixture
def direct(dynamodb_client: DynamoDBClient, table_name: str) -> KvTable:
    return KvTable(dynamodb_client, table_name)


def test_peak_memory_stays_flat_as_the_table_grows(direct: KvTable) -> None:
    """Peak Python memory of a run over N keys and over 4N keys: a page a worker, whatever the table holds."""
    peaks = []
    for size in (ITEMS // 4, ITEMS):
        write_legacy(direct, size)  # the keys of the smaller run are written again, unversioned
        delete_checkpoints(direct)
        tracemalloc.start()
        try:
            result = run_migration(direct, workers=WORKERS, segments=SEGMENTS, page_size=PAGE_SIZE)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
        assert (result.changed, result.status.complete) == (size, True)
    small, large = peaks
    assert large < small * 1.25 + 16 * 1024, (
        f"peak {small:,} bytes at {ITEMS // 4:,} keys, {large:,} at {ITEMS:,}"
    )


def test_a_run_killed_mid_way_then_resumed_gives_an_exact_result(
    dynamodb_endpoint: LocalEndpoint, direct: KvTable, table_name: str
) -> None:
    write_legacy(direct, ITEMS)
    # Paced on a small table so that the kill lands mid-way; unpaced at soak size, which takes minutes anyway.
    flags = ["--max-write-units", str(UNPACED if SOAK else 300), "--workers", str(WORKERS)]
    flags += ["--segments", str(SEGMENTS), "--page-size", str(PAGE_SIZE)]
    with start_run(dynamodb_endpoint, table_name, flags) as process:
        wait_for_progress(direct, ITEMS // 5, process, seconds=600)
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    killed = status(direct)
    assert killed.changed > 0 and not killed.complete

    resumed = run_migration(direct, workers=WORKERS, page_size=PAGE_SIZE)
    assert resumed.scanned < ITEMS  # it went on from the checkpoints, not from the start
    assert_resumed_exactly(resumed.status, ITEMS, workers=WORKERS, page_size=PAGE_SIZE)
    assert_migrated_untouched(direct, ITEMS)


def test_writers_running_during_the_migration_lose_nothing(
    dynamodb_client: DynamoDBClient, direct: KvTable, table_name: str
) -> None:
    """Threads put and swap random keys while the run goes; afterwards each key holds the last value its
    writer wrote, at the version that many writes make (an unversioned key counting as 1), and the keys no
    writer touched hold version 1: the backfill overwrote no write and no write undid the backfill."""
    write_legacy(direct, ITEMS)
    writers = 3
    finished = threading.Event()
    written: list[dict[str, tuple[JsonValue, int]]] = [{} for _ in range(writers)]
    failures: list[BaseException] = []

    def write(number: int) -> None:
        service = KvTable(dynamodb_client, table_name)
        mine = [key_name(i) for i in range(number, ITEMS, writers)]
        rng = random.Random(number)
        try:
            n = 0
            while not finished.is_set() or n < 20:
                key = rng.choice(mine)
                value: JsonValue = {"writer": number, "n": n}
                if n % 2:
                    service.put_key(LEGACY, key, value)
                else:
                    current = service.get_key(LEGACY, key, consistent=True)["version"]
                    service.update_key(LEGACY, key, value, expected_version=current)
                _, count = written[number].get(key, (None, 0))
                written[number][key] = (value, count + 1)
                n += 1
        except BaseException as error:
            failures.append(error)

    threads = [threading.Thread(target=write, args=(number,)) for number in range(writers)]
    for thread in threads:
        thread.start()
    try:
        pace = UNPACED if SOAK else 200.0
        result = run_migration(
            direct, workers=WORKERS, segments=SEGMENTS, page_size=PAGE_SIZE, max_write_units=pace
        )
    finally:
        finished.set()
        for thread in threads:
            thread.join()
    assert not failures, failures
    assert result.status.complete
    expected = {key: entry for mine in written for key, entry in mine.items()}
    assert len(expected) > 0
    for item in raw_keys(direct):
        key = kd.parse_key(item[kd.SORT_KEY]["S"])
        if key in expected:
            value, writes = expected[key]
            stored = direct.get_key(LEGACY, key, consistent=True)
            assert (stored["value"], stored["version"]) == (value, 1 + writes), key
        else:
            assert item[VERSION] == {"N": "1"}, key


def test_throttling_slows_the_run_without_failing_it(
    dynamodb_endpoint: LocalEndpoint, direct: KvTable, table_name: str
) -> None:
    """A quarter of the requests of the run's first stretch are throttled; each waits out a backoff and is
    sent again, and the run goes on. Once every throttling is served the run is stopped and finished
    without the proxy (which at soak size would take an hour by itself), from its checkpoints."""
    write_legacy(direct, ITEMS)
    throttles = min(ITEMS // 4, 2000)
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        time.sleep(seconds)

    # Four workers on a small table too: the proxy's own time a request is most of this test's.
    options = RunOptions(workers=4, segments=SEGMENTS, page_size=PAGE_SIZE, max_write_units=UNPACED)
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        proxied = KvTable(client_through(url), table_name)
        plan.inject(*(["throttle", "pass", "pass", "pass"] * throttles))
        throttled_run = MigrationRun(table_requests(proxied, sleep=sleep), KEY_VERSION, options)
        watcher = threading.Thread(target=stop_when_served, args=(plan, throttled_run.stop))
        watcher.start()
        first = throttled_run.run()
        watcher.join()
        throttled = [operation for operation in plan.operations if operation.endswith(":throttle")]
    assert len(throttled) == throttles and "UpdateItem:throttle" in throttled
    assert len(slept) == throttles and sum(slept) > 0  # each throttling waited before its retry
    assert first.changed >= throttles  # it went on between the throttlings
    rest = run_migration(direct, workers=4, page_size=PAGE_SIZE)
    assert_resumed_exactly(rest.status, ITEMS, workers=4, page_size=PAGE_SIZE)
    assert_migrated_untouched(direct, ITEMS)


def stop_when_served(plan: FaultPlan, stop: threading.Event) -> None:
    """Set `stop` once the proxy has served every fault injected (or when it is set anyway)."""
    while not stop.wait(0.05):
        with plan.lock:
            if not plan.pending:
                stop.set()
