"""`kvtable.connect`: the data contract on the direct transport, its settings from the environment with no
boto3, or from a boto3 client (made only then) whenever the environment holds anything boto3 would read
that this module does not."""

from __future__ import annotations

from typing import Any

from kvtable.aws.credentials import ContainerCredentials, Keys, StaticCredentials, ca_bundle
from kvtable.aws.environment import DirectSettings, EnvironmentKeys, Fallback, direct_settings
from kvtable.contract.store import KvTable
from kvtable.schema import key_design as kd
from kvtable.schema.errors import ClientSettingsError, MissingCredentialsError
from kvtable.transport.direct import DirectTransport


def connect(
    table_name: str = kd.DEFAULT_TABLE_NAME,
    gsi_name: str = kd.DEFAULT_GSI_NAME,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    warm: bool = False,
    **options: Any,
) -> KvTable:
    """The contract over `table_name`, with the credentials, region and endpoint boto3 would use;
    `warm`: open the connection (TCP and TLS) now. `options` go to KvTable (clock, home_region, ...)."""

    decided = direct_settings(region=region, endpoint_url=endpoint_url)
    transport = direct_transport(decided) if isinstance(decided, DirectSettings) else None
    if transport is None:
        store = _on_boto3_client(boto3_client(region, endpoint_url), table_name, gsi_name, options)
    else:
        store = KvTable(None, table_name, gsi_name, transport=transport, **options)
    if warm:
        store.warm()
    return store


def direct_transport(decided: DirectSettings) -> DirectTransport | None:
    """The direct transport for these settings; None when what the container gave makes boto3 decide after all
    (an account id: botocore would then pick the account's endpoint)."""

    credentials = settings_credentials(decided)
    if credentials is None:
        return None
    verify = ca_bundle() if decided.endpoint_url.startswith("https:") else True
    # botocore's defaults: 60 s to connect, 60 s to read, 10 connections.
    return DirectTransport(decided.endpoint_url, decided.region, credentials, verify=verify)


def settings_credentials(decided: DirectSettings) -> StaticCredentials | ContainerCredentials | None:
    """The credentials these settings give; None when what the container gave makes boto3 decide after all
    (an account id: botocore would then pick the account's endpoint)."""
    if isinstance(decided.credentials, EnvironmentKeys):
        access_key, secret_key, token = decided.credentials
        return StaticCredentials(Keys(access_key, secret_key, token))
    credentials = ContainerCredentials(decided.credentials)
    if credentials.account_id is not None and not decided.endpoint_given:
        return None
    return credentials


def fallback_reason(region: str | None = None, endpoint_url: str | None = None) -> str | None:
    """Why connect() would let boto3 decide in this environment (None: it would not)."""
    decided = direct_settings(region=region, endpoint_url=endpoint_url)
    return decided.reason if isinstance(decided, Fallback) else None


def _on_boto3_client(client: Any, table_name: str, gsi_name: str, options: dict[str, Any]) -> KvTable:
    """The direct transport with the client's settings, or botocore's path for a setting only it has (a
    proxy over TLS, ...): connect() never refuses what boto3 itself would run."""

    try:
        return KvTable(client, table_name, gsi_name, **options)
    except MissingCredentialsError:
        raise
    except ClientSettingsError:
        return KvTable(client, table_name, gsi_name, transport="botocore", **options)


def boto3_client(region: str | None, endpoint_url: str | None) -> Any:
    """A boto3 DynamoDB client of a session of its own, for the environment boto3 alone can read."""
    import boto3  # noqa: PLC0415 (only when the environment needs boto3's judgement)

    # A session of its own reads the environment as it is now (boto3's default session keeps what it
    # read when first used).
    return boto3.Session().client("dynamodb", region_name=region, endpoint_url=endpoint_url)
