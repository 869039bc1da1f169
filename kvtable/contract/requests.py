"""Building the contract's requests and deciding on their answers: the one place that asks for them to be
sent (sans I/O: it yields `Call` and `Sleep`, kvtable/contract/instructions.py), retrying within a budget,
and the requests every kind of item's operations share (the key map, the expiry conditions, queries,
batches and transactions)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, cast

from kvtable.contract import drive_sync
from kvtable.contract.clock import iso_timestamp, utc_now
from kvtable.contract.error_mapping import MissingTable, Refused, Retry, dynamodb_errors, refused_item
from kvtable.contract.instructions import Call, Operation, Sleep
from kvtable.contract.retries import RETRY_ATTEMPTS, backoff
from kvtable.contract.validation import require_bool, require_name, require_whole
from kvtable.schema import key_design as kd
from kvtable.schema.errors import (
    InvalidInputError,
    ItemNotFoundError,
    KvTableError,
    NotHomeRegionError,
    NotOwnerError,
    RetriesExhaustedError,
    ServiceError,
    TableNotFoundError,
)
from kvtable.schema.key_design import DELETING, FORMER_OWNER
from kvtable.schema.pagination import Page, check_page_size, decode_cursor, encode_cursor
from kvtable.schema.values import (
    AttributeValue,
    deserialize_item,
)
from kvtable.telemetry import hooks as telemetry  # telemetry hook
from kvtable.transport import Transport
from kvtable.transport.base import AsyncTransport

Item = dict[str, AttributeValue]


def _endpoint_of(transport: Transport | AsyncTransport) -> str | None:
    """The URL a transport sends to: the direct transport's, or the boto3 client's behind botocore's path."""
    url = getattr(transport, "endpoint_url", None)
    if url is None:
        url = getattr(getattr(getattr(transport, "client", None), "meta", None), "endpoint_url", None)
    return None if url is None else str(url).rstrip("/")


class TableRequests:
    """The one place that asks for the contract's requests to be sent (with the retries within a budget)
    and builds the requests every kind of item's operations share, for one table and its GSI. Its
    operations yield instructions; `transport` is only read for its region and endpoint, and by `send`
    and `batch_write`, which run an operation on the sync front (the migration runner's way)."""

    def __init__(
        self,
        transport: Transport | AsyncTransport,
        table_name: str = kd.DEFAULT_TABLE_NAME,
        gsi_name: str = kd.DEFAULT_GSI_NAME,
        *,
        clock: Callable[[], datetime] = utc_now,
        home_region: str | None = None,
        retry_attempts: int = RETRY_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`home_region`: on a global table, the one region where users, API keys and namespaces are
        created (uniqueness holds only within a region); elsewhere those creations are refused."""
        self.transport = transport
        self.table_name = require_name("table name", table_name)
        self.gsi_name = require_name("index name", gsi_name)
        self._clock = clock
        self.home_region = home_region
        self.retry_attempts = require_whole("retry attempts", retry_attempts)
        self._sleep = sleep

    # ----- helpers -------------------------------------------------------

    def require_home_region(self, what: str) -> None:
        """Refuse, before any request, a creation that must be unique across regions outside the home region."""
        region = self.transport.region
        if self.home_region is not None and region != self.home_region:
            raise NotHomeRegionError(
                f"{what} happen only in the home region {self.home_region}, and this client is in {region}: a "
                "global table checks uniqueness within one region only; send the request to the home region"
            )

    def run(self, operation: Operation[Any]) -> Any:
        """Run `operation` on the sync front: on this transport (a sync one), sleeping with `sleep`."""
        return drive_sync.run(operation, cast(Transport, self.transport), self._sleep)

    def send(
        self,
        action: str,
        operation: str,
        request: dict[str, Any],
        *,
        on_condition_failed: KvTableError | None = None,
        on_cancel: Sequence[KvTableError] = (),
        done_if_gone: bool = False,
    ) -> dict[str, Any]:
        """Send one request now on the sync front, as `exchange` says; its answer."""
        exchange = self.exchange(
            action,
            operation,
            request,
            on_condition_failed=on_condition_failed,
            on_cancel=on_cancel,
            done_if_gone=done_if_gone,
        )
        return cast(dict[str, Any], self.run(exchange))

    def batch_write(self, action: str, requests: list[dict[str, Any]]) -> None:
        """Run one BatchWriteItem now on the sync front, as `write_batch` does it."""
        self.run(self.write_batch(action, requests))

    def exchange(
        self,
        action: str,
        operation: str,
        request: dict[str, Any],
        *,
        on_condition_failed: KvTableError | None = None,
        on_cancel: Sequence[KvTableError] = (),
        done_if_gone: bool = False,
    ) -> Operation[dict[str, Any]]:
        """One request, retrying throttling, server errors, dropped connections and transaction
        conflicts with backoff, up to `retry_attempts` tries. Every write sent through here is safe to
        repeat (idempotent, or a transaction whose ClientRequestToken DynamoDB recognizes), so a retry
        never applies it twice. `done_if_gone`: a delete whose condition fails after an attempt that may
        have been applied is done (its own first attempt deleted the item), and answers an empty dict."""
        maybe_applied, reason = False, ""
        throttling_reasons: list[dict[str, str]] = []
        for attempt in range(self.retry_attempts):
            try:
                with dynamodb_errors(action, on_condition_failed, on_cancel):
                    return cast(dict[str, Any], (yield Call(operation, request)))
            except Retry as retry:
                telemetry.retrying(operation, attempt, self.retry_attempts, retry)  # telemetry hook
                maybe_applied, reason = maybe_applied or retry.ambiguous, retry.reason
                # Kept from the last throttling, even when a later try failed another way.
                throttling_reasons = retry.throttling_reasons or throttling_reasons
            except MissingTable as missing:
                raise self.table_not_found(missing, request) from missing.__cause__
            except ItemNotFoundError as error:
                # botocore may have retried inside this try too: then an earlier send may have applied it.
                cause = error.__cause__
                retried = isinstance(cause, ServiceError) and cause.retry_attempts > 0
                if done_if_gone and (maybe_applied or retried):
                    return {}
                raise
            if attempt + 1 < self.retry_attempts:
                yield Sleep(backoff(attempt))
        written = (
            "it may have been applied once (an answer was lost); read it back to know"
            if maybe_applied
            else "nothing was written"
        )
        raise RetriesExhaustedError(
            f"{action}: DynamoDB did not succeed in {self.retry_attempts} tries ({reason}); {written}",
            maybe_applied,
            throttling_reasons,
        )

    def table_not_found(self, missing: MissingTable, request: dict[str, Any]) -> TableNotFoundError:
        """The error naming the table (and index) a request looked for, and where: the region and endpoint."""
        return TableNotFoundError(
            missing.action,
            str(request.get("TableName", self.table_name)),
            self.transport.region,
            _endpoint_of(self.transport),
            request.get("IndexName"),
            index_missing=missing.index_missing,
        )

    def now(self) -> tuple[str, int]:
        """The clock's time: as an ISO timestamp, and in epoch seconds."""
        moment = self._clock()
        return iso_timestamp(moment), int(moment.timestamp())

    def check_ttl(self, ttl: object) -> int:
        """`ttl` as epoch seconds in the future, or InvalidInputError."""
        seconds = require_whole("ttl", ttl)
        _, now = self.now()
        if seconds <= now:
            raise InvalidInputError(f"ttl {seconds} is not in the future (now is {now}); give epoch seconds")
        if seconds > kd.MAX_PLAUSIBLE_TTL:
            # Milliseconds or microseconds since the epoch are centuries ahead: such an item never expires.
            raise InvalidInputError(
                f"ttl {seconds} is after the year 3000: it looks like milliseconds or microseconds; "
                f"give epoch seconds (now is {now})"
            )
        return seconds

    def live(self, item: dict[str, Any]) -> bool:
        """Whether `item` has no TTL or one still ahead."""
        # DynamoDB deletes expired items only eventually, so reads filter them.
        ttl = item.get(kd.TTL_ATTRIBUTE)
        return ttl is None or ttl > self.now()[1]

    def live_filter(self) -> tuple[str, dict[str, str], dict[str, AttributeValue]]:
        """A FilterExpression keeping live items, with its names and values."""
        return (
            "attribute_not_exists(#ttl) OR #ttl > :now",
            {"#ttl": kd.TTL_ATTRIBUTE},
            {":now": {"N": str(self.now()[1])}},
        )

    # ----- reads ---------------------------------------------------------

    def get(self, partition: str, sort: str, consistent: bool, what: str) -> Operation[dict[str, Any]]:
        """One live item (GetItem); ItemNotFoundError naming `what` if it is missing or expired."""
        require_bool("consistent", consistent)
        response = yield from self.exchange(
            f"get {what}",
            "GetItem",
            {
                "TableName": self.table_name,
                "Key": self.key_map(partition, sort),
                "ConsistentRead": consistent,
            },
        )
        if "Item" not in response:
            raise ItemNotFoundError(f"{what} not found")
        item = deserialize_item(cast(Item, response["Item"]))
        if not self.live(item):
            raise ItemNotFoundError(f"{what} not found (expired)")
        return item

    def prefix_query(self, *, index: bool, partition: str, sort_prefix: str) -> dict[str, Any]:
        """A Query of the live items of one partition whose sort key begins with `sort_prefix`, on the
        GSI (`index`) or the table: what listing and counting share."""
        live_filter, names, values = self.live_filter()
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "FilterExpression": live_filter,
            "ExpressionAttributeNames": {
                "#pk": kd.GSI1_PARTITION_KEY if index else kd.PARTITION_KEY,
                "#sk": kd.GSI1_SORT_KEY if index else kd.SORT_KEY,
                **names,
            },
            "ExpressionAttributeValues": {":pk": {"S": partition}, ":prefix": {"S": sort_prefix}, **values},
        }
        if index:
            request["IndexName"] = self.gsi_name
        return request

    def query_page(
        self,
        *,
        index: bool,
        partition: str,
        sort_prefix: str,
        page_size: int,
        cursor: str | None,
        consistent: bool,
    ) -> Operation[Page[dict[str, Any]]]:
        """One page of the prefix query, from `cursor`."""
        check_page_size(page_size)
        require_bool("consistent", consistent)
        request = self.prefix_query(index=index, partition=partition, sort_prefix=sort_prefix)
        request.update({"Limit": page_size, "ConsistentRead": consistent})
        partition_attribute = kd.GSI1_PARTITION_KEY if index else kd.PARTITION_KEY
        if cursor is not None:
            key_attributes = _INDEX_KEY_ATTRIBUTES if index else _TABLE_KEY_ATTRIBUTES
            request["ExclusiveStartKey"] = decode_cursor(
                cursor, key_attributes, partition_attribute, partition
            )
        response = yield from self.exchange("query", "Query", request)
        items = [deserialize_item(cast(Item, item)) for item in response.get("Items", [])]
        return Page(items, encode_cursor(cast(dict[str, Any] | None, response.get("LastEvaluatedKey"))))

    def batch_get(self, action: str, keys: list[Item], consistent: bool) -> Operation[list[dict[str, Any]]]:
        """The items at up to 100 table `keys` (one BatchGetItem), asking again for what DynamoDB leaves
        unprocessed; missing items are absent, expired ones are not filtered."""
        pending: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": consistent}}
        items: list[dict[str, Any]] = []
        for attempt in range(self.retry_attempts):
            response = yield from self.exchange(action, "BatchGetItem", {"RequestItems": pending})
            for item in response.get("Responses", {}).get(self.table_name, []):
                items.append(deserialize_item(cast(Item, item)))
            pending = cast(dict[str, Any], response.get("UnprocessedKeys") or {})
            if not pending:
                return items
            telemetry.unprocessed("BatchGetItem", attempt, self.retry_attempts, pending)  # telemetry hook
            # Unprocessed keys mean throttling: back off before asking for them again (not after the last try).
            if attempt + 1 < self.retry_attempts:
                yield Sleep(backoff(attempt))
        left = len(pending[self.table_name]["Keys"])
        raise KvTableError(
            f"{action}: DynamoDB left {left} keys unread after {self.retry_attempts} tries; ask again"
        )

    # ----- writes --------------------------------------------------------

    def write_batch(self, action: str, requests: list[dict[str, Any]]) -> Operation[None]:
        """One BatchWriteItem of up to 25 requests, retrying what DynamoDB leaves unprocessed."""
        pending: dict[str, Any] = {self.table_name: requests}
        for attempt in range(self.retry_attempts):
            response = yield from self.exchange(action, "BatchWriteItem", {"RequestItems": pending})
            pending = cast(dict[str, Any], response.get("UnprocessedItems") or {})
            if not pending:
                return
            telemetry.unprocessed("BatchWriteItem", attempt, self.retry_attempts, pending)  # telemetry hook
            if attempt + 1 < self.retry_attempts:
                yield Sleep(backoff(attempt))
        raise KvTableError(
            f"{action}: DynamoDB left {len(pending[self.table_name])} items unprocessed after "
            f"{self.retry_attempts} tries; run it again"
        )

    def transact(
        self, action: str, items: list[dict[str, Any]], on_cancel: list[KvTableError]
    ) -> Operation[None]:
        """Run a transaction; a failed condition raises the error listed at that item's position."""
        # One token for every try: DynamoDB applies a transaction once per token (for ten minutes).
        import uuid  # noqa: PLC0415 (uuid loads platform: paid at the first transaction, not at import)

        token = uuid.uuid4().hex
        yield from self.exchange(
            action,
            "TransactWriteItems",
            {"TransactItems": items, "ClientRequestToken": token},
            on_cancel=on_cancel,
        )

    def put_new(self, item: Item) -> dict[str, Any]:
        """A transaction's Put of `item` where no item is yet."""
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY},
            }
        }

    def mark_deleting(
        self, partition: str, owner_partition: str | None, what: str, user_id: str
    ) -> Operation[bool]:
        """Set `deleting` on an item's METADATA (a user's, or a namespace owned by `owner_partition`); False,
        changing nothing, if it is the tombstone `user_id`'s own deletion of the namespace left."""
        names = {"#pk": kd.PARTITION_KEY, "#deleting": DELETING}
        values: dict[str, Any] = {":true": {"BOOL": True}, ":now": {"S": self.now()[0]}}
        condition = "attribute_exists(#pk)"
        if owner_partition is not None:
            condition += " AND #owner = :owner"
            names["#owner"] = kd.GSI1_PARTITION_KEY
            values[":owner"] = {"S": owner_partition}
        try:
            yield from self.exchange(
                f"delete {what}",
                "UpdateItem",
                {
                    "TableName": self.table_name,
                    "Key": self.key_map(partition, kd.METADATA),
                    "UpdateExpression": f"SET #deleting = :true, {kd.UPDATED_AT} = :now",
                    "ConditionExpression": condition,
                    "ExpressionAttributeNames": names,
                    "ExpressionAttributeValues": values,
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                },
                on_condition_failed=Refused(),
            )
        except Refused as refused:
            item = refused_item(refused)
            if item is not None and item.get(kd.ENTITY_TYPE_ATTRIBUTE) == kd.NAMESPACE_TOMBSTONE_ENTITY:
                # Already deleted: a re-run by its owner is done; anyone else sees no namespace.
                if item.get(FORMER_OWNER) == user_id:
                    return False
                item = None
            if item is None:
                raise ItemNotFoundError(f"{what} not found") from None
            raise NotOwnerError(f"{what} is not owned by user {user_id!r}; nothing was deleted") from None
        return True

    @staticmethod
    def key_map(partition: str, sort: str) -> Item:
        """The table key of an item: `PK` and `SK`."""
        return {kd.PARTITION_KEY: {"S": partition}, kd.SORT_KEY: {"S": sort}}


_TABLE_KEY_ATTRIBUTES = frozenset({kd.PARTITION_KEY, kd.SORT_KEY})
_INDEX_KEY_ATTRIBUTES = frozenset(kd.KEY_ATTRIBUTES)
