"""A migration's checkpoints, kept in the table itself: one item a scan segment,
`PK=MIGRATION#<id>, SK=SEGMENT#<n>/<total>`, holding where the segment's scan stopped and its counts."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from kvtable.contract.error_mapping import Refused, refused_item
from kvtable.contract.requests import Item, TableRequests
from kvtable.schema import key_design as kd
from kvtable.schema.errors import KvTableError
from kvtable.schema.migration import Migration

# The partition of a migration's checkpoints; no item of the key design starts with it (USER#, NS#, APIKEY#).
MIGRATION_PREFIX = "MIGRATION#"
SEGMENT_PREFIX = "SEGMENT#"
MIGRATION_ENTITY = "MIGRATION"
# The checkpoint's own attributes (its key, entityType and updatedAt are the design's).
SEGMENT, TOTAL_SEGMENTS, LAST_KEY = "segment", "totalSegments", "lastKey"
CHANGED, SKIPPED, MATCHED, SCANNED = "changed", "skipped", "matched", "scanned"
PAGES, DONE, RUN_ID = "pages", "done", "runId"


class SegmentMovedOnError(KvTableError):
    """Another run saved the segment's checkpoint since this one read it."""


def migration_partition_key(migration_id: str) -> str:
    """`MIGRATION#<id>`: where a migration's checkpoints are."""
    return MIGRATION_PREFIX + migration_id


@dataclass(frozen=True)
class Checkpoint:
    """Where one scan segment of a migration stands: `last_key` is the ExclusiveStartKey of its next page
    (None before the first page), and the counts are of every page checkpointed so far: `scanned` items
    read, `matched` of them the migration's kind, of which `changed` written, `skipped` found changed
    since read (or done) by their write, and the rest needing nothing."""

    migration_id: str
    segment: int
    total: int
    last_key: Item | None = None
    changed: int = 0
    skipped: int = 0
    matched: int = 0
    scanned: int = 0
    pages: int = 0
    done: bool = False

    @property
    def sort_key(self) -> str:
        """`SEGMENT#<n>/<total>`."""
        return f"{SEGMENT_PREFIX}{self.segment}/{self.total}"

    def after_page(
        self, last_key: Item | None, *, changed: int, skipped: int, matched: int, scanned: int
    ) -> Checkpoint:
        """The checkpoint once a page (its writes done) is behind: done when the scan has no next page."""
        return replace(
            self,
            last_key=last_key,
            changed=self.changed + changed,
            skipped=self.skipped + skipped,
            matched=self.matched + matched,
            scanned=self.scanned + scanned,
            pages=self.pages + 1,
            done=last_key is None,
        )

    def item(self, timestamp: str, run_id: str) -> Item:
        """The checkpoint as a table item, in DynamoDB's wire format, saved by the run `run_id`."""
        item: Item = {
            kd.PARTITION_KEY: {"S": migration_partition_key(self.migration_id)},
            kd.SORT_KEY: {"S": self.sort_key},
            kd.ENTITY_TYPE_ATTRIBUTE: {"S": MIGRATION_ENTITY},
            SEGMENT: {"N": str(self.segment)},
            TOTAL_SEGMENTS: {"N": str(self.total)},
            CHANGED: {"N": str(self.changed)},
            SKIPPED: {"N": str(self.skipped)},
            MATCHED: {"N": str(self.matched)},
            SCANNED: {"N": str(self.scanned)},
            PAGES: {"N": str(self.pages)},
            DONE: {"BOOL": self.done},
            RUN_ID: {"S": run_id},
            kd.UPDATED_AT: {"S": timestamp},
        }
        if self.last_key is not None:
            # The scan's LastEvaluatedKey as it came: a map of the table's key attributes.
            item[LAST_KEY] = {"M": self.last_key}
        return item

    @classmethod
    def from_item(cls, item: Item) -> Checkpoint:
        """A checkpoint item read back (wire format)."""
        last_key = item.get(LAST_KEY)
        return cls(
            migration_id=item[kd.PARTITION_KEY]["S"].removeprefix(MIGRATION_PREFIX),
            segment=int(item[SEGMENT]["N"]),
            total=int(item[TOTAL_SEGMENTS]["N"]),
            last_key=None if last_key is None else last_key["M"],
            changed=int(item[CHANGED]["N"]),
            skipped=int(item[SKIPPED]["N"]),
            matched=int(item[MATCHED]["N"]),
            scanned=int(item[SCANNED]["N"]),
            pages=int(item[PAGES]["N"]),
            done=bool(item[DONE]["BOOL"]),
        )


@dataclass(frozen=True)
class MigrationStatus:
    """What a migration's checkpoints say: segments done of how many, and the counts summed."""

    migration: Migration
    checkpoints: tuple[Checkpoint, ...]

    @property
    def total_segments(self) -> int | None:
        """How many segments its scan was cut into; None before it started."""
        return self.checkpoints[0].total if self.checkpoints else None

    @property
    def segments_done(self) -> int:
        """Segments scanned to the end."""
        return sum(checkpoint.done for checkpoint in self.checkpoints)

    @property
    def complete(self) -> bool:
        """Every segment scanned to the end, every change written."""
        return self.total_segments is not None and self.segments_done == self.total_segments

    @property
    def changed(self) -> int:
        """Items this migration changed."""
        return sum(checkpoint.changed for checkpoint in self.checkpoints)

    @property
    def skipped(self) -> int:
        """Items whose write found them changed since read, or already done."""
        return sum(checkpoint.skipped for checkpoint in self.checkpoints)

    @property
    def matched(self) -> int:
        """Items of the kind it touches that its scan read: changed, skipped, and those needing nothing."""
        return sum(checkpoint.matched for checkpoint in self.checkpoints)

    @property
    def scanned(self) -> int:
        """Items its scan read, of every kind."""
        return sum(checkpoint.scanned for checkpoint in self.checkpoints)


class Checkpoints:
    """Reads and writes the checkpoints of migrations in one table, for one run."""

    def __init__(self, requests: TableRequests) -> None:
        self.requests = requests
        # Names this run in what it saves: a retried save that finds its own checkpoint there is done.
        self.run_id = os.urandom(8).hex()

    def load(self, migration: Migration) -> MigrationStatus:
        """The migration's checkpoints, read strongly consistent (a run resumes from them)."""
        request: dict[str, Any] = {
            "TableName": self.requests.table_name,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :segment)",
            "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY, "#sk": kd.SORT_KEY},
            "ExpressionAttributeValues": {
                ":pk": {"S": migration_partition_key(migration.id)},
                ":segment": {"S": SEGMENT_PREFIX},
            },
            "ConsistentRead": True,
        }
        found: list[Checkpoint] = []
        while True:
            response = self.requests.send("read migration checkpoints", "Query", request)
            found += [Checkpoint.from_item(item) for item in response.get("Items", [])]
            last = response.get("LastEvaluatedKey")
            if not last:
                break
            request["ExclusiveStartKey"] = last
        return MigrationStatus(migration, _one_layout(migration, found))

    def save(self, checkpoint: Checkpoint, previous: Checkpoint) -> float:
        """Write `checkpoint` over `previous` (PutItem); the capacity it consumed. KvTableError when another
        run moved the segment on since `previous`: two runs of one migration must not share a segment."""
        request: dict[str, Any] = {
            "TableName": self.requests.table_name,
            "Item": checkpoint.item(self.requests.now()[0], self.run_id),
            "ReturnConsumedCapacity": "TOTAL",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        if previous.pages:
            request["ConditionExpression"] = "#pages = :pages"
            request["ExpressionAttributeNames"] = {"#pages": PAGES}
            request["ExpressionAttributeValues"] = {":pages": {"N": str(previous.pages)}}
        else:
            request["ConditionExpression"] = "attribute_not_exists(#pk)"
            request["ExpressionAttributeNames"] = {"#pk": kd.PARTITION_KEY}
        try:
            response = self.requests.send(
                "save migration checkpoint", "PutItem", request, on_condition_failed=Refused()
            )
        except Refused as refused:
            stored = refused_item(refused)
            # A retry of this very write, whose first try was applied and its answer lost, finds it there.
            if stored is not None and (stored.get(RUN_ID), stored.get(PAGES)) == (
                self.run_id,
                checkpoint.pages,
            ):
                return 1.0
            raise SegmentMovedOnError(
                f"migration {checkpoint.migration_id}: segment {checkpoint.sort_key} moved on while this run "
                "worked on it: another `kvtable migrate run` is under way; let one run finish"
            ) from None
        return consumed_units(response)


def consumed_units(response: dict[str, Any]) -> float:
    """The capacity units an answer asked with ReturnConsumedCapacity=TOTAL reports."""
    return float(response.get("ConsumedCapacity", {}).get("CapacityUnits", 0.0))


def _one_layout(migration: Migration, found: Iterable[Checkpoint]) -> tuple[Checkpoint, ...]:
    """The checkpoints, by segment; a run never cuts one migration's scan two ways, so two totals are damage."""
    checkpoints = tuple(sorted(found, key=lambda checkpoint: checkpoint.segment))
    totals = {checkpoint.total for checkpoint in checkpoints}
    if len(totals) > 1:
        raise KvTableError(
            f"migration {migration.id} has checkpoints for {sorted(totals)} segments; delete the items "
            f"PK={migration_partition_key(migration.id)} of the wrong count and run it again"
        )
    return checkpoints
