"""What a transport is: one DynamoDB operation in, its answer out, AWS's errors as botocore raises them."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Any, Protocol

from botocore.exceptions import ChecksumError

# Called before a request is sent (it may add to the request) and after its answer is parsed.
BeforeCall = Callable[[str, dict[str, Any]], None]
AfterCall = Callable[[str, dict[str, Any]], None]


class Transport(Protocol):
    """Sends one DynamoDB operation (`GetItem`, ...) with its request in DynamoDB's JSON shape and returns
    the answer in that shape. Failures are botocore's exceptions (ClientError with AWS's error code,
    message and modeled fields; EndpointConnectionError, ConnectionClosedError, ReadTimeoutError, ...),
    so the contract maps them in one place whichever transport sent the request."""

    region: str
    before_call: list[BeforeCall]
    after_call: list[AfterCall]

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Send `operation` once (no retries of its own) and return DynamoDB's answer."""
        ...


def check_crc32(body: bytes, expected: str | None) -> None:
    """Raise ChecksumError when DynamoDB's `x-amz-crc32` (when sent) does not match the body received.

    A damaged answer: the request may have been applied, so the contract retries it as one that may be."""
    if expected is None:
        return
    actual = zlib.crc32(body) & 0xFFFFFFFF
    if str(actual) != expected:
        raise ChecksumError(checksum_type="crc32", expected_checksum=expected, actual_checksum=str(actual))
