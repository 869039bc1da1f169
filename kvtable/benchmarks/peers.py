"""The other DynamoDB clients the `transports` section measures kvtable against: pydynox (its sync client,
a Rust core) and aiodynamo on aiohttp. Both are benchmark-only dependencies, imported inside functions:
when one is missing, its column is left out."""

from __future__ import annotations

import importlib
import logging
import time
from typing import Any

from kvtable.benchmarks.clients import (
    LISTED_SORT_PREFIX,
    LIVE_FILTER,
    PAGE,
    PARTITION,
    PUT_CONDITION,
    PUT_NAMES,
    PUT_UPDATE,
    QUERY_CONDITION,
    QUERY_NAMES,
    live,
    put_request,
    put_values,
    sort_key,
)
from kvtable.benchmarks.measure import key_value
from kvtable.schema import key_design as kd

REGION = "us-east-1"


class Pydynox:
    """pydynox's sync client, on the contract's requests."""

    name = "pydynox"
    sends = (
        "GetItem, the contract's UpdateItem and Query, through sync_get_item, sync_update_item and sync_query "
        "(Python values: its Rust core converts them)"
    )

    def __init__(self, table: str, url: str) -> None:
        from pydynox import DynamoDBClient  # noqa: PLC0415 (benchmark-only dependency)

        # Its slow-operation warnings (a page of DynamoDB Local's, warming up) would land inside the tables.
        logging.getLogger("pydynox").setLevel(logging.ERROR)
        self.table = table
        self.client = DynamoDBClient(region=REGION, access_key="local", secret_key="local", endpoint_url=url)

    @staticmethod
    def key(i: int) -> dict[str, Any]:
        """The i-th key, as pydynox takes it."""
        return {kd.PARTITION_KEY: PARTITION, kd.SORT_KEY: sort_key(i)}

    @staticmethod
    def put_arguments(i: int) -> dict[str, Any]:
        """The contract's UpdateItem for the i-th key, as pydynox's update_item takes it."""
        return {
            "update_expression": PUT_UPDATE,
            "condition_expression": PUT_CONDITION,
            "expression_attribute_names": PUT_NAMES,
            "expression_attribute_values": put_values(i),
            "return_values": "ALL_NEW",
            "return_values_on_condition_check_failure": True,
        }

    @staticmethod
    def query_arguments() -> dict[str, Any]:
        """The contract's list_keys Query, as pydynox's query takes it (after the table and condition)."""
        return {
            "filter_expression": LIVE_FILTER,
            "expression_attribute_names": QUERY_NAMES,
            "expression_attribute_values": {
                ":pk": PARTITION,
                ":prefix": LISTED_SORT_PREFIX,
                ":now": int(time.time()),
            },
            "limit": PAGE,
            "page_size": PAGE,
            "index_name": kd.DEFAULT_GSI_NAME,
        }

    def get(self, i: int) -> object:
        return found(self.client.sync_get_item(self.table, self.key(i)), i)

    def put(self, i: int) -> object:
        return self.client.sync_update_item(self.table, self.key(i), **self.put_arguments(i))

    def page(self) -> object:
        return list(self.client.sync_query(self.table, QUERY_CONDITION, **self.query_arguments()))

    def close(self) -> None:
        """Nothing to release: the client holds its own pool."""

    @staticmethod
    def cold_start(url: str, table: str, i: int) -> str:
        """A program that imports pydynox, makes its client, gets the i-th key and calls `_answered()`."""
        return (
            "from pydynox import DynamoDBClient\n"
            f"client = DynamoDBClient(region={REGION!r}, access_key='local', secret_key='local', endpoint_url={url!r})\n"
            f"assert client.sync_get_item({table!r}, {{{kd.PARTITION_KEY!r}: {PARTITION!r}, "
            f"{kd.SORT_KEY!r}: {sort_key(i)!r}}})\n"
            "_answered()\n"
        )


class AiodynamoAsync:
    """aiodynamo's client on an aiohttp session, awaited on the running event loop (made on it: aiohttp
    wants a running loop when its session is made)."""

    name = "aiodynamo+aiohttp"
    sends = (
        "get_item and query_single_page (the same GetItem and Query, its own placeholder names); the "
        "contract's UpdateItem through Client.send_request, as update_item cannot say "
        "if_not_exists(...) + :one nor ReturnValuesOnConditionCheckFailure"
    )

    def __init__(self, table: str, url: str) -> None:
        import aiohttp  # noqa: PLC0415 (benchmark-only dependencies)
        from aiodynamo.client import Client  # noqa: PLC0415 (a peer library, benchmark-only)
        from aiodynamo.credentials import Key, StaticCredentials  # noqa: PLC0415 (a peer library, benchmark-only)
        from aiodynamo.expressions import F, HashKey  # noqa: PLC0415 (a peer library, benchmark-only)
        from aiodynamo.http.aiohttp import AIOHTTP  # noqa: PLC0415 (a peer library, benchmark-only)
        from aiodynamo.utils import dy2py, py2dy  # noqa: PLC0415 (a peer library, benchmark-only)
        from yarl import URL  # noqa: PLC0415 (a peer library, benchmark-only)

        self.table = table
        self.dy2py, self.py2dy, self.field, self.hash_key = dy2py, py2dy, F, HashKey
        self.session = aiohttp.ClientSession()
        self.client = Client(
            AIOHTTP(self.session), StaticCredentials(Key("local", "local")), REGION, URL(url)
        )

    async def get(self, i: int) -> object:
        key = {kd.PARTITION_KEY: PARTITION, kd.SORT_KEY: sort_key(i)}
        return live(await self.client.get_item(self.table, key))

    async def put(self, i: int) -> object:
        request = put_request(self.table, i, self.py2dy({"v": key_value(i)})["v"])
        response = await self.client.send_request(action="UpdateItem", payload=request)
        return self.dy2py(response["Attributes"], float)

    async def page(self) -> object:
        from aiodynamo.expressions import RangeKey  # noqa: PLC0415 (a peer library, benchmark-only)

        ttl = self.field(kd.TTL_ATTRIBUTE)
        page = await self.client.query_single_page(
            self.table,
            self.hash_key(kd.GSI1_PARTITION_KEY, PARTITION)
            & RangeKey(kd.GSI1_SORT_KEY).begins_with(LISTED_SORT_PREFIX),
            filter_expression=ttl.does_not_exist() | ttl.gt(int(time.time())),
            index=kd.DEFAULT_GSI_NAME,
            limit=PAGE,
        )
        return page.items

    async def aclose(self) -> None:
        """Close the session."""
        await self.session.close()


class Aiodynamo:
    """aiodynamo's client on an aiohttp session (AiodynamoAsync), each call run on one event loop kept for
    the whole run."""

    name = AiodynamoAsync.name
    sends = AiodynamoAsync.sends

    def __init__(self, table: str, url: str) -> None:
        import asyncio  # noqa: PLC0415 (a peer library, benchmark-only)

        self.loop = asyncio.new_event_loop()

        async def made() -> AiodynamoAsync:
            return AiodynamoAsync(table, url)

        self.peer = self.loop.run_until_complete(made())

    def get(self, i: int) -> object:
        return self.loop.run_until_complete(self.peer.get(i))

    def put(self, i: int) -> object:
        return self.loop.run_until_complete(self.peer.put(i))

    def page(self) -> object:
        return self.loop.run_until_complete(self.peer.page())

    def close(self) -> None:
        """Close the session, then the loop."""
        self.loop.run_until_complete(self.peer.aclose())
        self.loop.close()

    @staticmethod
    def cold_start(url: str, table: str, i: int) -> str:
        """A program that imports aiodynamo and aiohttp, makes the client, gets the i-th key and calls
        `_answered()`."""
        return (
            "import asyncio\n"
            "import aiohttp\n"
            "from aiodynamo.client import Client\n"
            "from aiodynamo.credentials import Key, StaticCredentials\n"
            "from aiodynamo.http.aiohttp import AIOHTTP\n"
            "from yarl import URL\n"
            "async def first():\n"
            "    async with aiohttp.ClientSession() as session:\n"
            f"        client = Client(AIOHTTP(session), StaticCredentials(Key('local', 'local')), {REGION!r}, URL({url!r}))\n"
            f"        assert await client.get_item({table!r}, {{{kd.PARTITION_KEY!r}: {PARTITION!r}, "
            f"{kd.SORT_KEY!r}: {sort_key(i)!r}}})\n"
            "        _answered()\n"
            "asyncio.run(first())\n"
        )


class PydynoxAsync:
    """pydynox's async client (its default API since 1.0), on the contract's requests, awaited on the
    running event loop; its Rust core does the I/O on its own threads."""

    name = "pydynox async"
    sends = "GetItem, the contract's UpdateItem and Query, through get_item, update_item and query"

    def __init__(self, table: str, url: str) -> None:
        self.sync = Pydynox(table, url)  # the same client: its async methods are the unprefixed ones
        self.client, self.table = self.sync.client, table

    async def get(self, i: int) -> object:
        return found(await self.client.get_item(self.table, self.sync.key(i)), i)

    async def put(self, i: int) -> object:
        return await self.client.update_item(self.table, self.sync.key(i), **self.sync.put_arguments(i))

    async def page(self) -> object:
        pages = self.client.query(self.table, QUERY_CONDITION, **self.sync.query_arguments())
        return [item async for item in pages]

    async def aclose(self) -> None:
        """Nothing to release: the client holds its own pool."""


def found(item: dict[str, Any] | None, i: int) -> object:
    """A pydynox get's item when it is there and live; LookupError otherwise."""
    if item is None:
        raise LookupError(sort_key(i))
    return live(item)


# (class, the modules it needs): the order of the columns.
PEERS: tuple[tuple[type[Pydynox] | type[Aiodynamo], tuple[str, ...]], ...] = (
    (Pydynox, ("pydynox",)),
    (Aiodynamo, ("aiodynamo", "aiohttp")),
)


def _importable(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


def installed_peers() -> list[type[Pydynox] | type[Aiodynamo]]:
    """The peers whose packages are installed; a one-line note for each one left out."""
    found: list[type[Pydynox] | type[Aiodynamo]] = []
    for kind, modules in PEERS:
        missing = [module for module in modules if not _importable(module)]
        if missing:
            print(
                f"({' and '.join(missing)} not installed (`make bench` installs {'them' if len(missing) > 1 else 'it'}): "
                f"the {kind.name} column is left out)"
            )
        else:
            found.append(kind)
    return found
