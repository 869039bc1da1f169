"""The public door to `KvTable` and `AsyncKvTable`, the data contract's sync and async fronts
(`kvtable.contract.store`, `kvtable.contract.async_store`), at the path applications import, with the
values their signatures use."""

from typing import TYPE_CHECKING, Any

from kvtable.contract.keys import KEEP_TTL
from kvtable.contract.store import KvTable
from kvtable.schema.pagination import Page

if TYPE_CHECKING:
    from kvtable.contract.async_store import AsyncKvTable

__all__ = ["KEEP_TTL", "AsyncKvTable", "KvTable", "Page"]


def __getattr__(name: str) -> Any:
    # AsyncKvTable when asked for: `from kvtable.store import KvTable` loads no asyncio.
    if name == "AsyncKvTable":
        from kvtable.contract.async_store import AsyncKvTable  # noqa: PLC0415 (asyncio: not on the sync front's path)

        return AsyncKvTable
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
