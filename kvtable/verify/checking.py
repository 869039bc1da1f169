"""What every group of verify's checks shares: reads that report why they could not be made, and
recording each check's expected and live value."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from botocore.parsers import ResponseParserError

from kvtable.aws.errors import error_code, error_message
from kvtable.verify.report import Check, Status

T = TypeVar("T")
# Answers that mean "this endpoint has no such API", as opposed to "you may not".
_MISSING_API_CODES = {"NotImplemented", "InvalidAction", "UnknownOperationException", "501", "500"}


@dataclass(frozen=True)
class Unavailable:
    """A read that could not be made, and why; `missing_api` when the endpoint has no such API at all."""

    reason: str
    missing_api: bool = False


def read(api: str, call: Callable[[], T]) -> T | Unavailable:
    """The call's answer, or Unavailable naming the API and why it failed."""
    try:
        return call()
    except ClientError as error:
        code = error_code(error)
        if code in {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}:
            return Unavailable(f"{api} was denied: {error_message(error)}")
        if code in _MISSING_API_CODES:
            return Unavailable(f"this endpoint has no {api}", missing_api=True)
        return Unavailable(f"{api} failed: {code}: {error_message(error)}")
    except ResponseParserError:
        return Unavailable(f"this endpoint has no {api} (it did not answer like AWS)", missing_api=True)
    except BotoCoreError as error:
        return Unavailable(f"{api} failed: {error}")


def _show(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


class Recording:
    """Recording checks into `checks`, shared by the verify front and each group of checks."""

    checks: list[Check]
    out: TextIO | None

    def record(self, name: str, expected: Any, actual: Any, holds: bool) -> None:
        """Record a check that was made."""
        self.checks.append(Check(name, _show(expected), _show(actual), "ok" if holds else "drift"))

    def unchecked(self, name: str, expected: Any, why: Unavailable, status: Status = "unchecked") -> None:
        """Record a check that could not be made."""
        self.checks.append(Check(name, _show(expected), f"not checked: {why.reason}", status))

    def compare(self, name: str, expected: Any, source: T | Unavailable, actual: Callable[[T], Any]) -> None:
        """Record `name`: the live value read from `source` must equal `expected`."""
        if isinstance(source, Unavailable):
            self.unchecked(name, expected, source)
            return
        live = actual(source)
        self.record(name, expected, live, live == expected)

    def say(self, line: str) -> None:
        """A progress line, when verify was given somewhere to write them."""
        if self.out is not None:
            self.out.write(line + "\n")
            self.out.flush()
