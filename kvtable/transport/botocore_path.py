"""botocore's own request path, behind the transport interface: every setting and hook of the client."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore import xform_name

from kvtable.transport.base import AfterCall, BeforeCall, check_crc32

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CRC32_HANDLER_ID = "kvtable-dynamodb-crc32"


class BotocoreTransport:
    """Each call goes through the boto3 client's method: its validation, event hooks, retries and parser."""

    def __init__(self, client: DynamoDBClient) -> None:
        self.client = client
        self.region = str(client.meta.region_name)
        self.before_call: list[BeforeCall] = []
        self.after_call: list[AfterCall] = []
        self._methods: dict[str, Any] = {}
        # botocore checks DynamoDB's CRC32 only in its legacy retry mode: a damaged answer would otherwise
        # be parsed as if whole. Registered once per client, whichever stores share it.
        client.meta.events.register("after-call.dynamodb", _check_answer_crc32, unique_id=CRC32_HANDLER_ID)

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Send `operation` through the client's method of that name."""
        method = self._methods.get(operation)
        if method is None:
            method = self._methods[operation] = getattr(self.client, xform_name(operation))
        for before in self.before_call:
            before(operation, request)
        response: dict[str, Any] = method(**request)
        for after in self.after_call:
            after(operation, response)
        return response


def _check_answer_crc32(http_response: Any, **_: Any) -> None:
    expected = http_response.headers.get("x-amz-crc32")
    # The body is read only when there is a checksum: a Stubber's answer has none, and no body to read.
    if expected is not None:
        check_crc32(http_response.content, expected)
