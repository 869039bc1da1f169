"""The contract's clock: the time now, and the timestamps items carry."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """The time now, in UTC: the default clock."""
    return datetime.now(UTC)


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a `Z`, as the design's samples."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
