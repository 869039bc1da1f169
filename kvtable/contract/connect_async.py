"""`kvtable.connect_async`: the async front (`AsyncKvTable`) on asyncio's own transport, its settings from
the environment with no boto3 when it holds them all, else from a boto3 client (made only then), as
`kvtable.connect` decides for the sync front."""

from __future__ import annotations

from typing import Any

from kvtable.aws.environment import DirectSettings, direct_settings
from kvtable.contract.async_store import AsyncKvTable
from kvtable.contract.connect import boto3_client, settings_credentials
from kvtable.schema import key_design as kd


async def connect_async(
    table_name: str = kd.DEFAULT_TABLE_NAME,
    gsi_name: str = kd.DEFAULT_GSI_NAME,
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    warm: bool = False,
    **options: Any,
) -> AsyncKvTable:
    """The async contract over `table_name`, with the credentials, region and endpoint boto3 would use;
    `warm`: open the connection (TCP and TLS) now. `options` go to AsyncKvTable (requests_in_flight, ...)."""
    decided = direct_settings(region=region, endpoint_url=endpoint_url)
    if isinstance(decided, DirectSettings) and settings_credentials(decided) is not None:
        from kvtable.transport.async_direct import async_transport_from_settings  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415 (the async transport's modules: loaded by the first connect_async)

        store = AsyncKvTable(
            None, table_name, gsi_name, transport=async_transport_from_settings(decided), **options
        )
    else:
        store = AsyncKvTable(boto3_client(region, endpoint_url), table_name, gsi_name, **options)
    if warm:
        await store.warm()
    return store
