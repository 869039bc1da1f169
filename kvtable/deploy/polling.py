"""Polling something until nothing about it is pending, with progress and a deadline."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from kvtable.console.errors import ToolError
from kvtable.console.progress import ProgressLine, elapsed_text

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

# How long a table's indexes or replicas may take to settle (a backfill can take hours).
TABLE_WAIT_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Poller:
    """How a wait polls: where progress goes, how often, and the sleep and clock (a test's fakes)."""

    out: TextIO
    poll_seconds: float
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def until_settled(
        self, look: Callable[[], list[str]], label: str, limit_seconds: float, timeout_message: str
    ) -> float:
        """Call `look` each poll until it returns no pending phrase; return the seconds that took. Past
        `limit_seconds` it raises ToolError(timeout_message); `look` raises to stop sooner."""
        start = self.clock()
        progress = ProgressLine(self.out)
        while True:
            pending = look()
            elapsed = self.clock() - start
            if not pending:
                return elapsed
            progress.waiting(label, "; ".join(pending), elapsed)
            if elapsed > limit_seconds:
                raise ToolError(timeout_message)
            self.sleep(self.poll_seconds)


@dataclass
class TableWaiter:
    """Polls DescribeTable until a part of the table (its indexes, its replicas) matches what is wanted;
    a subclass says what is pending and how the wait is worded. `label` prefixes each progress line."""

    dynamodb: DynamoDBClient
    out: TextIO
    poll_seconds: float = 15.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic

    def wait(self, table_name: str, expected: Iterable[str], label: str) -> None:
        """Return once the table matches `expected`; raise past TABLE_WAIT_SECONDS or when it never can."""
        wanted = set(expected)
        poller = Poller(self.out, self.poll_seconds, self.sleep, self.clock)
        elapsed = poller.until_settled(
            lambda: self.pending(self.describe(table_name), table_name, wanted, label),
            label,
            TABLE_WAIT_SECONDS,
            self.timeout_message(table_name, label),
        )
        self.out.write(f"  {label}: {self.settled_phrase(wanted)} after {elapsed_text(elapsed)}\n")

    def describe(self, table_name: str) -> dict[str, Any]:
        """One DescribeTable: the table's description."""
        return dict(self.dynamodb.describe_table(TableName=table_name)["Table"])

    def pending(self, table: dict[str, Any], table_name: str, wanted: set[str], label: str) -> list[str]:
        """What keeps `table` from `wanted`, one phrase each; [] when settled. Raises if it never can."""
        raise NotImplementedError

    def timeout_message(self, table_name: str, label: str) -> str:
        """The error when the wait outlasts TABLE_WAIT_SECONDS."""
        raise NotImplementedError

    def settled_phrase(self, wanted: set[str]) -> str:
        """What holds once the wait is over."""
        raise NotImplementedError
