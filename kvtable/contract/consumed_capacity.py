"""Record DynamoDB's consumed capacity for every request (ReturnConsumedCapacity=INDEXES) of a store or of
a boto3 client.

It hooks the store's transport or the client's botocore events, so the data layer itself stays unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

from kvtable.schema.limits import CAPACITY_OPERATIONS

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from kvtable.contract.async_store import AsyncKvTable
    from kvtable.contract.store import KvTable


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
    """Collects a CapacityRecord per request of the store or client it is attached to."""

    records: list[CapacityRecord] = field(default_factory=list)

    def attach(self, target: KvTable | AsyncKvTable | DynamoDBClient) -> CapacityRecorder:
        """Ask for capacity on every request of `target` (a KvTable's or AsyncKvTable's transport, or a boto3
        client) and record the answers."""
        transport = getattr(target, "transport", None)
        if transport is not None:
            # Either front's transport calls these hooks around each request.
            transport.before_call.append(self._ask_for_capacity_in)
            transport.after_call.append(self._record_answer)
            return self
        target = cast("DynamoDBClient", target)
        events = target.meta.events
        events.register("before-parameter-build.dynamodb.*", self._ask_for_capacity)
        events.register("after-call.dynamodb.*", self._record)
        return self

    def _ask_for_capacity_in(self, operation: str, request: dict[str, Any]) -> None:
        if operation in CAPACITY_OPERATIONS:
            request.setdefault("ReturnConsumedCapacity", "INDEXES")

    def _ask_for_capacity(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        if "ReturnConsumedCapacity" in model.input_shape.members:
            params.setdefault("ReturnConsumedCapacity", "INDEXES")

    def _record(self, parsed: dict[str, Any], model: Any, **_: Any) -> None:
        self._record_answer(model.name, parsed)

    def _record_answer(self, operation: str, answer: dict[str, Any]) -> None:
        """Record the ConsumedCapacity of `operation`'s answer, if it has one."""
        consumed = answer.get("ConsumedCapacity")
        if consumed is None:
            return
        entries = consumed if isinstance(consumed, list) else [consumed]
        table = 0.0
        indexes: dict[str, float] = {}
        for entry in entries:
            table += float(entry.get("Table", {}).get("CapacityUnits", entry.get("CapacityUnits", 0.0)))
            for name, units in entry.get("GlobalSecondaryIndexes", {}).items():
                indexes[name] = indexes.get(name, 0.0) + float(units.get("CapacityUnits", 0.0))
        self.records.append(CapacityRecord(operation, table, indexes))

    @property
    def last(self) -> CapacityRecord:
        """The most recent request's record."""
        return self.records[-1]

    def clear(self) -> None:
        """Forget what was recorded."""
        self.records.clear()
