"""The asyncio direct transport: the sync direct transport's requests, signatures, answers and errors
(kvtable/transport/wire.py), carried on asyncio's own streams with a keep-alive pool
(kvtable/transport/async_http.py). Nothing in it blocks the loop: keys a refresh is due for are fetched in
a worker thread. Imported only by the asyncio front, never on `kvtable.connect()`'s path."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from kvtable.schema.errors import InvalidInputError
from kvtable.transport.async_http import AsyncConnectionPool
from kvtable.transport.client_settings import (
    FrozenCredentials,
    TransportSettings,
    settings_from_client,
    settings_from_environment,
)
from kvtable.transport.wire import DirectWire

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from kvtable.aws.environment import DirectSettings

__all__ = ["AsyncDirectTransport", "async_transport_from_client", "async_transport_from_settings"]


class AsyncDirectTransport(DirectWire[AsyncConnectionPool]):
    """DynamoDB's JSON protocol on asyncio streams, for the tasks of one event loop (the AsyncTransport of
    kvtable/transport/base.py)."""

    pool_kind = AsyncConnectionPool

    async def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Send `operation` once and return DynamoDB's answer, or raise the transport shape of its failure."""
        message = self._outgoing(operation, request, await self._keys())
        return self._incoming(operation, await self._pool.post(message, b""))

    async def warm(self) -> None:
        """Open the pool's first connection now (TCP, and TLS for https), so the first request reuses it."""
        await self._pool.warm()

    async def aclose(self) -> None:
        """Close the idle connections."""
        await self._pool.aclose()

    @property
    def pool(self) -> AsyncConnectionPool:
        """The connection pool (its `opened` count, settings and idle connections)."""
        return self._pool

    async def _keys(self) -> FrozenCredentials:
        # Reading keys is a memory read, except when a refresh is due: that one is blocking I/O (STS, SSO,
        # a container's endpoint), run in a worker thread so the loop goes on meanwhile.
        credentials = self._credentials
        refresh_needed = getattr(credentials, "refresh_needed", None)
        if refresh_needed is not None and refresh_needed():
            return await asyncio.to_thread(credentials.get_frozen_credentials)
        return credentials.get_frozen_credentials()


def async_transport_from_client(
    client: DynamoDBClient, max_connections: int | None = None
) -> AsyncDirectTransport:
    """The asyncio transport with the settings of a boto3 client (credentials, region, endpoint, timeouts,
    pool size = its `max_pool_connections` unless `max_connections` is given, proxy, CA bundle), read as
    the sync direct transport reads them; ClientSettingsError for a client whose settings it cannot use."""
    return AsyncDirectTransport.from_settings(_sized(settings_from_client(client), _size(max_connections)))


def async_transport_from_settings(
    settings: DirectSettings, max_connections: int | None = None
) -> AsyncDirectTransport:
    """The asyncio transport with the settings `kvtable.connect` reads from the environment (no boto3), its
    pool `max_connections` (botocore's 10 unless given). Container credentials are fetched here, with
    blocking I/O: call it once at start-up (or in a thread). ClientSettingsError when the container's keys
    carry an account id and no endpoint was given."""
    size = _size(max_connections)  # checked before the container's keys are fetched
    return AsyncDirectTransport.from_settings(_sized(settings_from_environment(settings), size))


def _size(max_connections: object) -> int | None:
    if max_connections is None:
        return None
    if isinstance(max_connections, bool) or not isinstance(max_connections, int) or max_connections < 1:
        raise InvalidInputError(f"max_connections must be a whole number from 1, got {max_connections!r}")
    return max_connections


def _sized(settings: TransportSettings, max_connections: int | None) -> TransportSettings:
    return settings if max_connections is None else settings._replace(max_connections=max_connections)
