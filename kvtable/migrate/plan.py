"""What a migration will change and cost, before it runs: counted by a scan of only what it decides on,
or estimated from DescribeTable's ItemCount and TableSizeBytes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from kvtable.contract.requests import Item, TableRequests
from kvtable.migrate.checkpoints import Checkpoint, consumed_units
from kvtable.migrate.expressions import scan_request
from kvtable.schema.migration import Migration
from kvtable.schema.values import deserialize_item, item_size

WRITE_UNIT_BYTES = 1024
READ_UNIT_BYTES = 4096
EVENTUAL_READ = 0.5  # an eventually consistent read costs half a unit per 4 KB


@dataclass(frozen=True)
class Index:
    """A global secondary index: its key attributes and what it projects."""

    name: str
    keys: tuple[str, ...]
    projection: str  # ALL, KEYS_ONLY or INCLUDE
    included: frozenset[str]

    def rewritten(self, item: Mapping[str, Any], change: Mapping[str, Any]) -> bool:
        """Whether setting `change` on `item` writes this index too: the item is (or comes) on it and the
        index holds a changed attribute."""
        on_index = all(key in item or key in change for key in self.keys)
        holds = self.projection == "ALL" or any(name in self.included or name in self.keys for name in change)
        return on_index and holds


@dataclass(frozen=True)
class TableFigures:
    """DescribeTable's figures (AWS refreshes ItemCount and TableSizeBytes about every six hours)."""

    item_count: int
    size_bytes: int
    indexes: tuple[Index, ...]

    @property
    def units_per_item_write(self) -> int:
        """Write units one item of the average size costs (a write unit is 1 KB)."""
        average = self.size_bytes / self.item_count if self.item_count else 0
        return max(1, math.ceil(average / WRITE_UNIT_BYTES))

    @property
    def scan_read_units(self) -> float:
        """What an eventually consistent scan of the whole table costs."""
        return EVENTUAL_READ * math.ceil(self.size_bytes / READ_UNIT_BYTES)


def describe(requests: TableRequests) -> TableFigures:
    """The table's item count, size and indexes (DescribeTable)."""
    table = requests.send("describe table", "DescribeTable", {"TableName": requests.table_name})["Table"]
    indexes = tuple(
        Index(
            name=index["IndexName"],
            keys=tuple(key["AttributeName"] for key in index["KeySchema"]),
            projection=index.get("Projection", {}).get("ProjectionType", "ALL"),
            included=frozenset(index.get("Projection", {}).get("NonKeyAttributes", [])),
        )
        for index in table.get("GlobalSecondaryIndexes", [])
    )
    return TableFigures(int(table.get("ItemCount", 0)), int(table.get("TableSizeBytes", 0)), indexes)


@dataclass(frozen=True)
class MigrationPlan:
    """A migration's items to change and their cost: `counted` by a scan, or estimated (upper bounds).

    Its write units are counted the way a run reports them: `write_units` for the changes plus
    `checkpoint_units` for its `checkpoint_writes` (one a page of each segment), `total_write_units` in all."""

    migration: Migration
    counted: bool
    scanned: int
    to_change: int
    read_units: float  # counted: what the plan's scan consumed (the run's own pages); estimated: a full scan
    write_units: float  # the changes, on the table and every index they rewrite
    checkpoint_writes: int
    checkpoint_units: float

    @property
    def total_write_units(self) -> float:
        """The changes' and the checkpoints' write units: what the run reports as its write units."""
        return self.write_units + self.checkpoint_units

    def seconds_at(self, max_write_units: float) -> float:
        """How long the run's writes take at that budget (its lower bound)."""
        return self.total_write_units / max_write_units


def checkpoint_writes(scanned: int, segments: int, page_size: int) -> int:
    """One checkpoint a page of each segment (at least one a segment), for segments of even size."""
    return segments * max(1, math.ceil(scanned / segments / page_size))


# The run's id and timestamp in a checkpoint are always this long (16 hex digits, ISO 8601 with milliseconds).
_RUN_ID, _TIMESTAMP = "0" * 16, "2026-01-01T00:00:00.000Z"


def checkpoint_write_units(previous: Checkpoint, following: Checkpoint) -> int:
    """What saving `following` over `previous` costs: a PutItem is charged the larger of the item it replaces
    and the new one, a unit a KB begun (a checkpoint whose `lastKey` holds long keys can pass 1 KB)."""
    new = item_size(following.item(_TIMESTAMP, _RUN_ID))
    old = item_size(previous.item(_TIMESTAMP, _RUN_ID)) if previous.pages else 0
    return max(1, math.ceil(max(new, old) / WRITE_UNIT_BYTES))


def count(
    requests: TableRequests, migration: Migration, figures: TableFigures, segments: int, page_size: int
) -> MigrationPlan:
    """Scan the table page by page as the run will (the same segments and page size, with the run's
    projection plus the indexes' keys, to price their writes) and count the items `migration` would
    change, the run's checkpoints and what each costs; memory holds one page."""
    index_keys = [key for index in figures.indexes for key in index.keys]
    base = scan_request(requests.table_name, migration, also=index_keys)
    scanned = to_change = pages = 0
    read_units = write_units = checkpoint_units = 0.0
    for segment in range(segments):
        request = {**base, "Segment": segment, "TotalSegments": segments, "Limit": page_size}
        checkpoint = Checkpoint(migration.id, segment, segments)
        while not checkpoint.done:
            response = requests.send(f"count for migration {migration.id}", "Scan", request)
            read_units += consumed_units(response)
            changes = 0
            for raw in cast(list[Item], response.get("Items", [])):
                item = deserialize_item(raw)
                change = migration.change(item)
                if change is not None:
                    changes += 1
                    rewrites = sum(index.rewritten(item, change) for index in figures.indexes)
                    write_units += figures.units_per_item_write * (1 + rewrites)
            last = cast(Item | None, response.get("LastEvaluatedKey"))
            page_scanned = int(response.get("ScannedCount", 0))
            following = checkpoint.after_page(
                last, changed=changes, skipped=0, matched=int(response.get("Count", 0)), scanned=page_scanned
            )
            checkpoint_units += checkpoint_write_units(checkpoint, following)
            scanned, to_change, pages = scanned + page_scanned, to_change + changes, pages + 1
            checkpoint = following
            if last is not None:
                request["ExclusiveStartKey"] = last
    return MigrationPlan(
        migration, True, scanned, to_change, read_units, write_units, pages, checkpoint_units
    )


def estimate(migration: Migration, figures: TableFigures, segments: int, page_size: int) -> MigrationPlan:
    """Upper bounds from DescribeTable alone: every item counted as needing the change, on every index."""
    items = figures.item_count
    write_units = float(items * figures.units_per_item_write * (1 + len(figures.indexes)))
    checkpoints = checkpoint_writes(items, segments, page_size)
    # A unit each: a checkpoint is about 250 bytes, unless its keys are long (a counted plan sizes each).
    return MigrationPlan(
        migration, False, items, items, figures.scan_read_units, write_units, checkpoints, float(checkpoints)
    )
