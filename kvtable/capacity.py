"""Record DynamoDB's consumed capacity for every request a client makes (ReturnConsumedCapacity=INDEXES).

It hooks botocore's events, so the data layer itself stays unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass(frozen=True)
class CapacityRecord:
    """Capacity units one request consumed, on the table and on each index."""

    operation: str
    table: float
    indexes: dict[str, float]

    @property
    def total(self) -> float:
        """Table plus every index."""
        return self.table + sum(self.indexes.values())


@dataclass
class CapacityRecorder:
    """Collects a CapacityRecord per request of the client it is attached to."""

    records: list[CapacityRecord] = field(default_factory=list)

    def attach(self, client: DynamoDBClient) -> CapacityRecorder:
        """Ask for capacity on every request of `client` and record the answers."""
        events = client.meta.events
        events.register("before-parameter-build.dynamodb.*", self._ask_for_capacity)
        events.register("after-call.dynamodb.*", self._record)
        return self

    def _ask_for_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "INDEXES")

    def _record(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        consumed = parsed.get("ConsumedCapacity")
        if consumed is None:
            return
        entries = consumed if isinstance(consumed, list) else [consumed]
        table = 0.0
        indexes: dict[str, float] = {}
        for entry in entries:
            table += float(entry.get("Table", {}).get("CapacityUnits", entry.get("CapacityUnits", 0.0)))
            for name, units in entry.get("GlobalSecondaryIndexes", {}).items():
                indexes[name] = indexes.get(name, 0.0) + float(units.get("CapacityUnits", 0.0))
        self.records.append(CapacityRecord(model.name, table, indexes))

    @property
    def last(self) -> CapacityRecord:
        """The most recent request's record."""
        return self.records[-1]

    def clear(self) -> None:
        """Forget what was recorded."""
        self.records.clear()
