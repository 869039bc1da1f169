"""The direct transport: per request only what the wire needs (the JSON body, a SigV4 signature with the
day's key cached, one keep-alive HTTP exchange, DynamoDB's CRC32 checked, the JSON answer), with every
setting botocore resolves once per client (credentials and their refresh, region, endpoint, timeouts,
proxy, CA bundle, pool size) taken from the boto3 client it is given."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

from kvtable import __version__
from kvtable.errors import ClientSettingsError, MissingCredentialsError
from kvtable.transport.base import AfterCall, BeforeCall, check_crc32
from kvtable.transport.http import ConnectionPool, HttpAnswer
from kvtable.transport.signing import JSON_CONTENT_TYPE, DynamoDBSigner

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TARGET_PREFIX = "DynamoDB_20120810."
USER_AGENT = f"kvtable/{__version__} (direct transport)"


class FrozenCredentials(Protocol):
    """One consistent set of keys (botocore's ReadOnlyCredentials)."""

    @property
    def access_key(self) -> str | None: ...
    @property
    def secret_key(self) -> str | None: ...
    @property
    def token(self) -> str | None: ...


class CredentialSource(Protocol):
    """Where keys come from on every request: botocore's Credentials, refreshed by botocore when due."""

    def get_frozen_credentials(self) -> FrozenCredentials:
        """The keys to sign this request with."""
        ...


class DirectTransport:
    """DynamoDB's JSON protocol over a keep-alive connection pool, signed here, parsed here."""

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        credentials: CredentialSource,
        *,
        connect_timeout: float = 60,
        read_timeout: float = 60,
        max_connections: int = 10,
        verify: bool | str = True,
        proxy_url: str | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.before_call: list[BeforeCall] = []
        self.after_call: list[AfterCall] = []
        self.answer_observers: list[Callable[[int, dict[str, str]], None]] = []  # telemetry hook
        self._credentials = credentials
        self._pool = ConnectionPool(
            endpoint_url,
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            max_idle=max_connections,
            verify=verify,
            proxy_url=proxy_url,
        )
        self._signer = DynamoDBSigner(region, self._pool.origin.host_header)
        # Everything in the request's head that is the same for every request of this client.
        self._head_start = (
            f"POST {self._pool.request_target} HTTP/1.1\r\nHost: {self._pool.origin.host_header}\r\n"
            f"User-Agent: {USER_AGENT}\r\nContent-Type: {JSON_CONTENT_TYPE}\r\nX-Amz-Target: "
        )
        self._second = -1
        self._amz_date = ""

    @classmethod
    def from_client(cls, client: DynamoDBClient) -> DirectTransport:
        """A transport with the settings of `client`: its credentials (refreshed as botocore refreshes
        them), region, resolved endpoint, timeouts, proxy, CA bundle and pool size."""
        credentials = getattr(getattr(client, "_request_signer", None), "_credentials", None)
        if credentials is None:
            raise MissingCredentialsError(
                "no AWS credentials found for the DynamoDB client (environment, profile, SSO, container or "
                "instance metadata); configure them, or pass transport='botocore' for an unsigned client"
            )
        config: Any = client.meta.config  # typed without its settings by the stubs
        endpoint_url = _resolved_endpoint(client)
        http_session = getattr(getattr(client, "_endpoint", None), "http_session", None)
        proxy_config = getattr(http_session, "_proxy_config", None)
        proxy_url = proxy_config.proxy_url_for(endpoint_url) if proxy_config is not None else None
        try:
            return cls(
                endpoint_url,
                str(client.meta.region_name),
                credentials,
                connect_timeout=_seconds(config.connect_timeout, 60),
                read_timeout=_seconds(config.read_timeout, 60),
                max_connections=int(config.max_pool_connections or 10),
                verify=getattr(http_session, "_verify", True),
                proxy_url=proxy_url,
            )
        except ValueError as error:
            raise ClientSettingsError(
                f"the direct transport cannot use this client: {error}; pass transport='botocore'"
            ) from None

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Send `operation` once and return DynamoDB's answer, or raise botocore's exception for it."""
        for before in self.before_call:
            before(operation, request)
        payload = json.dumps(request, separators=(",", ":")).encode()
        keys = self._credentials.get_frozen_credentials()
        access_key, secret_key = keys.access_key, keys.secret_key
        if not (access_key and secret_key):
            raise MissingCredentialsError(
                "the DynamoDB client's credentials have no access key or secret key"
            )
        amz_date = self._now()
        target = TARGET_PREFIX + operation
        authorization = self._signer.authorization(
            access_key, secret_key, keys.token, amz_date, target, payload
        )
        token = f"X-Amz-Security-Token: {keys.token}\r\n" if keys.token else ""
        head = (
            f"{self._head_start}{target}\r\nX-Amz-Date: {amz_date}\r\n{token}Content-Length: {len(payload)}"
            f"\r\nAuthorization: {authorization}\r\n\r\n"
        ).encode()
        answer = self._pool.post(head, payload)
        for observe in self.answer_observers:  # telemetry hook: the status and request id, for the span
            observe(answer.status, answer.headers)
        check_crc32(answer.body, answer.headers.get("x-amz-crc32"))
        if answer.status >= 300:
            raise _client_error(operation, answer)
        try:
            response: dict[str, Any] = json.loads(answer.body) if answer.body else {}
        except ValueError as error:
            # Cut or garbled on the way (no CRC32 to catch it): the request may have been applied.
            raise ResponseParserError(f"the answer to {operation} is not JSON: {error}") from error
        for after in self.after_call:
            after(operation, response)
        return response

    def close(self) -> None:
        """Close the idle connections."""
        self._pool.close()

    def _now(self) -> str:
        # The date is formatted once a second, not once a request.
        second = int(time.time())
        if second != self._second:
            self._amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second))
            self._second = second
        return self._amz_date


def _seconds(value: object, default: float) -> float:
    return float(value) if isinstance(value, int | float) else default


def _resolved_endpoint(client: DynamoDBClient) -> str:
    """The endpoint botocore's rules give this client (AWS_ENDPOINT_URL, FIPS, dual-stack, account-based
    endpoints), resolved once: for DynamoDB it is the same for every operation of one client."""
    resolve = getattr(client, "_resolve_endpoint_ruleset", None)
    if resolve is not None:
        operation = client.meta.service_model.operation_model("GetItem")
        url, _headers, _properties = resolve(operation, {}, {})
        return str(url)
    return str(client.meta.endpoint_url)


def _client_error(operation: str, answer: HttpAnswer) -> ClientError:
    """botocore's ClientError for an error answer, in the shape botocore's JSON parser gives it: the code
    (after the `#` of `__type`), the message, the modeled fields (Item, CancellationReasons, throttling
    reasons) at the top level, and the HTTP metadata."""
    try:
        body = json.loads(answer.body) if answer.body else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        # Not DynamoDB's JSON (a proxy or load balancer answered): the status is the code, as botocore does.
        text = answer.body[:200].decode("utf-8", "replace")
        body = {"__type": str(answer.status), "message": text}
    code = str(body.pop("__type", "") or answer.headers.get("x-amzn-errortype", "") or answer.status)
    code = code.rsplit("#", 1)[-1].split(":", 1)[0]
    message = str(body.pop("message", body.pop("Message", "")))
    response: dict[str, Any] = {
        **body,
        "Error": {"Code": code, "Message": message},
        "ResponseMetadata": {
            "RequestId": answer.headers.get("x-amzn-requestid", ""),
            "HTTPStatusCode": answer.status,
            "HTTPHeaders": answer.headers,
            "RetryAttempts": 0,
        },
    }
    return ClientError(response, operation)  # type: ignore[arg-type]
