"""Waiting for a global table's replicas to match a set of regions after a stack update."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from kvtable.console.errors import ToolError
from kvtable.console.progress import elapsed_text
from kvtable.deploy.polling import Poller

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REPLICA_WAIT_SECONDS = 24 * 3600
FAILED_REPLICA_STATUSES = frozenset(
    {"CREATION_FAILED", "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "REGION_DISABLED"}
)


@dataclass
class ReplicaWaiter:
    """Polls DescribeTable until the table has a replica, ACTIVE, in exactly the expected regions."""

    dynamodb: DynamoDBClient
    out: TextIO
    poll_seconds: float = 15.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def wait(self, table_name: str, regions: Iterable[str], label: str) -> None:
        """Return once every region in `regions` has an ACTIVE replica and no other region has one."""
        wanted = set(regions)
        poller = Poller(self.out, self.poll_seconds, self.sleep, self.clock)
        elapsed = poller.until_settled(
            lambda: self._pending(table_name, wanted, label),
            label,
            REPLICA_WAIT_SECONDS,
            f"{label}: replicas did not settle; run the same command again to keep waiting",
        )
        self.out.write(
            f"  {label}: replicas ACTIVE in {', '.join(sorted(wanted))} after {elapsed_text(elapsed)}\n"
        )

    def _pending(self, table_name: str, wanted: set[str], label: str) -> list[str]:
        """One look at the table: which regions differ from `wanted`; raises on a failed replica."""
        table: dict[str, Any] = dict(self.dynamodb.describe_table(TableName=table_name)["Table"])
        # A table that is not (yet) global lists no replicas: its own region is its one copy.
        statuses = {r["RegionName"]: r.get("ReplicaStatus", "?") for r in table.get("Replicas", [])}
        failed = {r: s for r, s in statuses.items() if s in FAILED_REPLICA_STATUSES}
        if failed:
            raise ToolError(
                f"{label}: replica " + ", ".join(f"{r} is {s}" for r, s in sorted(failed.items()))
            )
        if not statuses and len(wanted) == 1:
            return []
        pending = [
            f"{r} {statuses.get(r, 'not there yet')}" for r in sorted(wanted) if statuses.get(r) != "ACTIVE"
        ]
        return pending + [f"{r} {s} (being removed)" for r, s in sorted(statuses.items()) if r not in wanted]
