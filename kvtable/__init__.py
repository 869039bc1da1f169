"""kvtable: the single-table DynamoDB layer of the key-value storage service.

`kvtable.connect(...)` gives the data contract with the credentials, region and endpoint boto3 would
use, without importing boto3 when the environment says all (as in AWS Lambda); `await
kvtable.connect_async(...)` gives the same contract from asyncio (docs/async.md)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kvtable.contract.async_store import AsyncKvTable
    from kvtable.contract.store import KvTable

from kvtable.version import __version__

__all__ = ["__version__", "connect", "connect_async"]


def connect(
    table_name: str = "kv-storage-data",
    gsi_name: str = "GSI1",
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    warm: bool = False,
    **options: Any,
) -> KvTable:
    """The data contract over `table_name` (and its GSI `gsi_name`) on the direct transport, with the
    credentials, region and endpoint `boto3.client("dynamodb")` would use: from the environment without
    boto3 when it holds them all, else from a boto3 client. `warm`: open the connection now (TCP and
    TLS). `options` go to KvTable (clock, home_region, retry_attempts, ...). See docs/transport.md."""
    from kvtable.contract.connect import connect as connect_from_environment  # noqa: PLC0415 (`import kvtable` loads nothing of connect's until it is called)

    return connect_from_environment(
        table_name, gsi_name, region=region, endpoint_url=endpoint_url, warm=warm, **options
    )


async def connect_async(
    table_name: str = "kv-storage-data",
    gsi_name: str = "GSI1",
    *,
    region: str | None = None,
    endpoint_url: str | None = None,
    warm: bool = False,
    **options: Any,
) -> AsyncKvTable:
    """The data contract from asyncio (`AsyncKvTable`), built as `connect` builds the sync one: settings
    from the environment without boto3 when it holds them all, else from a boto3 client. `warm`: open the
    connection now. `options` go to AsyncKvTable (requests_in_flight, ...). See docs/async.md."""
    from kvtable.contract.connect_async import connect_async as connect_from_environment  # noqa: PLC0415 (`import kvtable` loads no asyncio until it is called)

    return await connect_from_environment(
        table_name, gsi_name, region=region, endpoint_url=endpoint_url, warm=warm, **options
    )
