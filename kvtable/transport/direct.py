"""The direct transport: per request only what the wire needs (the JSON body, a SigV4 signature with the
day's key cached, one keep-alive HTTP exchange, DynamoDB's CRC32 checked, the JSON answer), with every
setting botocore resolves once per client (credentials and their refresh, region, endpoint, timeouts,
proxy, CA bundle, pool size) taken from the boto3 client it is given, or from the environment by
`kvtable.connect`. It imports no botocore: failures are the contract's own shapes (kvtable.schema.errors)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from kvtable.schema.errors import (
    ClientSettingsError,
    DamagedAnswerError,
    MissingCredentialsError,
    ServiceError,
)
from kvtable.transport.base import NOT_JSON, AfterCall, BeforeCall, check_crc32
from kvtable.transport.http import ConnectionPool, HttpAnswer
from kvtable.transport.signing import JSON_CONTENT_TYPE, DynamoDBSigner
from kvtable.version import __version__

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
        them), region, resolved endpoint, timeouts, proxy, CA bundle and pool size.

        These are botocore internals: each is read, or the client is refused (ClientSettingsError naming
        what is missing), never guessed; so a botocore that renamed one (say the proxy settings) cannot
        make the transport silently skip what the client is set to do."""
        signer = _internal(client, "_request_signer", "the request signer")
        credentials = _internal(signer, "_credentials", "the request signer's credentials")
        if credentials is None:
            raise MissingCredentialsError(
                "no AWS credentials found for the DynamoDB client (environment, profile, SSO, container or "
                "instance metadata); configure them, or pass transport='botocore' for an unsigned client"
            )
        _internal(credentials, "get_frozen_credentials", "the credentials' get_frozen_credentials")
        config: Any = client.meta.config  # typed without its settings by the stubs
        endpoint_url = _resolved_endpoint(client)
        http_session = _internal(
            _internal(client, "_endpoint", "the client's endpoint"),
            "http_session",
            "the endpoint's HTTP session",
        )
        proxy_config = _internal(http_session, "_proxy_config", "the HTTP session's proxy settings")
        proxy_url = _internal(proxy_config, "proxy_url_for", "the proxy settings' proxy_url_for")(
            endpoint_url
        )
        if _internal(proxy_config, "settings", "the proxy settings' proxies_config"):
            raise ClientSettingsError(
                "the direct transport cannot use this client: proxies_config (a proxy CA bundle, client "
                "certificate or forwarding) is set; pass transport='botocore'"
            )
        verify = _internal(http_session, "_verify", "the HTTP session's CA bundle setting")
        if verify is True:
            # botocore verifies against its CA bundle (certifi's), not the system's: the same here.
            from botocore.httpsession import get_cert_path  # noqa: PLC0415 (botocore: not on `kvtable --help`'s nor `kvtable.connect`'s path)

            verify = get_cert_path(True)
        try:
            return cls(
                endpoint_url,
                str(client.meta.region_name),
                credentials,
                connect_timeout=_seconds(config.connect_timeout, 60),
                read_timeout=_seconds(config.read_timeout, 60),
                max_connections=int(config.max_pool_connections or 10),
                verify=verify,
                proxy_url=proxy_url,
            )
        except ValueError as error:
            raise ClientSettingsError(
                f"the direct transport cannot use this client: {error}; pass transport='botocore'"
            ) from None

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Send `operation` once and return DynamoDB's answer, or raise the transport shape of its failure."""
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
            raise _service_error(answer)
        try:
            response: dict[str, Any] = json.loads(answer.body) if answer.body else {}
        except ValueError as error:
            # Cut or garbled on the way (no CRC32 to catch it): the request may have been applied.
            raise DamagedAnswerError(NOT_JSON) from error
        for after in self.after_call:
            after(operation, response)
        return response

    def warm(self) -> None:
        """Open the pool's first connection now (TCP, and TLS for https), so the first request reuses it."""
        self._pool.warm()

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


def _internal(owner: object, name: str, what: str) -> Any:
    """botocore's internal `name` on `owner`, or ClientSettingsError saying which one is missing."""
    try:
        return getattr(owner, name)
    except AttributeError:
        raise ClientSettingsError(
            f"the direct transport cannot read {what} ({type(owner).__name__}.{name}) from this client: a "
            "botocore version it was not tested with, or a client not made by boto3; pass transport='botocore'"
        ) from None


def _resolved_endpoint(client: DynamoDBClient) -> str:
    """The endpoint botocore's rules give this client (AWS_ENDPOINT_URL, FIPS, dual-stack, account-based
    endpoints), resolved once: for DynamoDB it is the same for every operation of one client."""
    resolve = _internal(client, "_resolve_endpoint_ruleset", "the endpoint rules")
    operation = client.meta.service_model.operation_model("GetItem")
    url, _headers, _properties = resolve(operation, {}, {})
    return str(url)


def _service_error(answer: HttpAnswer) -> ServiceError:
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
