"""Waiting for a table's indexes to settle after a stack update.

CloudFormation reports a GSI update complete while queries on a new index still fail with
"Cannot read from backfilling global secondary index" (cloudformation-coverage-roadmap#1075),
and a backfill can take hours. This waits until the table holds exactly the expected
indexes, each ACTIVE and no longer backfilling, printing progress as it goes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kvtable.console.errors import ToolError
from kvtable.console.progress import elapsed_text
from kvtable.deploy.polling import TABLE_WAIT_SECONDS, TableWaiter

FAILED_TABLE_STATUSES = frozenset(
    {"DELETING", "INACCESSIBLE_ENCRYPTION_CREDENTIALS", "ARCHIVING", "ARCHIVED"}
)


def index_states(table: dict[str, Any], expected: Iterable[str]) -> list[str]:
    """What still keeps the table's indexes from the expected set, one phrase per index; [] when settled."""
    live = {g["IndexName"]: g for g in table.get("GlobalSecondaryIndexes", [])}
    pending = []
    for name in sorted(set(expected) | set(live)):
        index = live.get(name)
        if index is None:
            pending.append(f"{name} not there yet")
        elif name not in expected:
            pending.append(f"{name} {index.get('IndexStatus', '?')} (being deleted)")
        elif index.get("IndexStatus") != "ACTIVE" or index.get("Backfilling"):
            backfill = ", backfilling" if index.get("Backfilling") else ""
            pending.append(f"{name} {index.get('IndexStatus', '?')}{backfill}")
    return pending


@dataclass
class IndexWaiter(TableWaiter):
    """Polls DescribeTable until the table holds exactly the expected indexes, all ACTIVE and not backfilling."""

    seen_creating: set[str] = field(default_factory=set)

    def pending(self, table: dict[str, Any], table_name: str, wanted: set[str], label: str) -> list[str]:
        """What keeps the table's indexes from `wanted`; raises if they never can be."""
        status = table.get("TableStatus", "?")
        if status in FAILED_TABLE_STATUSES:
            raise ToolError(f"{label}: table {table_name} is {status} while its indexes change")
        live = {g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])}
        vanished = sorted((self.seen_creating & wanted) - live)
        if vanished:
            raise ToolError(
                f"{label}: index {', '.join(vanished)} disappeared while being created (its backfill "
                f"failed); see the table and the stack's events, then deploy again"
            )
        self.seen_creating |= live & wanted
        return index_states(table, wanted)

    def timeout_message(self, table_name: str, label: str) -> str:
        """The indexes did not settle in time."""
        return (
            f"{label}: indexes of {table_name} did not settle in {elapsed_text(TABLE_WAIT_SECONDS)}; "
            "run the same deploy again to keep waiting"
        )

    def settled_phrase(self, wanted: set[str]) -> str:
        """The indexes the table now holds."""
        return f"indexes settled ({', '.join(sorted(wanted)) or 'none'})"
