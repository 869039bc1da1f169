"""Waiting for a global table's replicas to match a set of regions after a stack update."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kvtable.console.errors import ToolError
from kvtable.deploy.polling import TableWaiter

FAILED_REPLICA_STATUSES = frozenset(
    {"CREATION_FAILED", "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "REGION_DISABLED"}
)


@dataclass
class ReplicaWaiter(TableWaiter):
    """Polls DescribeTable until the table has a replica, ACTIVE, in exactly the expected regions."""

    def pending(self, table: dict[str, Any], table_name: str, wanted: set[str], label: str) -> list[str]:
        """Which regions differ from `wanted`; raises on a failed replica."""
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

    def timeout_message(self, table_name: str, label: str) -> str:
        """The replicas did not settle in time."""
        return f"{label}: replicas did not settle; run the same command again to keep waiting"

    def settled_phrase(self, wanted: set[str]) -> str:
        """The regions the table now has a replica in."""
        return f"replicas ACTIVE in {', '.join(sorted(wanted))}"
