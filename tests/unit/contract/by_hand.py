"""Driving the contract's sans-I/O operations by hand (kvtable/contract/instructions.py): each `Call` is
answered from a list of canned answers in DynamoDB's documented JSON shapes, or with a transport failure
thrown in; each `Sleep` is noted and passes at once. What a unit test sees is the core's own protocol:
the requests it builds, and what it makes of the answers. No transport, no engine."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from kvtable.contract.instructions import Call, Operation, Sleep, one_at_a_time
from kvtable.contract.requests import TableRequests
from kvtable.schema.errors import ServiceError

TABLE = "kv-test"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
NOW_SECONDS = int(NOW.timestamp())
Answer = dict[str, Any] | BaseException


class Place:
    """What the core reads of a transport: its region and endpoint, for the errors it words."""

    def __init__(
        self, region: str = "us-east-1", endpoint_url: str = "https://dynamodb.us-east-1.amazonaws.com"
    ) -> None:
        self.region, self.endpoint_url = region, endpoint_url
        self.before_call: list[Callable[[str, dict[str, Any]], None]] = []
        self.after_call: list[Callable[[str, dict[str, Any]], None]] = []


def table_requests(*, home_region: str | None = None, retry_attempts: int = 8) -> TableRequests:
    """The core over TABLE and GSI1, its clock stopped at NOW."""
    place: Any = Place()  # all the core reads of a transport
    return TableRequests(
        place, TABLE, "GSI1", clock=lambda: NOW, home_region=home_region, retry_attempts=retry_attempts
    )


def service_error(code: str, status: int = 400, **fields: Any) -> ServiceError:
    """DynamoDB's error answer, as either transport raises it."""
    return ServiceError(code, "canned", fields=fields, status=status)


@dataclass
class Driven:
    """What one operation did: the calls it asked for (in order), the sleeps, and its result."""

    calls: list[Call] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)
    result: Any = None

    def operations(self) -> list[str]:
        """The DynamoDB operations asked for, in order."""
        return [call.operation for call in self.calls]


def drive(operation: Operation[Any], *answers: Answer) -> Driven:
    """Run `operation` with `answers`, one per Call in order; its result in `Driven.result`, or its error
    raised. Every answer must be used: an answer left over is a test's mistake."""
    driven = Driven()
    pending = list(answers)
    driven.result = _drive(operation, pending, driven)
    assert not pending, f"answers left unused: {pending}"
    return driven


def _drive(operation: Operation[Any], pending: list[Answer], driven: Driven) -> Any:
    try:
        instruction = operation.send(None)
        while True:
            if isinstance(instruction, Call):
                driven.calls.append(instruction)
                assert pending, f"no answer left for {instruction.operation}"
                answer = pending.pop(0)
                if isinstance(answer, BaseException):
                    instruction = operation.throw(answer)
                else:
                    instruction = operation.send(answer)
            elif isinstance(instruction, Sleep):
                driven.sleeps.append(instruction.seconds)
                instruction = operation.send(None)
            else:
                finished = one_at_a_time(instruction, lambda each: _drive(each, pending, driven))
                instruction = operation.send(finished)
    except StopIteration as stop:
        return stop.value
