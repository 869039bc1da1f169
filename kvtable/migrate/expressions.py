"""The requests a migration sends: its scan (a projection of only what it decides on, a filter for the
items it touches) and its conditional write of one item."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kvtable.contract.requests import Item
from kvtable.schema import key_design as kd
from kvtable.schema.migration import Migration
from kvtable.schema.values import serialize_value


class _Names:
    """One `#n<i>` placeholder per attribute name, whatever part of an expression uses it."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}

    def __call__(self, attribute: str) -> str:
        placeholder = self.names.get(attribute)
        if placeholder is None:
            placeholder = self.names[attribute] = f"#n{len(self.names)}"
        return placeholder

    def expression_names(self) -> dict[str, str]:
        return {placeholder: attribute for attribute, placeholder in self.names.items()}


def scan_request(table_name: str, migration: Migration, also: Iterable[str] = ()) -> dict[str, Any]:
    """A Scan of the items `migration` touches, projecting the key, its guard, what it reads and `also`
    (e.g. the indexes' keys a plan prices); with ReturnConsumedCapacity, so the run knows its read cost."""
    name = _Names()
    attributes = dict.fromkeys([kd.PARTITION_KEY, kd.SORT_KEY, migration.guard, *migration.reads, *also])
    projection = ", ".join(name(attribute) for attribute in attributes)
    if migration.entity_type is not None:
        touched = f"{name(kd.ENTITY_TYPE_ATTRIBUTE)} = :touched"
        value = migration.entity_type
    else:
        touched = f"begins_with({name(kd.PARTITION_KEY)}, :touched)"
        value = str(migration.key_prefix)
    return {
        "TableName": table_name,
        "ProjectionExpression": projection,
        "FilterExpression": touched,
        "ExpressionAttributeNames": name.expression_names(),
        "ExpressionAttributeValues": {":touched": {"S": value}},
        "ReturnConsumedCapacity": "TOTAL",
    }


def write_request(
    table_name: str, migration: Migration, scanned: Item, change: dict[str, Any]
) -> dict[str, Any]:
    """An UpdateItem setting `change` on the item `scanned`, only if it still exists, is unchanged since it
    was read (its guard as read, or still absent) and still needs it (the migration's own condition)."""
    name = _Names()
    values: dict[str, Any] = {}
    sets = []
    for i, (attribute, value) in enumerate(change.items()):
        sets.append(f"{name(attribute)} = :s{i}")
        values[f":s{i}"] = serialize_value(value)
    guard = name(migration.guard)
    seen = scanned.get(migration.guard)
    if seen is None:
        unchanged = f"attribute_not_exists({guard})"
    else:
        unchanged = f"{guard} = :seen"
        values[":seen"] = seen
    exists = f"attribute_exists({name(kd.PARTITION_KEY)})"  # an item deleted since: not made again
    return {
        "TableName": table_name,
        "Key": {kd.PARTITION_KEY: scanned[kd.PARTITION_KEY], kd.SORT_KEY: scanned[kd.SORT_KEY]},
        "UpdateExpression": "SET " + ", ".join(sets),
        "ConditionExpression": f"{exists} AND {unchanged} AND ({migration.still_needs_expression(name)})",
        "ExpressionAttributeNames": name.expression_names(),
        "ExpressionAttributeValues": values,
        "ReturnConsumedCapacity": "TOTAL",
    }
