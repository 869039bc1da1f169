"""How the data contract's requests reach DynamoDB: the direct transport (the JSON body, SigV4 and a
keep-alive HTTP pool, botocore's settings read once per client) or botocore's own request path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from kvtable.transport.base import Transport
from kvtable.transport.botocore_path import BotocoreTransport

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TransportChoice = Literal["direct", "botocore"]
TRANSPORTS: tuple[TransportChoice, ...] = ("direct", "botocore")

__all__ = ["TRANSPORTS", "BotocoreTransport", "Transport", "TransportChoice", "transport_for"]


def transport_for(client: DynamoDBClient, choice: TransportChoice | Transport = "direct") -> Transport:
    """The transport for `client`: "direct" (the default), "botocore", or a Transport given as it is."""
    if choice == "botocore":
        return BotocoreTransport(client)
    if choice == "direct":
        from kvtable.transport.direct import DirectTransport  # noqa: PLC0415

        return DirectTransport.from_client(client)
    if isinstance(choice, str):
        from kvtable.errors import InvalidInputError  # noqa: PLC0415

        raise InvalidInputError(f"transport must be one of {', '.join(TRANSPORTS)}, got {choice!r}")
    return choice
