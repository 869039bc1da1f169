"""botocore's own request path, behind the transport interface: every setting and hook of the client, and
the one place where botocore's exceptions become the contract's transport shapes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from botocore import xform_name
from botocore.exceptions import (
    ChecksumError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ParamValidationError,
    ProxyConnectionError,
    ReadTimeoutError,
    SSLError,
)
from botocore.exceptions import (
    ConnectionError as BotocoreConnectionError,
)
from botocore.parsers import ResponseParserError

from kvtable.schema.errors import (
    ConnectionFailedError,
    DamagedAnswerError,
    InvalidRequestError,
    RequestTimeoutError,
    ServiceError,
    TlsFailedError,
    TransportError,
)
from kvtable.transport.base import CRC32_MISMATCH, NOT_JSON, AfterCall, BeforeCall, crc32_matches
from kvtable.transport.http import (
    closed_message,
    connect_message,
    connect_timeout_message,
    proxy_message,
    read_timeout_message,
    tls_message,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CRC32_HANDLER_ID = "kvtable-dynamodb-crc32"
# What botocore raises for one request that the contract knows how to take (anything else, such as
# NoCredentialsError, goes to the caller as botocore raised it, as before).
_TRANSLATED = (
    ClientError,
    BotocoreConnectionError,
    HTTPClientError,
    ChecksumError,
    ResponseParserError,
    ParamValidationError,
)


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
        try:
            response: dict[str, Any] = method(**request)
        except _TRANSLATED as error:
            raise translated(error) from error
        for after in self.after_call:
            after(operation, response)
        return response

    def warm(self) -> None:
        """Nothing to open ahead: botocore opens its connections on the first request."""


def translated(error: Exception) -> TransportError:
    """botocore's exception as the contract's transport shape, worded as the direct transport words it."""
    if isinstance(error, ClientError):
        response: dict[str, Any] = dict(error.response)
        details = response.pop("Error", {})
        metadata = response.pop("ResponseMetadata", {})
        return ServiceError(
            str(details.get("Code", "")),
            str(details.get("Message", "")),
            fields=response,
            status=int(metadata.get("HTTPStatusCode", 0) or 0),
            request_id=str(metadata.get("RequestId", "")),
            retry_attempts=int(metadata.get("RetryAttempts", 0) or 0),
        )
    if isinstance(error, ChecksumError):
        return DamagedAnswerError(CRC32_MISMATCH)
    if isinstance(error, ResponseParserError):
        return DamagedAnswerError(NOT_JSON)
    if isinstance(error, ParamValidationError):
        return InvalidRequestError(str(error))
    url = str(getattr(error, "kwargs", {}).get("endpoint_url", ""))
    # Most specific first: botocore's connection errors subclass one another.
    if isinstance(error, SSLError):
        return TlsFailedError(tls_message(url, error.kwargs.get("error", "")))
    if isinstance(error, ProxyConnectionError):
        return ConnectionFailedError(proxy_message(str(error.kwargs.get("proxy_url", ""))), sent=False)
    if isinstance(error, ConnectTimeoutError):
        return RequestTimeoutError(connect_timeout_message(url), sent=False)
    if isinstance(error, EndpointConnectionError):
        return ConnectionFailedError(connect_message(url), sent=False)
    if isinstance(error, ReadTimeoutError):
        return RequestTimeoutError(read_timeout_message(url), sent=True)
    if isinstance(error, ConnectionClosedError):
        return ConnectionFailedError(closed_message(url), sent=True)
    # Any other HTTP client error: the request may have reached DynamoDB before the answer was lost.
    return ConnectionFailedError(f"{type(error).__name__}: {error}", sent=True)


def _check_answer_crc32(http_response: Any, **_: Any) -> None:
    expected = http_response.headers.get("x-amz-crc32")
    # The body is read only when there is a checksum: a Stubber's answer has none, and no body to read.
    if expected is not None and not crc32_matches(http_response.content, expected):
        raise ChecksumError(checksum_type="crc32", expected_checksum=expected, actual_checksum="")
