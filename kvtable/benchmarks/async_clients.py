"""The async clients the `async` section measures, each awaited on one event loop: kvtable's async front,
pydynox's async client and aiodynamo on aiohttp (benchmark-only dependencies, imported when made: a peer
not installed loses its column). "kvtable async" is `AsyncKvTable`: the contract's get_key, put_key and
list_keys page, with its checks and result mapping, on kvtable's asyncio transport."""

from __future__ import annotations

from importlib.util import find_spec
from typing import TYPE_CHECKING, Any, Protocol

from kvtable.benchmarks.clients import NAMESPACE, PAGE
from kvtable.benchmarks.measure import PREFIX, key_name, key_value
from kvtable.benchmarks.peers import AiodynamoAsync, PydynoxAsync
from kvtable.contract.async_store import AsyncKvTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class AsyncMeasured(Protocol):
    """An async client measured here: the contract's get, put and page, and closing its connections."""

    name: str

    async def get(self, i: int) -> object: ...
    async def put(self, i: int) -> object: ...
    async def page(self) -> object: ...
    async def aclose(self) -> None: ...


class AsyncContract:
    """kvtable's async front: AsyncKvTable (on its asyncio transport, with the boto3 client's settings)
    driven as clients.Contract drives KvTable."""

    name = "kvtable async"

    def __init__(self, client: DynamoDBClient, table: str, url: str) -> None:
        self.store = AsyncKvTable(client, table)

    async def get(self, i: int) -> object:
        return await self.store.get_key(NAMESPACE, key_name(i))

    async def put(self, i: int) -> object:
        return await self.store.put_key(NAMESPACE, key_name(i), key_value(i))

    async def page(self) -> object:
        return (await self.store.list_keys(NAMESPACE, PREFIX, page_size=PAGE)).items

    async def aclose(self) -> None:
        """Close the store's connections."""
        await self.store.aclose()


# The kvtable async front measured.
KVTABLE_ASYNC: Any = AsyncContract


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
