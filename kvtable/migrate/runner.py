"""Running a migration: a parallel scan whose workers write each change conditionally, paced to a
capacity budget, checkpointing each segment in the table after every page."""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_EXCEPTION, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any, cast

from kvtable.contract.requests import Item, TableRequests
from kvtable.contract.retries import RETRY_ATTEMPTS
from kvtable.contract.store import KvTable
from kvtable.migrate.checkpoints import Checkpoint, Checkpoints, MigrationStatus, consumed_units
from kvtable.migrate.expressions import scan_request, write_request
from kvtable.migrate.options import RunOptions
from kvtable.migrate.pacing import CapacityBudget
from kvtable.schema.errors import InvalidInputError, KvTableError
from kvtable.schema.migration import Migration
from kvtable.schema.values import deserialize_item

# A backfill would rather wait out throttling than stop: twice the contract's budget of tries.
RUN_RETRY_ATTEMPTS = 2 * RETRY_ATTEMPTS
# A failed conditional write reports no ConsumedCapacity, yet costs a write unit (for an item up to 1 KB).
FAILED_WRITE_UNITS = 1.0


def table_requests(
    store: KvTable, *, retry_attempts: int = RUN_RETRY_ATTEMPTS, sleep: Callable[[float], None] = time.sleep
) -> TableRequests:
    """The contract's request layer over `store`'s transport and table, with a migration's retry budget."""
    return TableRequests(
        store.transport, store.table_name, store.gsi_name, retry_attempts=retry_attempts, sleep=sleep
    )


@dataclass(frozen=True)
class RunResult:
    """What one run did (its own counts, this run only) and where the migration stands after it.
    `write_units` are all its writes': the changes' and its `checkpoint_writes`' (`checkpoint_units` of them)."""

    changed: int
    skipped: int
    scanned: int
    write_units: float
    read_units: float
    status: MigrationStatus
    checkpoint_writes: int = 0
    checkpoint_units: float = 0.0


class _Tally:
    """The counts and capacity of a run, added to by every worker."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.changed = self.skipped = self.scanned = self.checkpoints = 0
        self.write_units = self.read_units = self.checkpoint_units = 0.0

    def add(
        self,
        *,
        changed: int = 0,
        skipped: int = 0,
        scanned: int = 0,
        write: float = 0,
        read: float = 0,
        checkpoint: float | None = None,
    ) -> None:
        """Add to the counts; `checkpoint`: the units of one checkpoint written (counted in `write_units` too)."""
        with self.lock:
            self.changed += changed
            self.skipped += skipped
            self.scanned += scanned
            self.write_units += write
            self.read_units += read
            if checkpoint is not None:
                self.checkpoints += 1
                self.checkpoint_units += checkpoint


class MigrationRun:
    """One run of one migration over a table; run it again after a kill, a failure or Ctrl-C to resume."""

    def __init__(
        self,
        requests: TableRequests,
        migration: Migration,
        options: RunOptions | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        options = options or RunOptions()
        options.check()
        self.requests, self.migration, self.options = requests, migration, options
        self.checkpoints = Checkpoints(requests)
        self.budget = CapacityBudget(options.max_write_units, clock=clock)
        self.stop = threading.Event()
        self.tally = _Tally()
        self._scan = scan_request(requests.table_name, migration)

    def total_segments(self, status: MigrationStatus) -> int:
        """The segments' count: the checkpoints' when started, else a fresh run's (a mismatch refused)."""
        total, wanted = status.total_segments, self.options.segments
        if total is not None and wanted is not None and wanted != total:
            raise InvalidInputError(
                f"migration {self.migration.id} was started with {total} segments; run it with "
                f"--segments {total}, or without --segments"
            )
        return total or self.fresh_segment_count()

    def fresh_segment_count(self) -> int:
        """Segments for a migration that starts afresh: the options'."""
        return self.options.segment_count()

    def segments(self, status: MigrationStatus) -> list[Checkpoint]:
        """The segments left to scan, each from its checkpoint: a resumed run keeps the first run's count."""
        total = self.total_segments(status)
        started = {checkpoint.segment: checkpoint for checkpoint in status.checkpoints}
        every = (started.get(n) or Checkpoint(self.migration.id, n, total) for n in range(total))
        return [checkpoint for checkpoint in every if not checkpoint.done]

    def run(self, on_progress: Callable[[int], None] | None = None, poll_seconds: float = 0.25) -> RunResult:
        """Scan every segment not done yet, with `workers` threads; `on_progress(items scanned by this run)`
        is called from this thread. On an error or KeyboardInterrupt the workers stop before their next
        write (their page is scanned again next time) and the error goes on."""
        pending = self.segments(self.checkpoints.load(self.migration))
        return self._drive(
            [functools.partial(self._segment, checkpoint) for checkpoint in pending],
            on_progress,
            poll_seconds,
        )

    def _drive(
        self,
        jobs: Sequence[Callable[[], object]],
        on_progress: Callable[[int], None] | None,
        poll_seconds: float,
    ) -> RunResult:
        """Run `jobs` on `workers` threads, reporting progress every `poll_seconds`; the first error stops
        them all and goes on. Returns this run's result."""
        pool = ThreadPoolExecutor(max_workers=self.options.workers, thread_name_prefix="kvtable-migrate")
        futures: list[Future[object]] = [pool.submit(job) for job in jobs]
        try:
            while futures:
                done, _ = wait(futures, timeout=poll_seconds, return_when=FIRST_EXCEPTION)
                if on_progress is not None:
                    on_progress(self.tally.scanned)
                failed = next((future for future in done if future.exception() is not None), None)
                if failed is not None:
                    raise self._failure(cast(BaseException, failed.exception()))
                futures = [future for future in futures if future not in done]
        finally:
            self.stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
        tally = self.tally
        return RunResult(
            tally.changed,
            tally.skipped,
            tally.scanned,
            tally.write_units,
            tally.read_units,
            self.checkpoints.load(self.migration),
            tally.checkpoints,
            tally.checkpoint_units,
        )

    def _failure(self, error: BaseException) -> BaseException:
        """The error a worker met, saying which migration and that a run again resumes."""
        if not isinstance(error, KvTableError):
            return error
        kind = InvalidInputError if isinstance(error, InvalidInputError) else KvTableError
        failure = kind(f"migration {self.migration.id}: {error}; run it again to resume from its checkpoints")
        failure.__cause__ = error
        return failure

    def _segment(self, checkpoint: Checkpoint, held: Callable[[], bool] = lambda: True) -> Checkpoint:
        """Scan one segment page by page from its checkpoint; after each page's writes, checkpoint it. Stops
        when `held()` turns false (a shared run's lease on it); returns where the segment stands."""
        request = dict(self._scan)
        request.update(
            {
                "Segment": checkpoint.segment,
                "TotalSegments": checkpoint.total,
                "Limit": self.options.page_size,
            }
        )
        while not checkpoint.done and not self.stop.is_set() and held():
            if checkpoint.last_key is not None:
                request["ExclusiveStartKey"] = checkpoint.last_key
            response = self.requests.send(f"scan for migration {self.migration.id}", "Scan", request)
            self.tally.add(read=consumed_units(response))
            counts = self._page(cast(list[Item], response.get("Items", [])), held)
            if counts is None:
                return checkpoint  # stopped mid-page: the next run scans this page again, its writes being conditional
            changed, skipped = counts
            last_key = cast(Item | None, response.get("LastEvaluatedKey"))
            scanned = int(response.get("ScannedCount", 0))
            following = checkpoint.after_page(
                last_key,
                changed=changed,
                skipped=skipped,
                matched=int(response.get("Count", 0)),
                scanned=scanned,
            )
            units = self.checkpoints.save(following, checkpoint)
            self.budget.spend(units)
            self.tally.add(scanned=scanned, write=units, checkpoint=units)
            checkpoint = following
        return checkpoint

    def _page(self, items: list[Item], held: Callable[[], bool]) -> tuple[int, int] | None:
        """Write the changes a page's items need: (changed, skipped), or None if stopped first."""
        changed = skipped = 0
        for scanned in items:
            change = self.migration.change(deserialize_item(scanned))
            if change is None:
                continue
            if not self.budget.take(self.stop) or not held():
                return None
            applied, units = self._write(scanned, change)
            self.budget.spend(units)
            changed, skipped = changed + applied, skipped + (not applied)
            self.tally.add(changed=applied, skipped=not applied, write=units)
        return changed, skipped

    def _write(self, scanned: Item, change: dict[str, Any]) -> tuple[bool, float]:
        """One conditional UpdateItem: (whether it was applied, the capacity it consumed)."""
        request = write_request(self.requests.table_name, self.migration, scanned, change)
        try:
            response = self.requests.send(
                f"write for migration {self.migration.id}",
                "UpdateItem",
                request,
                on_condition_failed=_Skipped(),
            )
        except _Skipped:
            # Changed since it was read (the service wrote it), deleted, or done already: not this run's to do.
            return False, FAILED_WRITE_UNITS
        return True, consumed_units(response)


class _Skipped(KvTableError):  # noqa: N818 (a signal inside the runner, never raised to callers)
    """A migration's write whose condition failed: someone changed the item, or it is done."""
