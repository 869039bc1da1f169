"""What a migration will change and cost, before it runs: counted by a scan of only what it decides on,
or estimated from DescribeTable's ItemCount and TableSizeBytes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from kvtable.contract.requests import Item, TableRequests
from kvtable.migrate.checkpoints import consumed_units
from kvtable.migrate.expressions import scan_request
from kvtable.migrate.migration import Migration
from kvtable.values import deserialize_item

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
class Plan:
    """A migration's items to change and their cost: `counted` by a scan, or estimated (upper bounds)."""

    migration: Migration
    counted: bool
    scanned: int
    to_change: int
    read_units: float  # counted: what the plan's scan consumed; estimated: what a full scan costs
    write_units: float  # the changes, on the table and every index they rewrite
    checkpoint_writes: int

    def seconds_at(self, max_write_units: float) -> float:
        """How long the run's writes take at that budget (its lower bound)."""
        return (self.write_units + self.checkpoint_writes) / max_write_units


def checkpoint_writes(scanned: int, segments: int, page_size: int) -> int:
    """One checkpoint a page of each segment (at least one a segment)."""
    return segments * max(1, math.ceil(scanned / segments / page_size))


def count(
    requests: TableRequests, migration: Migration, figures: TableFigures, segments: int, page_size: int
) -> Plan:
    """Scan the table with the run's projection (plus the indexes' keys, to price their writes) and count
    the items `migration` would change; memory holds one page."""
    index_keys = [key for index in figures.indexes for key in index.keys]
    request = scan_request(requests.table_name, migration, also=index_keys)
    scanned = to_change = 0
    read_units = write_units = 0.0
    while True:
        response = requests.send(f"count for migration {migration.id}", "Scan", request)
        read_units += consumed_units(response)
        scanned += int(response.get("ScannedCount", 0))
        for raw in cast(list[Item], response.get("Items", [])):
            item = deserialize_item(raw)
            change = migration.change(item)
            if change is not None:
                to_change += 1
                rewrites = sum(index.rewritten(item, change) for index in figures.indexes)
                write_units += figures.units_per_item_write * (1 + rewrites)
        last = response.get("LastEvaluatedKey")
        if not last:
            break
        request["ExclusiveStartKey"] = last
    return Plan(
        migration,
        True,
        scanned,
        to_change,
        read_units,
        write_units,
        checkpoint_writes(scanned, segments, page_size),
    )


def estimate(migration: Migration, figures: TableFigures, segments: int, page_size: int) -> Plan:
    """Upper bounds from DescribeTable alone: every item counted as needing the change, on every index."""
    items = figures.item_count
    write_units = float(items * figures.units_per_item_write * (1 + len(figures.indexes)))
    return Plan(
        migration,
        False,
        items,
        items,
        figures.scan_read_units,
        write_units,
        checkpoint_writes(items, segments, page_size),
    )
