"""The calls the contract makes when it retries (kvtable/contract/requests.py): an event on the
operation's span and a count, once the process uses OpenTelemetry; otherwise nothing."""

from __future__ import annotations

from typing import Any

from kvtable.telemetry.gate import in_use
from kvtable.telemetry.wrappers import recording


def retrying(operation: str, attempt: int, attempts: int, retry: BaseException) -> None:
    """Try `attempt` (from 0, of `attempts`) of `operation` failed in a way worth another (`retry` says
    why); the contract sends it again unless that was its last try."""
    if in_use():
        recording().retrying(operation, attempt, retry, attempt + 1 < attempts)


def unprocessed(operation: str, attempt: int, attempts: int, pending: dict[str, Any]) -> None:
    """DynamoDB left `pending` (RequestItems' shape) of a batch unprocessed, its throttling; asked for again
    unless that was the last try."""
    if in_use():
        left = sum(
            len(entry.get("Keys", ())) if isinstance(entry, dict) else len(entry)
            for entry in pending.values()
        )
        recording().unprocessed(operation, attempt, left, attempt + 1 < attempts)
