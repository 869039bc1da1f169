"""Pages of a listing and the opaque cursor that continues it."""

import base64
import binascii
import json
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

from kvtable.schema.errors import InvalidInputError

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 100  # items a listing's page holds when the caller names no page size
MAX_PAGE_SIZE = 1000
# A cursor holds at most a table and an index key (2 KB + 1 KB each, base64 and JSON around them).
MAX_CURSOR_CHARS = 16 * 1024
_BAD_CURSOR = "cursor is not one this listing returned; start again without it"


class Page(Generic[T]):
    """One page of a listing; `cursor` is None on the last page."""

    # A plain class, not a dataclass: a dataclass costs every importing process a millisecond or two.
    __slots__ = ("cursor", "items")

    def __init__(self, items: list[T], cursor: str | None) -> None:
        self.items = items
        self.cursor = cursor

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Page) and (self.items, self.cursor) == (other.items, other.cursor)

    __hash__ = None  # type: ignore[assignment]  # mutable items: not hashable, as the dataclass was not

    def __repr__(self) -> str:
        return f"Page(items={self.items!r}, cursor={self.cursor!r})"


def every_item(fetch_page: Callable[[str | None], Page[T]]) -> Iterator[T]:
    """Every item of a listing, fetching the next page only when the last one is used up."""
    cursor: str | None = None
    while True:
        page = fetch_page(cursor)
        yield from page.items
        if page.cursor is None:
            return
        cursor = page.cursor


def encode_cursor(last_evaluated_key: dict[str, Any] | None) -> str | None:
    """An opaque, URL-safe cursor for DynamoDB's LastEvaluatedKey."""
    if not last_evaluated_key:
        return None
    raw = json.dumps(last_evaluated_key, sort_keys=True, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(
    cursor: str, key_attributes: frozenset[str], partition_attribute: str, partition_value: str
) -> dict[str, Any]:
    """The ExclusiveStartKey inside a cursor, refused unless it belongs to this listing
    (the same key attributes, so a GSI cursor is not taken by a table listing, and the same partition)."""
    # A cursor travels to a client and back: any type, length or content may return.
    if not isinstance(cursor, str) or len(cursor) > MAX_CURSOR_CHARS:
        raise InvalidInputError(_BAD_CURSOR)
    try:
        raw = base64.urlsafe_b64decode(cursor.encode("ascii") + b"=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (binascii.Error, ValueError, RecursionError) as error:
        raise InvalidInputError(_BAD_CURSOR) from error
    valid = (
        isinstance(key, dict)
        and set(key) == key_attributes
        and all(isinstance(v, dict) and set(v) == {"S"} and isinstance(v["S"], str) for v in key.values())
        and key.get(partition_attribute) == {"S": partition_value}
    )
    if not valid:
        raise InvalidInputError(_BAD_CURSOR)
    decoded: dict[str, Any] = key
    return decoded


def check_page_size(page_size: int) -> None:
    """Refuse a page size DynamoDB's Limit would not take, or that defeats paging."""
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= MAX_PAGE_SIZE:
        raise InvalidInputError(
            f"page size must be a whole number from 1 to {MAX_PAGE_SIZE}, got {page_size!r}"
        )
