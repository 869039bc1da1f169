"""One worker's run of a migration shared by N workers (`kvtable migrate run --worker I/N`): its threads
claim the scan's segments with a lease (kvtable.fleet.leases), their own share first, then any other
worker's that is free or whose lease ended, until every segment is done; each paces to 1/N of the
migration's write budget, lease writes included, so the N together keep to it."""

from __future__ import annotations

import contextlib
import functools
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from kvtable.contract.requests import TableRequests
from kvtable.fleet.leases import Lease, LeaseKeeper, LeaseTable, claim_next
from kvtable.fleet.shares import DEFAULT_LEASE_SECONDS, WorkerShare
from kvtable.migrate.checkpoints import (
    Checkpoint,
    MigrationStatus,
    SegmentMovedOnError,
    migration_partition_key,
)
from kvtable.migrate.options import SEGMENTS_PER_WORKER, RunOptions
from kvtable.migrate.runner import MigrationRun, RunResult
from kvtable.schema.migration import Migration


def shared_segment_count(options: RunOptions, share: WorkerShare) -> int:
    """Segments for a shared migration that starts afresh: as given, else 4 a thread of every worker
    (the same on every worker given the same command)."""
    return options.segments or options.workers * SEGMENTS_PER_WORKER * share.total


class SharedMigrationRun(MigrationRun):
    """Worker `share` of a migration: run it on every worker with the same flags; each exits 0 once
    the whole migration is complete, having taken over any segment a dead worker left."""

    def __init__(
        self,
        requests: TableRequests,
        migration: Migration,
        options: RunOptions,
        share: WorkerShare,
        *,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Each worker's bucket fills at 1/N of the budget, so the N never pass it together.
        super().__init__(
            requests, migration, replace(options, max_write_units=options.max_write_units / share.total)
        )
        self.share = share
        self.leases = LeaseTable(
            requests,
            migration_partition_key(migration.id),
            share,
            seconds=lease_seconds,
            clock=clock,
            on_units=self._lease_units,
        )
        self.keeper = LeaseKeeper(self.leases)
        self.poll_seconds = min(lease_seconds / 4, 1.0)  # a Query or two a second while others finish
        self.taken_over = 0  # segments this worker took from a worker whose lease ended
        self.lease_units = 0.0

    def _lease_units(self, units: float) -> None:
        self.budget.spend(units)
        self.tally.add(write=units)
        with self.tally.lock:
            self.lease_units += units

    def fresh_segment_count(self) -> int:
        """Segments for a shared migration that starts afresh (the same on every worker)."""
        return shared_segment_count(self.options, self.share)

    def run(self, on_progress: Callable[[int], None] | None = None, poll_seconds: float = 0.25) -> RunResult:
        """Claim and scan segments with `workers` threads until the migration is complete."""
        total = self.total_segments(self.checkpoints.load(self.migration))
        with self.keeper:
            claimants = [functools.partial(self._claimant, total) for _ in range(self.options.workers)]
            return self._drive(claimants, on_progress, poll_seconds)

    def _claimant(self, total: int) -> None:
        """One thread: claim a segment, scan it while its lease holds, again until the migration is done."""
        while not self.stop.is_set():
            status = self.checkpoints.load(self.migration)
            done = {checkpoint.segment for checkpoint in status.checkpoints if checkpoint.done}
            if len(done) == total:
                return
            lease = claim_next(self.leases, self.keeper, total, done)
            if lease is None:
                self.stop.wait(self.poll_seconds)  # the rest are held: wait for them to finish or end
                continue
            if lease.claims > 1:  # another worker claimed it before
                with self.tally.lock:
                    self.taken_over += 1
            # Read after the claim: where the segment's last holder stopped.
            started = {c.segment: c for c in self.checkpoints.load(self.migration).checkpoints}
            checkpoint = started.get(lease.part) or Checkpoint(self.migration.id, lease.part, total)
            # A SegmentMovedOnError: its lease ended and another took it over, going on from the checkpoint.
            with contextlib.suppress(SegmentMovedOnError):
                checkpoint = self._segment(checkpoint, functools.partial(self.keeper.held, lease.part))
            self.keeper.release(lease.part, done=checkpoint.done)


def segment_rows(status: MigrationStatus, leases: dict[int, Lease], now: float) -> list[list[str]]:
    """`status`'s table of a shared migration: each segment's worker (and whom it took over from), its
    lease (held until, or ended) and its progress, from its checkpoint and its lease."""
    total = status.total_segments or 0
    checkpoints = {checkpoint.segment: checkpoint for checkpoint in status.checkpoints}
    rows = [["segment", "worker", "lease", "scanned", "changed", "state"]]
    for part in range(total):
        lease, checkpoint = leases.get(part), checkpoints.get(part)
        worker = "-"
        if lease is not None and lease.worker is not None:
            worker = lease.worker + (f" (took over from {lease.taken_from})" if lease.taken_from else "")
        rows.append(
            [
                f"{part}/{total}",
                worker,
                _lease_state(lease, now),
                f"{checkpoint.scanned:,}" if checkpoint else "0",
                f"{checkpoint.changed:,}" if checkpoint else "0",
                "done" if checkpoint and checkpoint.done else "started" if checkpoint else "not started",
            ]
        )
    return rows


def _lease_state(lease: Lease | None, now: float) -> str:
    if lease is None or lease.owner is None:
        return "never claimed"
    if lease.done:
        return "released (done)"
    until = datetime.fromtimestamp(lease.until, UTC).strftime("%H:%M:%SZ")
    return f"held until {until}" if now < lease.until else f"ended {until}"
