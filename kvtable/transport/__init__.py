"""How the data contract's requests reach DynamoDB: the direct transport (the JSON body, SigV4 and a
keep-alive HTTP pool, its settings from a boto3 client or from the environment) or botocore's own request
path; and, for asyncio, the direct transport on asyncio's streams (async_direct.py, imported only by the
async front). Importing this imports no botocore: botocore's path is loaded when it is chosen."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, cast

from kvtable.schema.errors import InvalidInputError
from kvtable.transport.base import Transport

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from kvtable.transport.botocore_path import BotocoreTransport

TransportChoice = Literal["direct", "botocore"]
TRANSPORTS: tuple[TransportChoice, ...] = ("direct", "botocore")
# A function that makes the transport for the client given (tests build connect()'s transport so).
TransportFactory = Callable[["DynamoDBClient"], Transport]

__all__ = [
    "TRANSPORTS",
    "BotocoreTransport",
    "Transport",
    "TransportChoice",
    "TransportFactory",
    "transport_for",
]


def transport_for(
    client: DynamoDBClient, choice: TransportChoice | Transport | TransportFactory = "direct"
) -> Transport:
    """The transport for `client`: "direct" (the default), "botocore", a Transport given as it is, or the
    one a TransportFactory makes for the client."""
    if choice == "botocore":
        from kvtable.transport.botocore_path import BotocoreTransport  # noqa: PLC0415 (botocore: only when botocore's path is chosen)

        return BotocoreTransport(client)
    if choice == "direct":
        from kvtable.transport.direct import DirectTransport  # noqa: PLC0415 (hashlib, socket, ...: only when the direct transport is chosen)

        return DirectTransport.from_client(client)
    if isinstance(choice, str):
        raise InvalidInputError(f"transport must be one of {', '.join(TRANSPORTS)}, got {choice!r}")
    if hasattr(choice, "call"):
        return cast(Transport, choice)
    return choice(client)


def __getattr__(name: str) -> Any:
    # `from kvtable.transport import BotocoreTransport` keeps working, and loads botocore only then.
    if name == "BotocoreTransport":
        from kvtable.transport.botocore_path import BotocoreTransport  # noqa: PLC0415 (botocore: only when botocore's path is chosen)

        return BotocoreTransport
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
