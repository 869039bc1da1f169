"""Keys: their reads and writes (pattern 5), listings by prefix (pattern 6), and counts."""

from __future__ import annotations

import functools
import os
from typing import Any, NamedTuple, cast

from kvtable.contract.error_mapping import Refused, refused_item
from kvtable.contract.instructions import Operation
from kvtable.contract.requests import (
    Item,
    TableRequests,
)
from kvtable.contract.validation import require_bool, require_whole
from kvtable.schema import key_design as kd
from kvtable.schema.entities import (
    JsonValue,
    KeyItem,
)
from kvtable.schema.errors import (
    AlreadyExistsError,
    InvalidInputError,
    ItemNotFoundError,
    VersionConflictError,
)
from kvtable.schema.key_design import VERSION, WRITE_ID
from kvtable.schema.migrations import read_defaults
from kvtable.schema.pagination import DEFAULT_PAGE_SIZE, Page
from kvtable.schema.values import (
    AttributeValue,
    check_item_size,
    deserialize_item,
    serialize_item,
    to_storable,
)

# A key counts as absent when no item is there or its TTL has passed.
_KEY_ABSENT = "attribute_not_exists(#pk) OR #ttl <= :now"
_KEY_ABSENT_OR_LIVE = "attribute_not_exists(#pk) OR attribute_not_exists(#ttl) OR #ttl > :now"
_KEY_EXPIRED = "attribute_exists(#pk) AND #ttl <= :now"
_KEY_PRESENT = "attribute_exists(#pk) AND (attribute_not_exists(#ttl) OR #ttl > :now)"

# What a key that a backfill has not reached yet reads as (each migration says; kvtable/migrate/): a key
# written before versions existed reads as version 1.
_READ_DEFAULTS = read_defaults(kd.KEY_ENTITY)
_UNVERSIONED = cast(int, dict(_READ_DEFAULTS).get(VERSION, 0))


MAX_VERSION = 10**38 - 1  # the largest number DynamoDB keeps: sizes an item with its version at its longest


class KeepTtl:
    """The default of update_key's `ttl`: leave the stored TTL as it is."""

    def __repr__(self) -> str:
        return "KEEP_TTL"


KEEP_TTL = KeepTtl()


def upgraded(item: dict[str, Any]) -> dict[str, Any]:
    """`item` as the applied migrations make it: what they would set, filled in where it is missing."""
    for name, value in _READ_DEFAULTS:
        if name not in item:
            item[name] = value
    return item


def _require_version(value: object) -> int:
    version = require_whole("expected version", value)
    if not 1 <= version <= MAX_VERSION:
        raise InvalidInputError(
            f"expected version must be a version a key can have (1 or more), got {version}"
        )
    return version


def key_attributes(
    partition: str, sort: str, stored_value: object, timestamp: str, expires: int | None
) -> dict[str, object]:
    """A key item's attributes other than its primary key and createdAt (the part every key write sets)."""
    attributes: dict[str, object] = {
        kd.GSI1_PARTITION_KEY: partition,
        kd.GSI1_SORT_KEY: sort,
        kd.ENTITY_TYPE_ATTRIBUTE: kd.KEY_ENTITY,
        "value": stored_value,
        kd.UPDATED_AT: timestamp,
    }
    if expires is not None:
        attributes[kd.TTL_ATTRIBUTE] = expires
    return attributes


def new_key_item(
    partition: str, sort: str, stored_value: object, timestamp: str, expires: int | None = None
) -> dict[str, object]:
    """A key's whole item as a put that creates it writes it: version 1, created and updated now."""
    return {
        kd.PARTITION_KEY: partition,
        kd.SORT_KEY: sort,
        **key_attributes(partition, sort, stored_value, timestamp, expires),
        kd.CREATED_AT: timestamp,
        VERSION: 1,
    }


class _KeyWriteShape(NamedTuple):
    """What a key write's request holds besides its values: the same few shapes, every time."""

    update: str
    condition: str
    names: dict[str, str]
    placeholders: tuple[str, ...]


# DynamoDB reserves these words in expressions; the key item's other attribute names are used as they are.
_RESERVED = frozenset({"VALUE", "TTL", "VERSION"})


def _in_expression(name: str) -> str:
    return f"#{name}" if name.upper() in _RESERVED else name


@functools.lru_cache(maxsize=64)
def _key_write_shape(
    attributes: tuple[str, ...],
    *,
    condition: str,
    fresh: bool,
    remove_ttl: bool,
    compare_version: bool,
    or_unversioned: bool = False,
) -> _KeyWriteShape:
    """The UpdateExpression, ConditionExpression and names of a key write setting `attributes`: the few
    names an expression needs, as a hand-written request would have (each one costs botocore work)."""
    names = {"#pk": kd.PARTITION_KEY, "#ttl": kd.TTL_ATTRIBUTE, "#version": VERSION}
    names.update({_in_expression(name): name for name in attributes if _in_expression(name) != name})
    sets = [f"{_in_expression(name)} = :a{i}" for i, name in enumerate(attributes)]
    # if_not_exists keeps a live key's createdAt on every later write; a fresh key starts now.
    now = f":a{attributes.index(kd.UPDATED_AT)}"  # a new key's createdAt is its updatedAt
    created = kd.CREATED_AT
    sets.append(f"{created} = {now}" if fresh else f"{created} = if_not_exists({created}, {now})")
    if fresh:
        sets.append("#version = :one")
    elif or_unversioned:
        # A swap from 1 over an unversioned key (which reads as 1) makes it 2, as over a key at 1: were it 1,
        # a second swap from the same read would match too.
        sets.append("#version = if_not_exists(#version, :one) + :one")
    else:
        sets.append("#version = if_not_exists(#version, :zero) + :one")
    update = "SET " + ", ".join(sets) + (" REMOVE #ttl" if remove_ttl else "")
    i = attributes.index(WRITE_ID)
    # `AND not this write's own id`: a retry of a write an earlier try applied fails here, and the
    # item DynamoDB returns with the failure shows it was ours: the write counts once, version too.
    full_condition = f"({condition}) AND (attribute_not_exists({WRITE_ID}) OR {WRITE_ID} <> :a{i})"
    if compare_version:
        # `or_unversioned`: the version expected is the one an unversioned key reads as, so it matches too.
        full_condition += (
            " AND (#version = :expected OR attribute_not_exists(#version))"
            if or_unversioned
            else " AND #version = :expected"
        )
    return _KeyWriteShape(update, full_condition, names, tuple(f":a{i}" for i in range(len(attributes))))


def _written_attributes(
    partition: str, sort: str, stored_value: object, timestamp: str, expires: int | None
) -> tuple[Item, str]:
    """The attributes a key write sets, on the wire, and the id that names this write; InvalidInputError
    if the item would be too large as stored."""
    attributes = key_attributes(partition, sort, stored_value, timestamp, expires)
    # Names this write, so that a retry after a lost answer recognizes its own item.
    write_id = os.urandom(16).hex()
    attributes[WRITE_ID] = write_id
    wire = serialize_item(attributes)
    # Sized as stored: the key, these attributes, createdAt, and the version at its longest.
    check_item_size(
        {
            **TableRequests.key_map(partition, sort),
            **wire,
            kd.CREATED_AT: {"S": timestamp},
            VERSION: {"N": str(MAX_VERSION)},
        }
    )
    return wire, write_id


def _write_values(
    shape: _KeyWriteShape, wire: Item, now: int, fresh: bool, expected_version: int | None
) -> dict[str, AttributeValue]:
    """The ExpressionAttributeValues of a key write: its attributes' and the conditions' values."""
    values = dict(zip(shape.placeholders, wire.values(), strict=True))
    values.update({":one": {"N": "1"}, ":now": {"N": str(now)}})
    if not fresh and expected_version != _UNVERSIONED:
        values[":zero"] = {"N": "0"}
    if expected_version is not None:
        values[":expected"] = {"N": str(expected_version)}
    return values


class KeyOperations:
    """Access patterns 5 and 6, compare-and-swap, and counting a namespace's keys."""

    def __init__(self, requests: TableRequests) -> None:
        self.requests = requests

    # ----- 5. key CRUD ---------------------------------------------------

    def _write_key(
        self,
        namespace: str,
        key: str,
        value: JsonValue,
        ttl: int | KeepTtl | None,
        *,
        condition: str,
        fresh: bool = False,
        expected_version: int | None = None,
    ) -> Operation[KeyItem]:
        """One UpdateItem. `fresh`: the key starts anew (createdAt now, version 1); otherwise a live key
        keeps its createdAt and its version goes up by one. `ttl`: epoch seconds, None to clear it, or
        KEEP_TTL to leave it as stored. `expected_version`: write only if that version is stored."""
        partition = kd.namespace_partition_key(namespace)
        sort = kd.key_sort_key(key)
        if expected_version is not None:
            _require_version(expected_version)
        stored_value = to_storable(value)
        keep_ttl = isinstance(ttl, KeepTtl)
        expires = None if ttl is None or isinstance(ttl, KeepTtl) else self.requests.check_ttl(ttl)
        timestamp, now = self.requests.now()
        wire, write_id = _written_attributes(partition, sort, stored_value, timestamp, expires)
        shape = _key_write_shape(
            tuple(wire),
            condition=condition,
            fresh=fresh,
            remove_ttl=expires is None and not keep_ttl,
            compare_version=expected_version is not None,
            or_unversioned=expected_version == _UNVERSIONED,
        )
        request: dict[str, Any] = {
            "TableName": self.requests.table_name,
            "Key": self.requests.key_map(partition, sort),
            "UpdateExpression": shape.update,
            "ConditionExpression": shape.condition,
            "ExpressionAttributeNames": dict(shape.names),
            "ExpressionAttributeValues": _write_values(shape, wire, now, fresh, expected_version),
            "ReturnValues": "ALL_NEW",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            response = yield from self.requests.exchange(
                "write key", "UpdateItem", request, on_condition_failed=Refused()
            )
        except Refused as refused:
            return self._refused_write(
                refused_item(refused),
                write_id,
                condition,
                namespace=namespace,
                key=key,
                expected_version=expected_version,
            )
        written = deserialize_item(cast(Item, response["Attributes"]))
        if not fresh and written.get(VERSION) == 1 and written.get(kd.CREATED_AT) != timestamp:
            # A key from before versions (it was there, and this write counted it from 0): count it from 1.
            written = yield from self._count_from_one(request["Key"], write_id, written)
        return cast(KeyItem, written)

    def _refused_write(
        self,
        stored: dict[str, Any] | None,
        write_id: str,
        condition: str,
        *,
        namespace: str,
        key: str,
        expected_version: int | None,
    ) -> KeyItem:
        """A write whose condition failed: this write's own item (an earlier try of it applied), or the
        error that says why (the key exists, is at another version, or is not there)."""
        if stored is not None and stored.get(WRITE_ID) == write_id:
            return cast(KeyItem, stored)
        live = stored is not None and self.requests.live(stored)
        if condition == _KEY_ABSENT:
            raise AlreadyExistsError(f"key {key!r} already exists in {namespace!r}", "key") from None
        if live and expected_version is not None and stored is not None:
            current = int(upgraded(stored)[VERSION])
            raise VersionConflictError(
                f"key {key!r} in {namespace!r} is at version {current}, not {expected_version}; "
                "read it again and retry",
                current,
            ) from None
        raise ItemNotFoundError(f"key {key!r} not found in {namespace!r}") from None

    def _count_from_one(
        self, key_map: Item, write_id: str, written: dict[str, Any]
    ) -> Operation[dict[str, Any]]:
        """Version 2 for a key written before versions that a plain write just took to 1: it read as 1
        before that write (`upgraded`), so a swap from that read must not match after it. Left as it is
        if anyone wrote the key since. One more request, only on a key's first write after versions."""
        try:
            response = yield from self.requests.exchange(
                "write key",
                "UpdateItem",
                {
                    "TableName": self.requests.table_name,
                    "Key": key_map,
                    "UpdateExpression": "SET #version = :next",
                    "ConditionExpression": f"{WRITE_ID} = :mine AND #version = :one",
                    "ExpressionAttributeNames": {"#version": VERSION},
                    "ExpressionAttributeValues": {
                        ":next": {"N": str(_UNVERSIONED + 1)},
                        ":one": {"N": "1"},
                        ":mine": {"S": write_id},
                    },
                    "ReturnValues": "ALL_NEW",
                },
                on_condition_failed=Refused(),
            )
        except Refused:
            return written
        return deserialize_item(cast(Item, response["Attributes"]))

    def put_key(
        self, namespace: str, key: str, value: JsonValue, ttl: int | None = None
    ) -> Operation[KeyItem]:
        """Pattern 5 (create or replace): set the value and updatedAt, keep a live key's createdAt (a
        missing or expired key starts anew), set `ttl` or clear it (None), write the GSI copy."""
        try:
            # One request when the key is missing or live: the usual case.
            return (yield from self._write_key(namespace, key, value, ttl, condition=_KEY_ABSENT_OR_LIVE))
        except ItemNotFoundError:
            # The key is there but expired (DynamoDB deletes it only eventually): a new key replaces it.
            return (
                yield from self._write_key(namespace, key, value, ttl, condition=_KEY_EXPIRED, fresh=True)
            )

    def create_key(
        self, namespace: str, key: str, value: JsonValue, ttl: int | None = None
    ) -> Operation[KeyItem]:
        """Pattern 5 (create): AlreadyExistsError if a live key is there; over an expired key, a new key
        (createdAt now, not the dead key's)."""
        return (yield from self._write_key(namespace, key, value, ttl, condition=_KEY_ABSENT, fresh=True))

    def update_key(
        self,
        namespace: str,
        key: str,
        value: JsonValue,
        ttl: int | KeepTtl | None = KEEP_TTL,
        *,
        expected_version: int | None = None,
    ) -> Operation[KeyItem]:
        """Pattern 5 (update): ItemNotFoundError unless a live key is there (an expired one is not).
        Keeps createdAt; keeps the stored TTL unless `ttl` is given (epoch seconds), or None to clear it.
        With `expected_version`, writes only if that version is stored (compare-and-swap), else
        VersionConflictError carrying the version stored now."""
        return (
            yield from self._write_key(
                namespace, key, value, ttl, condition=_KEY_PRESENT, expected_version=expected_version
            )
        )

    def get_key(self, namespace: str, key: str, consistent: bool = False) -> Operation[KeyItem]:
        """Pattern 5 (read): `PK=NS#<namespace>, SK=KEY#<key>` (GetItem); expired keys are not found."""
        item = yield from self.requests.get(
            kd.namespace_partition_key(namespace),
            kd.key_sort_key(key),
            consistent,
            f"key {key!r} in {namespace!r}",
        )
        return cast(KeyItem, upgraded(item))

    def delete_key(self, namespace: str, key: str) -> Operation[None]:
        """Pattern 5 (delete); ItemNotFoundError if the key does not exist or has expired."""
        key_map = self.requests.key_map(kd.namespace_partition_key(namespace), kd.key_sort_key(key))
        _, now = self.requests.now()
        yield from self.requests.exchange(
            "delete key",
            "DeleteItem",
            {
                "TableName": self.requests.table_name,
                "Key": key_map,
                "ConditionExpression": _KEY_PRESENT,
                "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY, "#ttl": kd.TTL_ATTRIBUTE},
                "ExpressionAttributeValues": {":now": {"N": str(now)}},
            },
            on_condition_failed=ItemNotFoundError(f"key {key!r} not found in {namespace!r}"),
            done_if_gone=True,
        )

    # ----- 6. list keys by prefix ----------------------------------------

    def list_keys(
        self,
        namespace: str,
        prefix: str = "",
        page_size: int = DEFAULT_PAGE_SIZE,
        cursor: str | None = None,
        consistent: bool = False,
    ) -> Operation[Page[KeyItem]]:
        """Pattern 6, one page: on the GSI (`GSI1PK=NS#<ns>, GSI1SK begins_with KEY#<prefix>`),
        or on the table (`PK=NS#<ns>, SK begins_with KEY#<prefix>`) when `consistent`."""
        require_bool("consistent", consistent)
        page = yield from self.requests.query_page(
            index=not consistent,
            partition=kd.namespace_partition_key(namespace),
            sort_prefix=kd.key_prefix_sort_key(prefix),
            page_size=page_size,
            cursor=cursor,
            consistent=consistent,
        )
        for item in page.items:
            upgraded(item)
        return cast(Page[KeyItem], page)

    # ----- counting ------------------------------------------------------

    def count_keys(self, namespace: str, prefix: str = "", consistent: bool = False) -> Operation[int]:
        """How many live keys have the prefix, without reading their values out (Query, Select=COUNT,
        paged). DynamoDB still reads every item to count it, so it costs what listing them costs."""
        require_bool("consistent", consistent)
        request = self.requests.prefix_query(
            index=not consistent,
            partition=kd.namespace_partition_key(namespace),
            sort_prefix=kd.key_prefix_sort_key(prefix),
        )
        request.update({"Select": "COUNT", "ConsistentRead": consistent})
        count = 0
        while True:
            response = yield from self.requests.exchange("count keys", "Query", request)
            count += int(response.get("Count", 0))
            last = response.get("LastEvaluatedKey")
            if not last:
                return count
            request["ExclusiveStartKey"] = last
