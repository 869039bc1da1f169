"""`kvtable.connect_async`: the async front (`AsyncKvTable`) on asyncio's own transport, its settings from
the environment with no boto3 when it holds them all, else from a boto3 client (made only then), as
`kvtable.connect` decides for the sync front."""

from __future__ import annotations

from typing import Any

from kvtable.aws.environment import DirectSettings, direct_settings
from kvtable.contract.async_store import AsyncKvTable
from kvtable.contract.connect import boto3_client
from kvtable.schema import key_design as kd
from kvtable.schema.errors import ClientSettingsError, MissingCredentialsError


async def connect_async(
    table_name: str = kd.DEFAULT_TABLE_NAME,
    gsi_name: str = kd.DEFAULT_GSI_NAME,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    warm: bool = False,
    max_connections: int | None = None,
    **options: Any,
) -> AsyncKvTable:
    """The async contract over `table_name`, with the credentials, region and endpoint boto3 would use;
    `warm`: open the connection (TCP and TLS) now; `max_connections`: connections kept open (10 unless
    given). `options` go to AsyncKvTable (requests_in_flight, ...)."""
    from kvtable.transport.async_direct import (  # noqa: PLC0415 (the async transport's modules: loaded by the first connect_async)
        async_transport_from_client,
        async_transport_from_settings,
    )

    decided = direct_settings(region=region, endpoint_url=endpoint_url)
    transport = None
    if isinstance(decided, DirectSettings):
        try:
            transport = async_transport_from_settings(decided, max_connections)
        except MissingCredentialsError:
            raise
        except ClientSettingsError:
            # A container's keys with an account id: botocore picks the account's endpoint, so boto3
            # decides, as kvtable.connect lets it.
            transport = None
    if transport is None:
        client = boto3_client(region, endpoint_url)
        transport = async_transport_from_client(client, max_connections)
    store = AsyncKvTable(None, table_name, gsi_name, transport=transport, **options)
    if warm:
        await store.warm()
    return store
