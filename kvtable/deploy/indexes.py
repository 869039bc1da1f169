"""Waiting for a table's indexes to settle after a stack update.

CloudFormation reports a GSI update complete while queries on a new index still fail with
"Cannot read from backfilling global secondary index" (cloudformation-coverage-roadmap#1075),
and a backfill can take hours. This waits until the table holds exactly the expected
indexes, each ACTIVE and no longer backfilling, printing progress as it goes.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from kvtable.console.errors import ToolError
from kvtable.console.progress import elapsed_text
from kvtable.deploy.polling import Poller

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

INDEX_WAIT_SECONDS = 24 * 3600
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
class IndexWaiter:
    """Polls DescribeTable until the indexes settle; `label` prefixes each progress line (e.g. "step 2 of 4")."""

    dynamodb: DynamoDBClient
    out: TextIO
    poll_seconds: float = 15.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    seen_creating: set[str] = field(default_factory=set)

    def wait(self, table_name: str, expected: Iterable[str], label: str) -> None:
        """Return once the table holds exactly `expected`, all ACTIVE and not backfilling."""
        wanted = set(expected)
        poller = Poller(self.out, self.poll_seconds, self.sleep, self.clock)
        elapsed = poller.until_settled(
            lambda: self._pending(table_name, wanted, label),
            label,
            INDEX_WAIT_SECONDS,
            f"{label}: indexes of {table_name} did not settle in {elapsed_text(INDEX_WAIT_SECONDS)}; "
            "run the same deploy again to keep waiting",
        )
        self.out.write(
            f"  {label}: indexes settled ({', '.join(sorted(wanted)) or 'none'}) after {elapsed_text(elapsed)}\n"
        )

    def _pending(self, table_name: str, wanted: set[str], label: str) -> list[str]:
        """One look at the table: what keeps its indexes from `wanted`; raises if they never can be."""
        table: dict[str, Any] = dict(self.dynamodb.describe_table(TableName=table_name)["Table"])
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
