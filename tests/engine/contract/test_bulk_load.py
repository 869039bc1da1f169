"""Bulk loads that stream: a chunk of 25 is checked, then written, so memory does not grow with the
count; a bad entry or a failed write says how many entries from the start are written, so a caller
resumes there; parallel writers write the same items."""

from collections.abc import Iterator
from typing import Any

import pytest

from kvtable.contract.consumed_capacity import CapacityRecorder
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema.entities import JsonValue
from kvtable.schema.errors import InvalidEntryError, InvalidInputError, PartialWriteError
from kvtable.transport import TransportChoice
from tests.harness.fault_proxy import client_through, fault_proxy


class CountingEntries:
    """Entries made on demand, counting how many the loader has taken so far."""

    def __init__(self, count: int, bad_at: int | None = None) -> None:
        self.count, self.bad_at, self.taken = count, bad_at, 0

    def __iter__(self) -> Iterator[tuple[str, JsonValue]]:
        for i in range(self.count):
            self.taken += 1
            yield ("bad#key" if i == self.bad_at else f"k{i:05d}", {"n": i})


def taken_at_each_write(store: KvTable, entries: CountingEntries) -> list[int]:
    seen: list[int] = []

    def note(operation: str, _: dict[str, Any]) -> None:
        if operation == "BatchWriteItem":
            seen.append(entries.taken)

    store.transport.before_call.append(note)
    return seen


def test_one_writer_takes_one_chunk_ahead_of_its_writes(store: KvTable) -> None:
    entries = CountingEntries(1000)
    seen = taken_at_each_write(store, entries)
    assert store.load_keys("ns", entries) == 1000
    # Memory is one chunk, however many entries: the 40th request is sent with 1,000 taken, not more.
    assert seen == [25 * (n + 1) for n in range(40)]
    assert store.count_keys("ns", consistent=True) == 1000


@pytest.mark.parametrize("workers", [2, 4])
def test_parallel_writers_stay_bounded_and_write_every_key(store: KvTable, workers: int) -> None:
    entries = CountingEntries(2000)
    seen = taken_at_each_write(store, entries)
    progress: list[int] = []
    assert store.load_keys("ns", entries, workers=workers, on_progress=progress.append) == 2000
    assert len(seen) == 80
    # At most two chunks a worker queued, plus the one being checked.
    assert all(taken <= 25 * (n + 1 + 2 * workers) for n, taken in enumerate(seen))
    assert progress[-1] == 2000 and progress == sorted(progress)
    assert [k["value"] for k in store.iter_keys("ns", consistent=True, page_size=1000)] == [
        {"n": i} for i in range(2000)
    ]


def test_a_load_costs_one_write_a_key_on_the_table_and_one_on_the_index(
    store: KvTable, capacity: CapacityRecorder
) -> None:
    capacity.clear()
    store.load_keys("ns", ((f"k{i}", i) for i in range(30)))
    assert [(r.operation, r.table, r.indexes["GSI1"]) for r in capacity.records] == [
        ("BatchWriteItem", 25.0, 25.0),
        ("BatchWriteItem", 5.0, 5.0),
    ]


@pytest.mark.parametrize("workers", [1, 3])
def test_a_bad_entry_refuses_its_chunk_and_says_where_to_resume(store: KvTable, workers: int) -> None:
    entries = CountingEntries(200, bad_at=110)  # in the fifth chunk: entries 101 to 125
    with pytest.raises(InvalidEntryError, match="entries 101 to 125") as refused:
        store.load_keys("ns", entries, workers=workers)
    assert (refused.value.written, refused.value.entry) == (100, 111)
    assert str(refused.value).startswith("entry 111: key 'bad#key' contains '#'")
    assert entries.taken == 125  # nothing after the bad chunk was read
    assert store.count_keys("ns", consistent=True) == 100
    written = {k["SK"] for k in store.iter_keys("ns", consistent=True)}
    assert written == {f"KEY#k{i:05d}" for i in range(100)}


@pytest.mark.parametrize("workers", [1, 2])
def test_a_failed_write_says_how_many_entries_are_written_and_a_resume_finishes(
    dynamodb_endpoint: LocalEndpoint, store: KvTable, transport: TransportChoice, workers: int
) -> None:
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        client = client_through(url)
        through = KvTable(
            client, store.table_name, transport=transport, retry_attempts=1, sleep=lambda _: None
        )
        plan.inject("pass", "pass", "throttle")
        entries = [(f"k{i:03d}", i) for i in range(300)]
        with pytest.raises(PartialWriteError, match="entries from the start are written") as failed:
            through.load_keys("ns", entries, workers=workers)
    written = failed.value.written
    # The third request to arrive is throttled. One writer sends the chunks in order: two are written. Two
    # writers race: which chunk arrives third depends on how the threads are scheduled (a writer starved
    # between taking its chunk and sending it lets a later chunk in first), so the written prefix is whole
    # chunks that end before the refused one, whichever it was.
    assert written == 50 if workers == 1 else (written % 25 == 0 and written <= 75)
    assert failed.value.failed == (written + 1, written + 25)  # the refused write is the one after them
    assert {f"KEY#{k}" for k, _ in entries[:written]} <= {
        k["SK"] for k in store.iter_keys("ns", consistent=True)
    }
    assert store.load_keys("ns", entries[written:]) == 300 - written
    assert store.count_keys("ns", consistent=True) == 300


@pytest.mark.parametrize(
    ("entries", "workers", "message"),
    [
        ("abc", 1, "not one string"),
        (42, 1, "pairs"),
        ([("k",)], 1, "pair"),
        ([("k", 1)], 0, "workers"),
        ([("k", 1)], 17, "workers"),
        ([("k", 1)], True, "workers"),
    ],
)
def test_bad_arguments_are_refused_before_any_request(
    store: KvTable, capacity: CapacityRecorder, entries: Any, workers: Any, message: str
) -> None:
    capacity.clear()
    with pytest.raises(InvalidInputError, match=message):
        store.load_keys("ns", entries, workers=workers)
    assert capacity.records == []
