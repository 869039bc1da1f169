"""What the sync and asyncio direct transports share, with no I/O: their settings and hooks, the bytes of
a DynamoDB request (the JSON body, SigV4 with the day's key cached, the HTTP head) and the meaning of its
answer (DynamoDB's CRC32 checked, the JSON read, an error answer as ServiceError). Each transport only
moves those bytes, on its own pool."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from kvtable.schema.errors import (
    ClientSettingsError,
    DamagedAnswerError,
    MissingCredentialsError,
    ServiceError,
)
from kvtable.transport.base import NOT_JSON, AfterCall, BeforeCall, check_crc32
from kvtable.transport.client_settings import (
    DEFAULT_MAX_CONNECTIONS,
    DEFAULT_TIMEOUT_SECONDS,
    CredentialSource,
    FrozenCredentials,
    TransportSettings,
    settings_from_client,
    settings_from_environment,
)
from kvtable.transport.http import Endpoint, HttpAnswer
from kvtable.transport.signing import JSON_CONTENT_TYPE, DynamoDBSigner
from kvtable.version import __version__

if TYPE_CHECKING:
    from typing import Self

    from mypy_boto3_dynamodb import DynamoDBClient

    from kvtable.aws.environment import DirectSettings

TARGET_PREFIX = "DynamoDB_20120810."
USER_AGENT = f"kvtable/{__version__} (direct transport)"

Pool = TypeVar("Pool", bound=Endpoint[Any])


class DirectWire(Generic[Pool]):
    """DynamoDB's JSON protocol for one endpoint, signed here, parsed here; a subclass names its pool's
    kind (`pool_kind`) and does the I/O."""

    pool_kind: Any  # the pool class this transport's requests travel on

    def __init__(
        self,
        endpoint_url: str,
        region: str,
        credentials: CredentialSource,
        *,
        connect_timeout: float = DEFAULT_TIMEOUT_SECONDS,
        read_timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        verify: bool | str = True,
        proxy_url: str | None = None,
    ) -> None:
        self.endpoint_url = endpoint_url
        self.region = region
        self.before_call: list[BeforeCall] = []
        self.after_call: list[AfterCall] = []
        self.answer_observers: list[Callable[[int, dict[str, str]], None]] = []  # telemetry hook
        self._credentials = credentials
        self._pool: Pool = self.pool_kind(
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
    def from_client(cls, client: DynamoDBClient) -> Self:
        """A transport with the settings of `client` (kvtable/transport/client_settings.py): its credentials,
        refreshed as botocore refreshes them, region, resolved endpoint, timeouts, proxy, CA bundle and pool
        size; a client whose internals cannot be read is refused with ClientSettingsError."""
        return cls.from_settings(settings_from_client(client))

    @classmethod
    def from_environment(cls, decided: DirectSettings) -> Self:
        """A transport with the settings `kvtable.connect` read from the environment, no boto3."""
        return cls.from_settings(settings_from_environment(decided))

    @classmethod
    def from_settings(cls, settings: TransportSettings) -> Self:
        """A transport with these settings; one it cannot use (an https proxy, ...) is ClientSettingsError."""
        try:
            return cls(**settings._asdict())
        except ValueError as error:
            raise ClientSettingsError(
                f"the direct transport cannot use this client: {error}; pass transport='botocore'"
            ) from None

    def _outgoing(self, operation: str, request: dict[str, Any], keys: FrozenCredentials) -> bytes:
        """The request's bytes, signed with `keys`, once the before_call hooks have seen (and added to) it."""
        for before in self.before_call:
            before(operation, request)
        payload = json.dumps(request, separators=(",", ":")).encode()
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
        return head + payload

    def _incoming(self, operation: str, answer: HttpAnswer) -> dict[str, Any]:
        """DynamoDB's answer, once checked, or the transport shape of its failure; after_call hooks see it."""
        for observe in self.answer_observers:  # telemetry hook: the status and request id, for the span
            observe(answer.status, answer.headers)
        check_crc32(answer.body, answer.headers.get("x-amz-crc32"))
        if answer.status >= 300:
            raise service_error(answer)
        try:
            response: dict[str, Any] = json.loads(answer.body) if answer.body else {}
        except ValueError as error:
            # Cut or garbled on the way (no CRC32 to catch it): the request may have been applied.
            raise DamagedAnswerError(NOT_JSON) from error
        for after in self.after_call:
            after(operation, response)
        return response

    def _now(self) -> str:
        # The date is formatted once a second, not once a request.
        second = int(time.time())
        if second != self._second:
            self._amz_date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(second))
            self._second = second
        return self._amz_date


def service_error(answer: HttpAnswer) -> ServiceError:
    """The error DynamoDB answered with, read as botocore's JSON parser reads it: the code (after the `#`
    of `__type`), the message, the modeled fields (Item, CancellationReasons, throttling reasons) and the
    HTTP status and request id."""
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
    return ServiceError(
        code,
        message,
        fields=body,
        status=answer.status,
        request_id=answer.headers.get("x-amzn-requestid", ""),
    )
