"""Keys: their reads and writes (pattern 5), listings by prefix (pattern 6), bulk loads."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Iterator
from functools import partial
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    pass

from kvtable import key_design as kd
from kvtable.contract.requests import (
    _BATCH_RETRIES,
    _BATCH_WRITE_LIMIT,
    _KEY_ABSENT,
    _KEY_ABSENT_OR_LIVE,
    _KEY_EXPIRED,
    _KEY_PRESENT,
    KEEP_TTL,
    WRITE_ID,
    Item,
    TableBase,
    _KeepTtl,
    _require_bool,
)
from kvtable.entities import (
    JsonValue,
    KeyItem,
)
from kvtable.errors import (
    AlreadyExistsError,
    ItemNotFoundError,
    KvTableError,
)
from kvtable.pagination import Page, every_item
from kvtable.values import (
    check_item_size,
    deserialize_item,
    serialize_item,
    serialize_value,
    to_storable,
)


def key_attributes(
    partition: str, sort: str, stored_value: object, timestamp: str, expires: int | None
) -> dict[str, object]:
    """A key item's attributes other than its primary key and createdAt (the part every key write sets)."""
    attributes: dict[str, object] = {
        kd.GSI1_PARTITION_KEY: partition,
        kd.GSI1_SORT_KEY: sort,
        "entityType": "KEY",
        "value": stored_value,
        "updatedAt": timestamp,
    }
    if expires is not None:
        attributes[kd.TTL_ATTRIBUTE] = expires
    return attributes


class KeyOperations(TableBase):
    """Access patterns 5 and 6, and bulk loads."""

    # ----- 5. key CRUD ---------------------------------------------------

    def _write_key(
        self,
        namespace: str,
        key: str,
        value: JsonValue,
        ttl: int | _KeepTtl | None,
        *,
        condition: str | None,
        fresh: bool = False,
    ) -> KeyItem:
        """One UpdateItem. `fresh`: the key starts anew (createdAt now); otherwise a live key keeps its
        createdAt. `ttl`: epoch seconds, None to clear it, or KEEP_TTL to leave it as stored."""
        partition = kd.namespace_partition_key(namespace)
        sort = kd.key_sort_key(key)
        stored_value = to_storable(value)
        keep_ttl = isinstance(ttl, _KeepTtl)
        expires = None if ttl is None or isinstance(ttl, _KeepTtl) else self._check_ttl(ttl)
        timestamp, now = self._now()
        attributes = key_attributes(partition, sort, stored_value, timestamp, expires)
        # Names this write, so that a retry after a lost answer recognizes its own item.
        attributes[WRITE_ID] = uuid.uuid4().hex
        full_item = serialize_item(
            {kd.PARTITION_KEY: partition, kd.SORT_KEY: sort, **attributes, "createdAt": timestamp}
        )
        check_item_size(full_item)

        names = {f"#a{i}": name for i, name in enumerate(attributes)}
        values = {f":a{i}": serialize_value(v) for i, v in enumerate(attributes.values())}
        sets = [f"#a{i} = :a{i}" for i in range(len(attributes))]
        # if_not_exists keeps a live key's createdAt on every later write; a fresh key starts now.
        sets.append("#created = :a_created" if fresh else "#created = if_not_exists(#created, :a_created)")
        names["#created"] = "createdAt"
        values[":a_created"] = {"S": timestamp}
        expression = "SET " + ", ".join(sets)
        if expires is None and not keep_ttl:
            names["#ttl"] = kd.TTL_ATTRIBUTE
            expression += " REMOVE #ttl"
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "Key": self._key_map(partition, sort),
            "UpdateExpression": expression,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ReturnValues": "ALL_NEW",
        }
        if condition is not None:
            names["#pk"] = kd.PARTITION_KEY
            names["#ttl"] = kd.TTL_ATTRIBUTE
            values[":now"] = {"N": str(now)}
            # `OR this write's own id`: a retry of a create whose first try was applied is not "taken".
            i = list(attributes).index(WRITE_ID)
            request["ConditionExpression"] = f"({condition}) OR #a{i} = :a{i}"
        failure: KvTableError = (
            AlreadyExistsError(f"key {key!r} already exists in {namespace!r}", "key")
            if condition == _KEY_ABSENT
            else ItemNotFoundError(f"key {key!r} not found in {namespace!r}")
        )
        response = self._send(
            "write key", lambda: self.client.update_item(**request), on_condition_failed=failure
        )
        return cast(KeyItem, deserialize_item(cast(Item, response["Attributes"])))

    def put_key(self, namespace: str, key: str, value: JsonValue, ttl: int | None = None) -> KeyItem:
        """Pattern 5 (create or replace): set the value and updatedAt, keep a live key's createdAt (a
        missing or expired key starts anew), set `ttl` or clear it (None), write the GSI copy."""
        try:
            # One request when the key is missing or live: the usual case.
            return self._write_key(namespace, key, value, ttl, condition=_KEY_ABSENT_OR_LIVE)
        except ItemNotFoundError:
            # The key is there but expired (DynamoDB deletes it only eventually): a new key replaces it.
            return self._write_key(namespace, key, value, ttl, condition=_KEY_EXPIRED, fresh=True)

    def create_key(self, namespace: str, key: str, value: JsonValue, ttl: int | None = None) -> KeyItem:
        """Pattern 5 (create): AlreadyExistsError if a live key is there; over an expired key, a new key
        (createdAt now, not the dead key's)."""
        return self._write_key(namespace, key, value, ttl, condition=_KEY_ABSENT, fresh=True)

    def update_key(
        self, namespace: str, key: str, value: JsonValue, ttl: int | _KeepTtl | None = KEEP_TTL
    ) -> KeyItem:
        """Pattern 5 (update): ItemNotFoundError unless a live key is there (an expired one is not).
        Keeps createdAt; keeps the stored TTL unless `ttl` is given (epoch seconds), or None to clear it."""
        return self._write_key(namespace, key, value, ttl, condition=_KEY_PRESENT)

    def get_key(self, namespace: str, key: str, consistent: bool = False) -> KeyItem:
        """Pattern 5 (read): `PK=NS#<namespace>, SK=KEY#<key>` (GetItem); expired keys are not found."""
        item = self._get(
            kd.namespace_partition_key(namespace),
            kd.key_sort_key(key),
            consistent,
            f"key {key!r} in {namespace!r}",
        )
        return cast(KeyItem, item)

    def delete_key(self, namespace: str, key: str) -> None:
        """Pattern 5 (delete); ItemNotFoundError if the key does not exist or has expired."""
        key_map = self._key_map(kd.namespace_partition_key(namespace), kd.key_sort_key(key))
        _, now = self._now()
        self._send(
            "delete key",
            lambda: self.client.delete_item(
                TableName=self.table_name,
                Key=key_map,
                ConditionExpression=_KEY_PRESENT,
                ExpressionAttributeNames={"#pk": kd.PARTITION_KEY, "#ttl": kd.TTL_ATTRIBUTE},
                ExpressionAttributeValues={":now": {"N": str(now)}},
            ),
            on_condition_failed=ItemNotFoundError(f"key {key!r} not found in {namespace!r}"),
            done_if_gone=True,
        )

    # ----- 6. list keys by prefix ----------------------------------------

    def list_keys(
        self,
        namespace: str,
        prefix: str = "",
        page_size: int = 100,
        cursor: str | None = None,
        consistent: bool = False,
    ) -> Page[KeyItem]:
        """Pattern 6, one page: on the GSI (`GSI1PK=NS#<ns>, GSI1SK begins_with KEY#<prefix>`),
        or on the table (`PK=NS#<ns>, SK begins_with KEY#<prefix>`) when `consistent`."""
        _require_bool("consistent", consistent)
        page = self._query_page(
            index=not consistent,
            partition=kd.namespace_partition_key(namespace),
            sort_prefix=kd.key_prefix_sort_key(prefix),
            page_size=page_size,
            cursor=cursor,
            consistent=consistent,
        )
        return cast(Page[KeyItem], page)

    def iter_keys(
        self, namespace: str, prefix: str = "", page_size: int = 100, consistent: bool = False
    ) -> Iterator[KeyItem]:
        """Every live key with the prefix, streamed one page at a time."""
        return every_item(lambda cursor: self.list_keys(namespace, prefix, page_size, cursor, consistent))

    # ----- bulk load -----------------------------------------------------

    def load_keys(
        self, namespace: str, entries: Iterable[tuple[str, JsonValue]], ttl: int | None = None
    ) -> int:
        """Write many keys with BatchWriteItem (25 a request); returns how many were written.

        Every entry is checked before the first request, so bad input writes nothing.
        A bulk load replaces whole items: createdAt becomes now, even for a key that existed.
        """
        partition = kd.namespace_partition_key(namespace)
        expires = None if ttl is None else self._check_ttl(ttl)
        timestamp, _ = self._now()
        latest: dict[str, Item] = {}
        for key, value in entries:
            sort = kd.key_sort_key(key)
            attributes = key_attributes(partition, sort, to_storable(value), timestamp, expires)
            item = serialize_item(
                {kd.PARTITION_KEY: partition, kd.SORT_KEY: sort, **attributes, "createdAt": timestamp}
            )
            check_item_size(item)
            # DynamoDB refuses a batch naming one key twice; the last value wins, as with puts.
            latest[sort] = item
        items = list(latest.values())
        for start in range(0, len(items), _BATCH_WRITE_LIMIT):
            requests = [{"PutRequest": {"Item": item}} for item in items[start : start + _BATCH_WRITE_LIMIT]]
            self._batch_write(requests)
        return len(items)

    def _batch_write(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self.table_name: requests}
        for attempt in range(_BATCH_RETRIES):
            response = self._send("load keys", partial(self.client.batch_write_item, RequestItems=pending))
            pending = cast(dict[str, Any], response.get("UnprocessedItems") or {})
            if not pending:
                return
            # Unprocessed items mean throttling: back off before retrying them.
            time.sleep(min(0.05 * 2**attempt, 2.0))
        raise KvTableError(
            f"load keys: DynamoDB left {len(pending[self.table_name])} items unprocessed after "
            f"{_BATCH_RETRIES} tries; load them again"
        )
