"""What a transport is: one DynamoDB operation in, its answer out, failures in the contract's own shapes."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any, Protocol

from kvtable.schema.errors import DamagedAnswerError

# Called before a request is sent (it may add to the request) and after its answer is parsed.
BeforeCall = Callable[[str, dict[str, Any]], None]
AfterCall = Callable[[str, dict[str, Any]], None]

# How a damaged answer is worded, on either transport.
CRC32_MISMATCH = "its CRC32 does not match x-amz-crc32"
NOT_JSON = "it is not DynamoDB's JSON"


class Transport(Protocol):
    """Sends one DynamoDB operation (`GetItem`, ...) with its request in DynamoDB's JSON shape and returns
    the answer in that shape. Failures are kvtable.schema.errors' transport shapes, whichever transport sent the
    request: ServiceError (AWS's code, message, modeled fields, HTTP status, request id),
    ConnectionFailedError (before or after the request was sent; TlsFailedError, RequestTimeoutError),
    DamagedAnswerError and InvalidRequestError, so the contract maps them in one place."""

    region: str
    before_call: list[BeforeCall]
    after_call: list[AfterCall]

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Send `operation` once (no retries of its own) and return DynamoDB's answer."""
        ...


class AsyncTransport(Protocol):
    """The async twin of Transport: same requests, answers and error shapes."""

    region: str
    before_call: list[BeforeCall]
    after_call: list[AfterCall]

    async def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


def crc32_matches(body: bytes, expected: str | None) -> bool:
    """Whether DynamoDB's `x-amz-crc32` (when sent) matches the body received."""
    return expected is None or str(zlib.crc32(body) & 0xFFFFFFFF) == expected


def check_crc32(body: bytes, expected: str | None) -> None:
    """Raise DamagedAnswerError when DynamoDB's `x-amz-crc32` (when sent) does not match the body received.

    A damaged answer: the request may have been applied, so the contract retries it as one that may be."""
    if not crc32_matches(body, expected):
        raise DamagedAnswerError(CRC32_MISMATCH)
