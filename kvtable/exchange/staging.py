"""An import's source, built from `kvtable load`'s JSON Lines entries: each key item made as `put_key`
makes a new key (the contract's `new_key_item`: version 1, createdAt = updatedAt, GSI1's attributes, the
TTL, plus a write id of its own), in DynamoDB JSON, gzip, a fixed number of items an S3 object.

Built twice by `kvtable import` (sizes first, to refuse an input over the limits before anything starts;
then the objects it uploads), one object in memory at a time."""

from __future__ import annotations

import gzip
import io
import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from kvtable.contract.keys import new_key_item
from kvtable.exchange.dynamodb_json import Item, item_line
from kvtable.schema import key_design as kd
from kvtable.schema.entities import JsonValue
from kvtable.schema.errors import InvalidEntryError, InvalidInputError
from kvtable.schema.key_design import WRITE_ID
from kvtable.schema.values import check_item_size, serialize_item, to_storable

# 100,000 items of a few hundred bytes: a few MB gzip an object, and 100 million keys in 1,000 objects,
# far below ImportTable's 50,000 objects a job. AWS suggests many mid-sized objects, read in parallel
# ("Best practices for importing from Amazon S3 into DynamoDB").
ITEMS_PER_OBJECT = 100_000
GZIP_LEVEL = 6


def imported_key_item(
    namespace: str, key: str, value: JsonValue, timestamp: str, expires: int | None
) -> Item:
    """A key's item, on the wire, exactly as `put_key` writes a new key (its own random write id);
    InvalidInputError for a bad key, value or an item over 400 KB."""
    attributes = new_key_item(
        kd.namespace_partition_key(namespace), kd.key_sort_key(key), to_storable(value), timestamp, expires
    )
    attributes[WRITE_ID] = os.urandom(16).hex()  # as put_key names its write: 16 random bytes in hex
    item = serialize_item(attributes)
    check_item_size(item)
    return item


@dataclass(frozen=True)
class StagedObject:
    """One S3 object of the source: its number (from 1), gzip body, items and uncompressed bytes."""

    number: int
    body: bytes
    items: int
    raw_bytes: int

    @property
    def name(self) -> str:
        """The object's name under the staging prefix."""
        return f"part-{self.number:05d}.json.gz"


def staged_objects(
    entries: Iterable[tuple[str, JsonValue]],
    namespace: str,
    timestamp: str,
    expires: int | None,
    items_per_object: int = ITEMS_PER_OBJECT,
) -> Iterator[StagedObject]:
    """The source's objects, in order; a bad entry is InvalidEntryError with the entries before it."""
    number, items, raw, buffer = 0, 0, 0, io.BytesIO()
    writer = gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)
    done = 0
    for key, value in entries:
        try:
            line = item_line(imported_key_item(namespace, key, value, timestamp, expires))
        except InvalidInputError as error:
            raise InvalidEntryError(str(error), done, done + 1) from error
        writer.write(line)
        items, raw, done = items + 1, raw + len(line), done + 1
        if items == items_per_object:
            writer.close()
            number += 1
            yield StagedObject(number, buffer.getvalue(), items, raw)
            items, raw, buffer = 0, 0, io.BytesIO()
            writer = gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=GZIP_LEVEL, mtime=0)
    writer.close()
    if items:
        yield StagedObject(number + 1, buffer.getvalue(), items, raw)
