"""What the direct transports (sync and asyncio) take from a boto3 client or from `kvtable.connect`'s
reading of the environment: endpoint, region, credentials, timeouts, pool size, CA bundle and proxy,
read once per client. No botocore import: a boto3 client's settings are read from the client given."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

from kvtable.schema.errors import ClientSettingsError, MissingCredentialsError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from kvtable.aws.environment import DirectSettings

# botocore's defaults: 60 s to connect, 60 s to read, 10 connections kept.
DEFAULT_TIMEOUT_SECONDS = 60.0
DEFAULT_MAX_CONNECTIONS = 10


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


class TransportSettings(NamedTuple):
    """A direct transport's settings, as its constructor takes them."""

    endpoint_url: str
    region: str
    credentials: CredentialSource
    connect_timeout: float = DEFAULT_TIMEOUT_SECONDS
    read_timeout: float = DEFAULT_TIMEOUT_SECONDS
    max_connections: int = DEFAULT_MAX_CONNECTIONS
    verify: bool | str = True
    proxy_url: str | None = None


def settings_from_client(client: DynamoDBClient) -> TransportSettings:
    """The settings of `client`: its credentials (refreshed as botocore refreshes them), region, resolved
    endpoint, timeouts, proxy, CA bundle and pool size.

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
    proxy_url = _internal(proxy_config, "proxy_url_for", "the proxy settings' proxy_url_for")(endpoint_url)
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
    return TransportSettings(
        endpoint_url,
        str(client.meta.region_name),
        credentials,
        connect_timeout=_seconds(config.connect_timeout),
        read_timeout=_seconds(config.read_timeout),
        max_connections=int(config.max_pool_connections or DEFAULT_MAX_CONNECTIONS),
        verify=verify,
        proxy_url=proxy_url,
    )


def settings_from_environment(decided: DirectSettings) -> TransportSettings:
    """The settings `kvtable.connect` read from the environment (kvtable/aws/environment.py), with their
    credentials: the keys given, or a container's (fetched now, with blocking I/O). ClientSettingsError
    when the container's keys carry an account id and no endpoint was given: boto3 must decide then,
    since botocore would pick the account's endpoint."""
    from kvtable.aws.credentials import (  # noqa: PLC0415 (container credentials: only on connect()'s path)
        ContainerCredentials,
        Keys,
        StaticCredentials,
        ca_bundle,
    )
    from kvtable.aws.environment import EnvironmentKeys  # noqa: PLC0415 (only on connect()'s path)

    credentials: StaticCredentials | ContainerCredentials
    if isinstance(decided.credentials, EnvironmentKeys):
        credentials = StaticCredentials(Keys(*decided.credentials))
    else:
        credentials = ContainerCredentials(decided.credentials)
        if credentials.account_id is not None and not decided.endpoint_given:
            raise ClientSettingsError(
                "the container's credentials carry an account id and no endpoint was given: botocore "
                "would pick the account's endpoint; make the store from a boto3 client"
            )
    verify = ca_bundle() if decided.endpoint_url.startswith("https:") else True
    return TransportSettings(decided.endpoint_url, decided.region, credentials, verify=verify)


def _seconds(value: object) -> float:
    return float(value) if isinstance(value, int | float) else DEFAULT_TIMEOUT_SECONDS


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
