"""DynamoDB JSON lines, as an export writes them and an import reads them: one `{"Item": {...}}` an item
(a full export, an import's source), or `{"Keys", "NewImage", "OldImage"}` a change (an incremental
export), each attribute in DynamoDB's typed form (`{"S": "..."}`, `{"N": "12"}`, ...).

AWS's pages: "DynamoDB table export output format" (S3DataExport.Output.html) and "Import format
quotas and validation" / "DynamoDB JSON" (S3DataImport.Format.html)."""

from __future__ import annotations

import json
from typing import Any, cast

from kvtable.schema import key_design as kd
from kvtable.schema.entities import (
    ApiKeyGuardItem,
    KeyItem,
    NamespaceItem,
    NamespaceLinkItem,
    NamespaceTombstoneItem,
    UserItem,
)
from kvtable.schema.errors import InvalidInputError
from kvtable.schema.migrations import read_defaults
from kvtable.schema.values import AttributeValue, deserialize_item

Item = dict[str, AttributeValue]
Entity = UserItem | NamespaceItem | NamespaceLinkItem | NamespaceTombstoneItem | KeyItem | ApiKeyGuardItem

_KINDS = frozenset({"S", "N", "B", "BOOL", "NULL", "M", "L", "SS", "NS", "BS"})


def item_line(item: Item) -> bytes:
    """One item as a line of an import's DynamoDB JSON source (compact, UTF-8, ending in a newline)."""
    return json.dumps({"Item": item}, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"


def _checked_item(value: object, where: str) -> Item:
    """`value` if it is a DynamoDB JSON item with the key attributes; InvalidInputError otherwise."""
    if not isinstance(value, dict) or not value:
        raise InvalidInputError(f"{where}: the item is not a JSON object of attributes")
    for name, attribute in value.items():
        if not isinstance(attribute, dict) or len(attribute) != 1 or next(iter(attribute)) not in _KINDS:
            raise InvalidInputError(f'{where}: attribute {name!r} is not in DynamoDB JSON ({{"S": ...}})')
    for name in (kd.PARTITION_KEY, kd.SORT_KEY):
        if "S" not in value.get(name, {}):
            raise InvalidInputError(f"{where}: the item has no {name} string: not an item of this table")
    return cast(Item, value)


def line_item(line: bytes | str, where: str) -> Item | None:
    """The item a line of an export holds: a full export's `Item`, an incremental export's `NewImage`,
    or None for an incremental export's deletion (a line with `Keys` and no `NewImage`)."""
    try:
        record: Any = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise InvalidInputError(f"{where} is not JSON ({error})") from None
    if not isinstance(record, dict):
        raise InvalidInputError(f"{where} is not a JSON object")
    if "Item" in record:
        return _checked_item(record["Item"], where)
    if "NewImage" in record:
        return _checked_item(record["NewImage"], where)
    if "Keys" in record:
        return None
    raise InvalidInputError(f'{where} has neither "Item" nor "Keys": not a DynamoDB export line')


def entity(item: Item) -> Entity:
    """A stored item as the contract reads it: plain values, and what the applied migrations fill in on
    read (their read defaults) where the item lacks it."""
    plain = deserialize_item(item)
    entity_type = plain.get(kd.ENTITY_TYPE_ATTRIBUTE)
    if isinstance(entity_type, str):
        for name, value in read_defaults(entity_type):
            plain.setdefault(name, value)
    return cast(Entity, plain)
