"""docs/async.md's FastAPI example runs as written against DynamoDB Local: the lifespan makes, warms and
closes the store, the handler answers from it. FastAPI is no dependency of kvtable, so a stand-in for its
`FastAPI` class (the lifespan kept, the routes' functions kept as they are) takes its place; only the
table (a fresh one made from the template) is swapped in."""

import asyncio
import re
import sys
import types
from collections.abc import Callable
from typing import Any

import pytest

from kvtable.contract.async_store import AsyncKvTable
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from tests.paths import REPO_ROOT


class StandInFastAPI:
    """What the example uses of FastAPI: `lifespan=`, `app.state`, and `@app.get(path)`."""

    def __init__(self, lifespan: Callable[[Any], Any]) -> None:
        self.lifespan = lifespan
        self.state = types.SimpleNamespace()
        self.routes: dict[str, Callable[..., Any]] = {}

    def get(self, path: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        def route(handler: Callable[..., Any]) -> Callable[..., Any]:
            self.routes[path] = handler
            return handler

        return route


def lifespan_example() -> str:
    """docs/async.md's one Python block with a FastAPI lifespan."""
    blocks = re.findall(
        r"^```python\n(.*?)^```", (REPO_ROOT / "docs" / "async.md").read_text(encoding="utf-8"), re.M | re.S
    )
    (example,) = [block for block in blocks if "lifespan" in block]
    return str(example)


def test_the_fastapi_lifespan_example_makes_warms_uses_and_closes_one_store(
    dynamodb_endpoint: LocalEndpoint, table_name: str, dynamodb_client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    KvTable(dynamodb_client, table_name).put_key("app", "greeting", "hello")
    monkeypatch.setenv("AWS_ENDPOINT_URL", dynamodb_endpoint.url)
    monkeypatch.setitem(sys.modules, "fastapi", types.SimpleNamespace(FastAPI=StandInFastAPI))
    code = lifespan_example()
    assert code.count('"kv-storage-data"') == 1
    namespace: dict[str, Any] = {}
    exec(
        compile(code.replace('"kv-storage-data"', repr(table_name)), "docs/async.md", "exec"), namespace
    )  # the page's own example
    app = namespace["app"]

    calls: list[tuple[str, Any]] = []
    for name in ("warm", "aclose"):
        monkeypatch.setattr(AsyncKvTable, name, spied(name, getattr(AsyncKvTable, name), calls))

    async def serve() -> tuple[Any, Any, Any]:
        async with app.lifespan(app):
            handler = app.routes["/keys/{namespace}/{key}"]
            found = await handler("app", "greeting")
            missing = await handler("app", "nope")
            assert [name for name, _ in calls] == ["warm"]  # made and warmed before serving, once
        return found, missing, app.state.store

    found, missing, store = asyncio.run(serve())
    assert found == {"found": True, "value": "hello", "version": 1}
    assert missing == {"found": False}
    assert calls == [("warm", store), ("aclose", store)]  # and closed at shutdown


def spied(name: str, method: Callable[..., Any], calls: list[tuple[str, Any]]) -> Callable[..., Any]:
    async def spy(store: AsyncKvTable) -> None:
        calls.append((name, store))
        await method(store)

    return spy
