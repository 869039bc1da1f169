"""Capacity units per operation of the contract, from the item sizes the contract itself computes.

A key item is built with the contract's own shape (kvtable.contract.keys.key_attributes, VERSION,
WRITE_ID) and sized with kvtable.schema.values.item_size, so the model and the write path cannot drift apart.
The units then follow DynamoDB's documented rules
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/read-write-operations.html,
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/capacity-mode.html):
- a read takes one unit per 4 KB of the item (a Query: of the items' summed sizes), an eventually
  consistent one half of that, a transactional one twice;
- a write takes one unit per 1 KB of the item (an update: of the larger of the item before and after),
  a transactional one twice;
- every key write also writes GSI1's copy (the index projects ALL: the copy is as large as the item).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kvtable.contract.clock import iso_timestamp, utc_now
from kvtable.contract.keys import key_attributes
from kvtable.schema import key_design as kd
from kvtable.schema.entities import JsonValue
from kvtable.schema.key_design import VERSION, WRITE_ID
from kvtable.schema.values import (
    AttributeValue,
    attribute_value_size,
    item_size,
    serialize_item,
    serialize_value,
)

READ_UNIT_BYTES = 4 * 1024
WRITE_UNIT_BYTES = 1024
# A user item or namespace METADATA item holds a few short attributes: far below one 4 KB read unit.
SMALL_ITEM_BYTES = 1024
SAMPLE_FIELD = "name"  # the design's sample value is {"name": "John"}: padded, it keeps that shape
_WRITE_ID_SAMPLE = "0" * 32  # a write id is 16 random bytes in hex (keys.py): always 32 characters
_TTL_SAMPLE = 1_900_000_000  # an epoch-seconds TTL: 10 digits, as every TTL until the year 2286


def read_units(size: int, *, consistent: bool = False, transactional: bool = False) -> float:
    """Read units for reading `size` bytes: per 4 KB (at least one), half if eventually consistent."""
    units = max(1, math.ceil(size / READ_UNIT_BYTES))
    if transactional:
        return 2.0 * units
    return float(units) if consistent else units / 2


def write_units(size: int, *, transactional: bool = False) -> float:
    """Write units for writing an item of `size` bytes: per 1 KB (at least one), twice in a transaction."""
    units = max(1, math.ceil(size / WRITE_UNIT_BYTES))
    return float(2 * units if transactional else units)


def _empty_sample_bytes() -> int:
    return attribute_value_size(serialize_value({SAMPLE_FIELD: ""}))


def sample_value(value_bytes: int) -> JsonValue:
    """The design's sample shape {"name": "J..."}, padded so that DynamoDB counts `value_bytes` for it."""
    empty = _empty_sample_bytes()
    if value_bytes < empty:
        raise ValueError(f"a value of this shape takes at least {empty} bytes, not {value_bytes}")
    return {SAMPLE_FIELD: "J" * (value_bytes - empty)}


def key_item(namespace: str, key: str, value: object, *, ttl: bool = False) -> dict[str, AttributeValue]:
    """A key item as a key write stores it (wire format), version 1: what DynamoDB sizes."""
    partition, sort = kd.namespace_partition_key(namespace), kd.key_sort_key(key)
    timestamp = iso_timestamp(utc_now())  # always 24 characters: any moment sizes the same
    attributes = key_attributes(partition, sort, value, timestamp, _TTL_SAMPLE if ttl else None)
    attributes[WRITE_ID] = _WRITE_ID_SAMPLE
    return serialize_item(
        {
            kd.PARTITION_KEY: partition,
            kd.SORT_KEY: sort,
            **attributes,
            kd.CREATED_AT: timestamp,
            VERSION: 1,
        }
    )


def key_item_size(namespace: str, key: str, value_bytes: int, *, ttl: bool = False) -> int:
    """Bytes DynamoDB counts for a key item whose value takes `value_bytes`."""
    return item_size(key_item(namespace, key, sample_value(value_bytes), ttl=ttl))


def value_for_item_size(namespace: str, key: str, size: int, *, ttl: bool = False) -> JsonValue:
    """The sample value that makes the key item exactly `size` bytes (how tests reach a unit boundary)."""
    empty = _empty_sample_bytes()
    rest = key_item_size(namespace, key, empty, ttl=ttl) - empty
    return sample_value(size - rest)


@dataclass(frozen=True)
class Units:
    """Capacity one request of an operation takes: reads and writes, on the table and on GSI1."""

    table_read: float = 0.0
    table_write: float = 0.0
    index_read: float = 0.0
    index_write: float = 0.0


def operation_units(operation: str, key_bytes: int, page_items: int = 100) -> Units:
    """Units of one request of `operation` on key items of `key_bytes` bytes (a listing: a page of
    `page_items` of them). Reads are eventually consistent, as the contract's defaults are."""
    if operation in ("get_key",):
        return Units(table_read=read_units(key_bytes))
    if operation in ("put_key", "create_key", "update_key", "delete_key"):
        # An update costs the larger of before and after: a key rewritten at the same size costs its size.
        return Units(table_write=write_units(key_bytes), index_write=write_units(key_bytes))
    if operation == "list_keys":
        # A Query sums the sizes of the items it reads, then rounds up once (GSI1: eventual only).
        return Units(index_read=read_units(key_bytes * page_items))
    if operation == "get_user_by_api_key":
        return Units(index_read=read_units(SMALL_ITEM_BYTES))
    if operation in ("get_user", "get_namespace"):
        return Units(table_read=read_units(SMALL_ITEM_BYTES))
    raise ValueError(f"no capacity model for {operation!r}")


OPERATIONS = (
    "get_key",
    "put_key",
    "create_key",
    "update_key",
    "delete_key",
    "list_keys",
    "get_user_by_api_key",
    "get_user",
    "get_namespace",
)
