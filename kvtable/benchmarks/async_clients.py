"""The async clients the `async` section measures, each awaited on one event loop: kvtable's async front,
pydynox's async client and aiodynamo on aiohttp (benchmark-only dependencies, imported when made: a peer
not installed loses its column).

Until `AsyncKvTable` lands, "kvtable async" is TransportFront: the contract's own GetItem, UpdateItem and
Query (clients.py) sent on kvtable's asyncio transport, answers read with the contract's deserializer, so
it leaves out the contract's own checks and mapping. KVTABLE_ASYNC below is the one line to switch."""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, Protocol

from kvtable.benchmarks.clients import get_request, live, page_request, put_request
from kvtable.benchmarks.measure import key_value
from kvtable.benchmarks.peers import AiodynamoAsync, PydynoxAsync
from kvtable.schema.values import deserialize_item, serialize_value

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class AsyncMeasured(Protocol):
    """An async client measured here: the contract's get, put and page, and closing its connections."""

    name: str

    async def get(self, i: int) -> object: ...
    async def put(self, i: int) -> object: ...
    async def page(self) -> object: ...
    async def aclose(self) -> None: ...


class TransportFront:
    """kvtable's asyncio transport (AsyncDirectTransport, built from the boto3 client's settings) sending
    the contract's requests, its answers read as the contract reads them."""

    name = "kvtable async"

    def __init__(self, client: DynamoDBClient, table: str, url: str) -> None:
        from kvtable.transport.async_direct import async_transport_from_client  # noqa: PLC0415 (asyncio: this section's alone)

        self.table, self.transport = table, async_transport_from_client(client)

    async def get(self, i: int) -> object:
        answer = await self.transport.call("GetItem", get_request(self.table, i))
        return live(deserialize_item(answer["Item"]))

    async def put(self, i: int) -> object:
        request = put_request(self.table, i, serialize_value(key_value(i)))
        return deserialize_item((await self.transport.call("UpdateItem", request))["Attributes"])

    async def page(self) -> object:
        answer = await self.transport.call("Query", page_request(self.table))
        return [deserialize_item(item) for item in answer["Items"]]

    async def aclose(self) -> None:
        """Close the transport's idle connections."""
        await self.transport.aclose()


# The kvtable async front measured: switch it to a class driving AsyncKvTable (get_key, put_key,
# list_keys(...).items, as clients.Contract drives KvTable) when that lands.
KVTABLE_ASYNC: Any = TransportFront


# (class, the modules it needs), made with (table, url) as peers.py's are: the order of the columns.
ASYNC_PEERS: tuple[tuple[Any, tuple[str, ...]], ...] = (
    (PydynoxAsync, ("pydynox",)),
    (AiodynamoAsync, ("aiodynamo", "aiohttp")),
)


def async_clients(client: DynamoDBClient, table: str, url: str) -> tuple[list[AsyncMeasured], list[str]]:
    """The async clients, made on the running loop: kvtable's first, then each peer installed; a note for
    each peer left out."""
    clients: list[AsyncMeasured] = [KVTABLE_ASYNC(client, table, url)]
    notes = []
    for kind, modules in ASYNC_PEERS:
        missing = [module for module in modules if find_spec(module) is None]
        if missing:
            notes.append(
                f"{' and '.join(missing)} not installed (`make bench` installs it): {kind.name} left out"
            )
        else:
            clients.append(kind(table, url))
    return clients, notes
