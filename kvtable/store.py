"""The public door to `KvTable`, the data contract's front (`kvtable.contract.store`), at the path
applications import, with the values its signatures use."""

from kvtable.contract.keys import KEEP_TTL
from kvtable.contract.store import KvTable
from kvtable.schema.pagination import Page

__all__ = ["KEEP_TTL", "KvTable", "Page"]
