"""One worker's share of a load shared by N workers (`kvtable load --worker I/N`): the file is cut into
line ranges (kvtable.fleet.file_ranges), each claimed in the table with a lease (kvtable.fleet.leases),
loaded block by block with the contract's `load_keys`, and checkpointed after each block (the offset of
its next line and the entries written, in one compare-and-set write). A taker goes on from the
checkpoint: the block in hand when a worker died is loaded again, which puts the same items again (a
load's put is whole and idempotent), and counted once, by the checkpoint that follows it."""

from __future__ import annotations

import functools
import hashlib
import io
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kvtable.contract.error_mapping import Refused
from kvtable.contract.jsonl import EntryLines, jsonl_entries
from kvtable.contract.requests import Item, TableRequests
from kvtable.contract.store import KvTable
from kvtable.fleet.file_ranges import (
    BLOCK_LINES,
    first_line_start,
    lines_before,
    range_bounds,
    range_count,
    read_block,
)
from kvtable.fleet.leases import LeaseKeeper, LeaseTable, claim_next
from kvtable.fleet.shares import DEFAULT_LEASE_SECONDS, WorkerShare
from kvtable.schema import key_design as kd
from kvtable.schema.errors import InvalidEntryError

LOAD_PREFIX, RANGE_PREFIX, LOAD_ENTITY = "LOAD#", "RANGE#", "LOAD"
PART, TOTAL, OFFSET, ENTRIES, BLOCKS, DONE = "part", "totalParts", "offset", "entries", "blocks", "done"


def load_partition_key(namespace: str, path: Path, size: int) -> str:
    """`LOAD#<hash>`: the load of this file (by name and size) into this namespace, the same on every
    machine whatever folder holds the file."""
    digest = hashlib.sha256(f"{namespace}\0{path.name}\0{size}".encode()).hexdigest()[:16]
    return LOAD_PREFIX + digest


@dataclass(frozen=True)
class RangeCheckpoint:
    """Where range `part` of `total` stands: `offset` the next line to load (-1 before its first block),
    `entries` written from its start, `blocks` checkpointed, `done` at its end."""

    part: int
    total: int
    offset: int = -1
    entries: int = 0
    blocks: int = 0
    done: bool = False

    def item(self, partition: str) -> Item:
        """As a table item (wire format)."""
        return {
            kd.PARTITION_KEY: {"S": partition},
            kd.SORT_KEY: {"S": f"{RANGE_PREFIX}{self.part}/{self.total}"},
            kd.ENTITY_TYPE_ATTRIBUTE: {"S": LOAD_ENTITY},
            PART: {"N": str(self.part)},
            TOTAL: {"N": str(self.total)},
            OFFSET: {"N": str(self.offset)},
            ENTRIES: {"N": str(self.entries)},
            BLOCKS: {"N": str(self.blocks)},
            DONE: {"BOOL": self.done},
        }

    @classmethod
    def from_item(cls, item: Item) -> RangeCheckpoint:
        """Read back (wire format)."""
        part, total, offset, entries, blocks = (
            int(item[name]["N"]) for name in (PART, TOTAL, OFFSET, ENTRIES, BLOCKS)
        )
        return cls(part, total, offset, entries, blocks, bool(item[DONE]["BOOL"]))


@dataclass(frozen=True)
class SharedLoadResult:
    """What this worker loaded, and the whole load's standing after it."""

    entries: int
    ranges: int
    taken_over: int
    total_entries: int
    total_ranges: int


class SharedLoad:
    """Worker `share` of the load of `path` into `namespace`: run the same command on every worker; each
    returns once every range is loaded, having taken over any range a dead worker left."""

    def __init__(
        self,
        store: KvTable,
        path: Path,
        namespace: str,
        share: WorkerShare,
        *,
        ttl: int | None = None,
        writers: int = 4,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        clock: Callable[[], float] = time.time,
        name: str = "input",
    ) -> None:
        self.store, self.path, self.namespace, self.share = store, path, namespace, share
        self.ttl, self.writers, self.name = ttl, writers, name
        self.size = path.stat().st_size
        self.total = range_count(self.size, share.total)
        self.partition = load_partition_key(namespace, path, self.size)
        self.requests = TableRequests(store.transport, store.table_name, store.gsi_name)
        self.leases = LeaseTable(self.requests, self.partition, share, seconds=lease_seconds, clock=clock)
        self.poll_seconds = min(lease_seconds / 4, 1.0)  # a Query or two a second while others finish

    def checkpoints(self) -> dict[int, RangeCheckpoint]:
        """Every range's checkpoint (strongly consistent), a fresh one for a range never started."""
        request: dict[str, Any] = {
            "TableName": self.requests.table_name,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :range)",
            "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY, "#sk": kd.SORT_KEY},
            "ExpressionAttributeValues": {":pk": {"S": self.partition}, ":range": {"S": RANGE_PREFIX}},
            "ConsistentRead": True,
        }
        found = {part: RangeCheckpoint(part, self.total) for part in range(self.total)}
        while True:
            response = self.requests.send("read load checkpoints", "Query", request)
            for item in response.get("Items", []):
                checkpoint = RangeCheckpoint.from_item(item)
                if checkpoint.total == self.total:
                    found[checkpoint.part] = checkpoint
            if not response.get("LastEvaluatedKey"):
                return found
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def run(self) -> SharedLoadResult:
        """Claim and load ranges until every range of the file is loaded."""
        entries = ranges = taken_over = 0
        with LeaseKeeper(self.leases) as keeper:
            while True:
                checkpoints = self.checkpoints()
                done = {part for part, checkpoint in checkpoints.items() if checkpoint.done}
                if len(done) == self.total:
                    break
                lease = claim_next(self.leases, keeper, self.total, done)
                if lease is None:
                    time.sleep(self.poll_seconds)  # the rest are held: wait for them to finish or end
                    continue
                taken_over += lease.claims > 1
                before = self.checkpoints()[lease.part]  # read after the claim: where the last holder stopped
                after = self._range(before, functools.partial(keeper.held, lease.part))
                entries, ranges = entries + after.entries - before.entries, ranges + after.done
                keeper.release(lease.part, done=after.done)
        total = sum(checkpoint.entries for checkpoint in checkpoints.values())
        return SharedLoadResult(entries, ranges, taken_over, total, self.total)

    def _range(self, checkpoint: RangeCheckpoint, held: Callable[[], bool]) -> RangeCheckpoint:
        """Load a range block by block from its checkpoint while `held()`; where it stands then."""
        start, end = range_bounds(self.size, self.total, checkpoint.part)
        with self.path.open("rb") as file:
            offset = checkpoint.offset if checkpoint.offset >= 0 else first_line_start(file, start)
            while not checkpoint.done and held():
                block, following = read_block(file, offset, end)
                written = self._load_block(block, offset) if block else 0
                new = replace(
                    checkpoint,
                    offset=following,
                    entries=checkpoint.entries + written,
                    blocks=checkpoint.blocks + 1,
                    done=following >= end or not block,
                )
                if not self._save(new, checkpoint):
                    return checkpoint  # another took it over: it goes on from the checkpoint
                checkpoint, offset = new, following
        return checkpoint

    def _load_block(self, block: bytes, offset: int) -> int:
        """Put a block's entries; a bad line is named by its number in the whole file."""
        positions = EntryLines(BLOCK_LINES + 1)
        entries = jsonl_entries(io.BytesIO(block), name=self.name, positions=positions)
        try:
            return self.store.load_keys(self.namespace, entries, self.ttl, workers=self.writers)
        except InvalidEntryError as error:
            raise self._bad_line(error, positions, offset) from error

    def _bad_line(self, error: InvalidEntryError, positions: EntryLines, offset: int) -> InvalidEntryError:
        before = lines_before(self.path, offset)
        again = "the ranges loaded stay loaded; fix it and run the same command again"
        if positions.failure is not None:
            where = re.escape(self.name) + r" line (\d+)"
            text = re.sub(
                where, lambda m: f"{self.name} line {before + int(m[1])}", str(positions.failure), count=1
            )
            return InvalidEntryError(f"{text}; {again}", 0)
        line = positions.line(error.entry) if error.entry is not None else None
        where = f"{self.name} line {before + line}" if line is not None else self.name
        return InvalidEntryError(f"{where}: {error.__cause__ or error}; {again}", 0)

    def _save(self, checkpoint: RangeCheckpoint, previous: RangeCheckpoint) -> bool:
        """Write `checkpoint` over `previous` (compare-and-set on its blocks); False if another moved it on."""
        request: dict[str, Any] = {
            "TableName": self.requests.table_name,
            "Item": checkpoint.item(self.partition),
            "ExpressionAttributeNames": {"#b": BLOCKS},
        }
        if previous.blocks:
            request["ConditionExpression"] = "#b = :b"
            request["ExpressionAttributeValues"] = {":b": {"N": str(previous.blocks)}}
        else:
            request["ConditionExpression"] = "attribute_not_exists(#b)"
        try:
            self.requests.send("save load checkpoint", "PutItem", request, on_condition_failed=Refused())
        except Refused:
            return False
        return True
