"""The direct transport: per request only what the wire needs (the JSON body, a SigV4 signature with the
day's key cached, one keep-alive HTTP exchange, DynamoDB's CRC32 checked, the JSON answer), with every
setting botocore resolves once per client (credentials and their refresh, region, endpoint, timeouts,
proxy, CA bundle, pool size) taken from the boto3 client it is given, or from the environment by
`kvtable.connect`. It imports no botocore: failures are the contract's own shapes (kvtable.schema.errors).
The request's bytes and the answer's meaning are kvtable/transport/wire.py's, shared with the asyncio
transport (kvtable/transport/async_direct.py)."""

from __future__ import annotations

from typing import Any

from kvtable.transport.client_settings import CredentialSource, FrozenCredentials
from kvtable.transport.http import ConnectionPool
from kvtable.transport.wire import TARGET_PREFIX, USER_AGENT, DirectWire

__all__ = ["TARGET_PREFIX", "USER_AGENT", "CredentialSource", "DirectTransport", "FrozenCredentials"]


class DirectTransport(DirectWire[ConnectionPool]):
    """DynamoDB's JSON protocol over a keep-alive connection pool, signed here, parsed here."""

    pool_kind = ConnectionPool

    def call(self, operation: str, request: dict[str, Any]) -> dict[str, Any]:
        """Send `operation` once and return DynamoDB's answer, or raise the transport shape of its failure."""
        message = self._outgoing(operation, request, self._credentials.get_frozen_credentials())
        return self._incoming(operation, self._pool.post(message, b""))

    def warm(self) -> None:
        """Open the pool's first connection now (TCP, and TLS for https), so the first request reuses it."""
        self._pool.warm()

    def close(self) -> None:
        """Close the idle connections."""
        self._pool.close()
