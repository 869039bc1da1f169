"""The data contract: the six access patterns and the writes that keep the data true.

Each access pattern is one DynamoDB request. Input is checked before any
request; DynamoDB's refusals come back as `kvtable.errors` types.
"""

from __future__ import annotations

import contextlib
import random
import re
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, TypeVar, cast

from botocore.config import Config
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    HTTPClientError,
    ParamValidationError,
    ReadTimeoutError,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

from kvtable import key_design as kd
from kvtable.aws_errors import error_code, error_message
from kvtable.entities import (
    BILLING_PLANS,
    ApiKeyGuardItem,
    BillingPlan,
    JsonValue,
    KeyItem,
    NamespaceItem,
    NamespaceLinkItem,
    UserItem,
)
from kvtable.errors import (
    AlreadyExistsError,
    ConditionFailedError,
    InvalidInputError,
    ItemNotFoundError,
    KvTableError,
    NotHomeRegionError,
    RetriesExhaustedError,
)
from kvtable.pagination import Page, check_page_size, decode_cursor, encode_cursor, every_item
from kvtable.values import (
    AttributeValue,
    check_item_size,
    deserialize_item,
    serialize_item,
    serialize_value,
    to_storable,
)


class _KeepTtl:
    """The default of update_key's `ttl`: leave the stored TTL as it is."""

    def __repr__(self) -> str:
        return "KEEP_TTL"


KEEP_TTL = _KeepTtl()
WRITE_ID = "writeId"  # on key items: the id of the write that last changed the key
MAX_PLAUSIBLE_TTL = 32_503_680_000  # 3000-01-01T00:00:00Z in epoch seconds
Item = dict[str, AttributeValue]
T = TypeVar("T")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a `Z`, as the design's samples."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _require_text(name: str, value: object) -> str:
    if not isinstance(value, str) or value == "":
        raise InvalidInputError(f"{name} must be a non-empty string, got {value!r}")
    return value


def _require_bool(name: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be true or false, got {value!r}")
    return value


def _require_name(what: str, value: object) -> str:
    """A table or index name DynamoDB would take."""
    if (
        not isinstance(value, str)
        or not kd.NAME_MIN_LENGTH <= len(value) <= kd.NAME_MAX_LENGTH
        or not re.fullmatch(kd.NAME_PATTERN, value)
    ):
        raise InvalidInputError(
            f"{what} must be {kd.NAME_MIN_LENGTH} to {kd.NAME_MAX_LENGTH} characters of a-z, A-Z, 0-9, "
            f"'_', '.' or '-', got {value!r}"
        )
    return value


def _require_whole(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{name} must be a whole number, got {value!r}")
    return value


def _cancellation_codes(error: ClientError) -> list[str]:
    reasons = cast(list[dict[str, Any]], error.response.get("CancellationReasons", []))
    return [str(reason.get("Code", "None")) for reason in reasons]


_THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
_SERVER_ERROR_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure"})
RETRY_ATTEMPTS = 8
# What we recommend for the client under the contract: botocore's adaptive client-side retries, few
# of them (the contract retries within its own budget, safely), and timeouts a request can live with.
RECOMMENDED_CLIENT_CONFIG = Config(
    retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=2, read_timeout=5
)
RETRY_BASE_SECONDS = 0.05
RETRY_CAP_SECONDS = 2.0


class _Retry(Exception):  # noqa: N818 (a signal between two functions here, never raised to callers)
    """A failure worth another try; `ambiguous` when the request may already have been applied."""

    def __init__(self, reason: str, ambiguous: bool) -> None:
        super().__init__(reason)
        self.reason, self.ambiguous = reason, ambiguous


def _backoff(attempt: int) -> float:
    # Full jitter: concurrent clients that were throttled together do not retry together.
    return random.uniform(0, min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2**attempt))


@contextlib.contextmanager
def _dynamodb_errors(
    action: str,
    on_condition_failed: KvTableError | None = None,
    on_cancel: Sequence[KvTableError] = (),
) -> Iterator[None]:
    """Turn botocore's errors into the project's, keeping the cause.

    A failed condition raises `on_condition_failed`; a cancelled transaction raises the error
    listed in `on_cancel` at the position of the first item whose condition failed.
    """
    try:
        yield
    except (EndpointConnectionError, ConnectTimeoutError) as error:
        raise _Retry(f"could not connect ({error})", ambiguous=False) from error
    except (ConnectionClosedError, ReadTimeoutError, HTTPClientError) as error:
        # The request may have reached DynamoDB before the answer was lost.
        raise _Retry(f"the connection dropped ({type(error).__name__})", ambiguous=True) from error
    except ParamValidationError as error:
        # Input the checks above let through and botocore refused: still the caller's input.
        raise InvalidInputError(f"{action}: {error}") from error
    except ClientError as error:
        raise _client_error(action, error, on_condition_failed, on_cancel) from error


def _client_error(
    action: str,
    error: ClientError,
    on_condition_failed: KvTableError | None,
    on_cancel: Sequence[KvTableError],
) -> Exception:
    """The project's error (or a _Retry) for an error DynamoDB answered with."""
    code, message = error_code(error), error_message(error)
    if code == "ConditionalCheckFailedException" and on_condition_failed is not None:
        return on_condition_failed
    if code in _THROTTLING_CODES:
        return _Retry(f"throttled ({code})", ambiguous=False)
    status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    if status >= 500 or code in _SERVER_ERROR_CODES:
        return _Retry(f"server error {status} {code}", ambiguous=True)
    if code == "TransactionCanceledException":
        codes = _cancellation_codes(error)
        for reason, failure in zip(codes, on_cancel, strict=False):
            if reason == "ConditionalCheckFailed":
                return failure
        if "TransactionConflict" in codes:
            return _Retry("a transaction conflict", ambiguous=False)
    if code == "ResourceNotFoundException":
        return KvTableError(f"{action}: the table or index does not exist ({message})")
    if code == "ValidationException":
        return InvalidInputError(f"{action}: DynamoDB refused the request: {message}")
    return KvTableError(f"{action}: DynamoDB error {code}: {message}")


class KvTable:
    """The kvtable data contract over one DynamoDB table and its GSI."""

    def __init__(
        self,
        client: DynamoDBClient,
        table_name: str = kd.DEFAULT_TABLE_NAME,
        gsi_name: str = kd.DEFAULT_GSI_NAME,
        *,
        clock: Callable[[], datetime] = _utc_now,
        home_region: str | None = None,
        retry_attempts: int = RETRY_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`home_region`: on a global table, the one region where users, API keys and namespaces are
        created (uniqueness holds only within a region); elsewhere those creations are refused."""
        self.client = client
        self.table_name = _require_name("table name", table_name)
        self.gsi_name = _require_name("index name", gsi_name)
        self._clock = clock
        self.home_region = home_region
        self.retry_attempts = _require_whole("retry attempts", retry_attempts)
        self._sleep = sleep

    # ----- helpers -------------------------------------------------------

    def _require_home_region(self, what: str) -> None:
        """Refuse, before any request, a creation that must be unique across regions outside the home region."""
        region = self.client.meta.region_name
        if self.home_region is not None and region != self.home_region:
            raise NotHomeRegionError(
                f"{what} happen only in the home region {self.home_region}, and this client is in {region}: a "
                "global table checks uniqueness within one region only; send the request to the home region"
            )

    def _send(
        self,
        action: str,
        send: Callable[[], T],
        *,
        on_condition_failed: KvTableError | None = None,
        on_cancel: Sequence[KvTableError] = (),
        done_if_gone: bool = False,
    ) -> T:
        """Send one request, retrying throttling, server errors, dropped connections and transaction
        conflicts with backoff, up to `retry_attempts` tries. Every write sent through here is safe to
        repeat (idempotent, or a transaction whose ClientRequestToken DynamoDB recognizes), so a retry
        never applies it twice. `done_if_gone`: a delete whose condition fails after an attempt that may
        have been applied is done (its own first attempt deleted the item)."""
        maybe_applied, reason = False, ""
        for attempt in range(self.retry_attempts):
            try:
                with _dynamodb_errors(action, on_condition_failed, on_cancel):
                    return send()
            except _Retry as retry:
                maybe_applied, reason = maybe_applied or retry.ambiguous, retry.reason
            except ItemNotFoundError as error:
                # botocore may have retried inside this try too: then an earlier send may have applied it.
                cause = error.__cause__
                retried = isinstance(cause, ClientError) and bool(
                    cause.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
                )
                if done_if_gone and (maybe_applied or retried):
                    return cast(T, None)
                raise
            if attempt + 1 < self.retry_attempts:
                self._sleep(_backoff(attempt))
        written = (
            "it may have been applied once (an answer was lost); read it back to know"
            if maybe_applied
            else "nothing was written"
        )
        raise RetriesExhaustedError(
            f"{action}: DynamoDB did not succeed in {self.retry_attempts} tries ({reason}); {written}",
            maybe_applied,
        )

    def _now(self) -> tuple[str, int]:
        moment = self._clock()
        return iso_timestamp(moment), int(moment.timestamp())

    def _check_ttl(self, ttl: object) -> int:
        seconds = _require_whole("ttl", ttl)
        _, now = self._now()
        if seconds <= now:
            raise InvalidInputError(f"ttl {seconds} is not in the future (now is {now}); give epoch seconds")
        if seconds > MAX_PLAUSIBLE_TTL:
            # Milliseconds or microseconds since the epoch are centuries ahead: such an item never expires.
            raise InvalidInputError(
                f"ttl {seconds} is after the year 3000: it looks like milliseconds or microseconds; "
                f"give epoch seconds (now is {now})"
            )
        return seconds

    def _live(self, item: dict[str, Any]) -> bool:
        # DynamoDB deletes expired items only eventually, so reads filter them.
        ttl = item.get(kd.TTL_ATTRIBUTE)
        return ttl is None or ttl > self._now()[1]

    def _live_filter(self) -> tuple[str, dict[str, str], dict[str, AttributeValue]]:
        return (
            "attribute_not_exists(#ttl) OR #ttl > :now",
            {"#ttl": kd.TTL_ATTRIBUTE},
            {":now": {"N": str(self._now()[1])}},
        )

    def _get(self, partition: str, sort: str, consistent: bool, what: str) -> dict[str, Any]:
        _require_bool("consistent", consistent)
        response = self._send(
            f"get {what}",
            lambda: self.client.get_item(
                TableName=self.table_name,
                Key={kd.PARTITION_KEY: {"S": partition}, kd.SORT_KEY: {"S": sort}},
                ConsistentRead=consistent,
            ),
        )
        if "Item" not in response:
            raise ItemNotFoundError(f"{what} not found")
        item = deserialize_item(cast(Item, response["Item"]))
        if not self._live(item):
            raise ItemNotFoundError(f"{what} not found (expired)")
        return item

    def _query_page(
        self,
        *,
        index: bool,
        partition: str,
        sort_prefix: str,
        page_size: int,
        cursor: str | None,
        consistent: bool,
    ) -> Page[dict[str, Any]]:
        check_page_size(page_size)
        _require_bool("consistent", consistent)
        partition_attribute = kd.GSI1_PARTITION_KEY if index else kd.PARTITION_KEY
        sort_attribute = kd.GSI1_SORT_KEY if index else kd.SORT_KEY
        live_filter, names, values = self._live_filter()
        request: dict[str, Any] = {
            "TableName": self.table_name,
            "KeyConditionExpression": "#pk = :pk AND begins_with(#sk, :prefix)",
            "FilterExpression": live_filter,
            "ExpressionAttributeNames": {"#pk": partition_attribute, "#sk": sort_attribute, **names},
            "ExpressionAttributeValues": {
                ":pk": {"S": partition},
                ":prefix": {"S": sort_prefix},
                **values,
            },
            "Limit": page_size,
            "ConsistentRead": consistent,
        }
        if index:
            request["IndexName"] = self.gsi_name
        if cursor is not None:
            key_attributes = _INDEX_KEY_ATTRIBUTES if index else _TABLE_KEY_ATTRIBUTES
            request["ExclusiveStartKey"] = decode_cursor(
                cursor, key_attributes, partition_attribute, partition
            )
        response = self._send("query", lambda: self.client.query(**request))
        items = [deserialize_item(cast(Item, item)) for item in response.get("Items", [])]
        return Page(items, encode_cursor(cast(dict[str, Any] | None, response.get("LastEvaluatedKey"))))

    def _transact(self, action: str, items: list[dict[str, Any]], on_cancel: list[KvTableError]) -> None:
        """Run a transaction; a failed condition raises the error listed at that item's position."""
        # One token for every try: DynamoDB applies a transaction once per token (for ten minutes).
        token = uuid.uuid4().hex
        self._send(
            action,
            lambda: self.client.transact_write_items(
                TransactItems=cast(Any, items), ClientRequestToken=token
            ),
            on_cancel=on_cancel,
        )

    # ----- 1. get user by id ---------------------------------------------

    def get_user(self, user_id: str, consistent: bool = False) -> UserItem:
        """Pattern 1: `PK=USER#<id>, SK=METADATA` (GetItem)."""
        item = self._get(kd.user_partition_key(user_id), kd.METADATA, consistent, f"user {user_id!r}")
        return cast(UserItem, item)

    # ----- 2. get user by API key ----------------------------------------

    def get_user_by_api_key(self, api_key: str) -> UserItem:
        """Pattern 2: `GSI1PK=APIKEY#<key>, GSI1SK=METADATA` (Query on the GSI, eventually consistent)."""
        partition = kd.api_key_partition_key(api_key)
        response = self._send(
            "get user by API key",
            lambda: self.client.query(
                TableName=self.table_name,
                IndexName=self.gsi_name,
                KeyConditionExpression="#pk = :pk AND #sk = :sk",
                ExpressionAttributeNames={"#pk": kd.GSI1_PARTITION_KEY, "#sk": kd.GSI1_SORT_KEY},
                ExpressionAttributeValues={":pk": {"S": partition}, ":sk": {"S": kd.METADATA}},
            ),
        )
        items = response.get("Items", [])
        if not items:
            raise ItemNotFoundError("no user has that API key")
        return cast(UserItem, deserialize_item(cast(Item, items[0])))

    # ----- 3. list a user's namespaces -----------------------------------

    def list_user_namespaces(
        self, user_id: str, page_size: int = 100, cursor: str | None = None, consistent: bool = False
    ) -> Page[NamespaceLinkItem]:
        """Pattern 3: `PK=USER#<id>, SK begins_with NS#`, one page."""
        page = self._query_page(
            index=False,
            partition=kd.user_partition_key(user_id),
            sort_prefix=kd.NAMESPACE_PREFIX,
            page_size=page_size,
            cursor=cursor,
            consistent=consistent,
        )
        return cast(Page[NamespaceLinkItem], page)

    def iter_user_namespaces(
        self, user_id: str, page_size: int = 100, consistent: bool = False
    ) -> Iterator[NamespaceLinkItem]:
        """Every namespace link of a user, one page in memory at a time."""
        return every_item(lambda cursor: self.list_user_namespaces(user_id, page_size, cursor, consistent))

    # ----- 4. namespace metadata -----------------------------------------

    def get_namespace(self, namespace: str, consistent: bool = False) -> NamespaceItem:
        """Pattern 4: `PK=NS#<namespace>, SK=METADATA` (GetItem)."""
        item = self._get(
            kd.namespace_partition_key(namespace), kd.METADATA, consistent, f"namespace {namespace!r}"
        )
        return cast(NamespaceItem, item)

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
        attributes: dict[str, object] = {
            kd.GSI1_PARTITION_KEY: partition,
            kd.GSI1_SORT_KEY: sort,
            "entityType": "KEY",
            "value": stored_value,
            "updatedAt": timestamp,
            # Names this write, so that a retry after a lost answer recognizes its own item.
            WRITE_ID: uuid.uuid4().hex,
        }
        if expires is not None:
            attributes[kd.TTL_ATTRIBUTE] = expires
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
            "Key": {kd.PARTITION_KEY: {"S": partition}, kd.SORT_KEY: {"S": sort}},
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
        key_map = {
            kd.PARTITION_KEY: {"S": kd.namespace_partition_key(namespace)},
            kd.SORT_KEY: {"S": kd.key_sort_key(key)},
        }
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
            attributes: dict[str, object] = {
                kd.PARTITION_KEY: partition,
                kd.SORT_KEY: sort,
                kd.GSI1_PARTITION_KEY: partition,
                kd.GSI1_SORT_KEY: sort,
                "entityType": "KEY",
                "value": to_storable(value),
                "createdAt": timestamp,
                "updatedAt": timestamp,
            }
            if expires is not None:
                attributes[kd.TTL_ATTRIBUTE] = expires
            item = serialize_item(attributes)
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

    # ----- users, API keys, namespaces, counters -------------------------

    def create_user(
        self,
        user_id: str,
        email: str,
        api_key: str,
        plan: BillingPlan = "free",
        password_hash: str | None = None,
    ) -> UserItem:
        """Create a user and claim its API key in one transaction; AlreadyExistsError if either is taken."""
        self._require_home_region("user creations")
        partition = kd.user_partition_key(user_id)
        api_partition = kd.api_key_partition_key(api_key)
        _require_text("email", email)
        if plan not in BILLING_PLANS:
            raise InvalidInputError(f"plan must be one of {', '.join(BILLING_PLANS)}, got {plan!r}")
        timestamp, _ = self._now()
        user: UserItem = {
            "PK": partition,
            "SK": kd.METADATA,
            "GSI1PK": api_partition,
            "GSI1SK": kd.METADATA,
            "entityType": "USER",
            "userId": user_id,
            "email": email,
            "apiKey": api_key,
            "plan": plan,
            "requestCount": 0,
            "storageBytes": 0,
            "createdAt": timestamp,
            "updatedAt": timestamp,
        }
        if password_hash is not None:
            user["passwordHash"] = _require_text("password hash", password_hash)
        guard: ApiKeyGuardItem = {
            "PK": api_partition,
            "SK": kd.METADATA,
            "entityType": "APIKEY",
            "userId": user_id,
            "createdAt": timestamp,
        }
        user_item = serialize_item(dict(user))
        check_item_size(user_item)
        self._transact(
            "create user",
            [
                self._put_new(user_item),
                self._put_new(serialize_item(dict(guard))),
            ],
            [
                AlreadyExistsError(f"user {user_id!r} already exists", "user"),
                AlreadyExistsError("that API key belongs to another user; choose another", "api_key"),
            ],
        )
        return user

    def _put_new(self, item: Item) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY},
            }
        }

    def rotate_api_key(self, user_id: str, new_api_key: str) -> UserItem:
        """Give the user a new API key, releasing the old one, in one transaction."""
        self._require_home_region("API key rotations")
        new_partition = kd.api_key_partition_key(new_api_key)
        user = self.get_user(user_id, consistent=True)
        old_key = user.get("apiKey")
        if old_key == new_api_key:
            return user
        timestamp, _ = self._now()
        user_key = {kd.PARTITION_KEY: {"S": user["PK"]}, kd.SORT_KEY: {"S": kd.METADATA}}
        items: list[dict[str, Any]] = [
            {
                "Update": {
                    "TableName": self.table_name,
                    "Key": user_key,
                    "UpdateExpression": "SET apiKey = :new, #gpk = :gpk, #gsk = :meta, updatedAt = :now",
                    # Fails if another rotation got there first, so no key is leaked.
                    "ConditionExpression": "attribute_exists(#pk) AND "
                    + ("apiKey = :old" if old_key else "attribute_not_exists(apiKey)"),
                    "ExpressionAttributeNames": {
                        "#pk": kd.PARTITION_KEY,
                        "#gpk": kd.GSI1_PARTITION_KEY,
                        "#gsk": kd.GSI1_SORT_KEY,
                    },
                    "ExpressionAttributeValues": {
                        ":new": {"S": new_api_key},
                        ":gpk": {"S": new_partition},
                        ":meta": {"S": kd.METADATA},
                        ":now": {"S": timestamp},
                        **({":old": {"S": old_key}} if old_key else {}),
                    },
                }
            },
            self._put_new(
                serialize_item(
                    {
                        "PK": new_partition,
                        "SK": kd.METADATA,
                        "entityType": "APIKEY",
                        "userId": user_id,
                        "createdAt": timestamp,
                    }
                )
            ),
        ]
        errors: list[KvTableError] = [
            ConditionFailedError(f"user {user_id!r} changed while rotating its API key; try again"),
            AlreadyExistsError("that API key belongs to another user; choose another", "api_key"),
        ]
        if old_key:
            items.append(
                {
                    "Delete": {
                        "TableName": self.table_name,
                        "Key": {
                            kd.PARTITION_KEY: {"S": kd.api_key_partition_key(old_key)},
                            kd.SORT_KEY: {"S": kd.METADATA},
                        },
                        "ConditionExpression": "userId = :uid",
                        "ExpressionAttributeValues": {":uid": {"S": user_id}},
                    }
                }
            )
            errors.append(ConditionFailedError(f"the old API key of {user_id!r} is not held by it"))
        self._transact("rotate API key", items, errors)
        user.update(
            {"apiKey": new_api_key, "GSI1PK": new_partition, "GSI1SK": kd.METADATA, "updatedAt": timestamp}
        )
        return user

    def create_namespace(self, user_id: str, namespace: str) -> NamespaceItem:
        """Create a namespace and the user's link to it in one transaction; the name is taken once only."""
        self._require_home_region("namespace creations")
        user_partition = kd.user_partition_key(user_id)
        ns_partition = kd.namespace_partition_key(namespace)
        timestamp, _ = self._now()
        metadata: NamespaceItem = {
            "PK": ns_partition,
            "SK": kd.METADATA,
            "GSI1PK": user_partition,
            "GSI1SK": ns_partition,
            "entityType": "NAMESPACE",
            "createdAt": timestamp,
            "updatedAt": timestamp,
        }
        link: NamespaceLinkItem = {
            "PK": user_partition,
            "SK": ns_partition,
            "entityType": "NAMESPACE",
            "userId": user_id,
            "createdAt": timestamp,
            "updatedAt": timestamp,
        }
        self._transact(
            "create namespace",
            [
                {
                    "ConditionCheck": {
                        "TableName": self.table_name,
                        "Key": {kd.PARTITION_KEY: {"S": user_partition}, kd.SORT_KEY: {"S": kd.METADATA}},
                        "ConditionExpression": "attribute_exists(#pk)",
                        "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY},
                    }
                },
                self._put_new(serialize_item(dict(metadata))),
                self._put_new(serialize_item(dict(link))),
            ],
            [
                ItemNotFoundError(f"user {user_id!r} not found"),
                AlreadyExistsError(f"namespace {namespace!r} is taken", "namespace"),
                AlreadyExistsError(
                    f"user {user_id!r} already links namespace {namespace!r}", "namespace_link"
                ),
            ],
        )
        return metadata

    def add_usage(self, user_id: str, requests: int = 0, storage_bytes: int = 0) -> UserItem:
        """Add to the user's requestCount and storageBytes atomically, once however often it is retried
        (a transaction with a ClientRequestToken); returns the new totals (a consistent read after).

        requestCount only grows (a negative `requests` is refused); storageBytes may shrink but never
        below zero: a change that would take it there fails with ConditionFailedError and changes
        nothing (a condition in the same request, not a read first)."""
        _require_whole("requests", requests)
        _require_whole("storage bytes", storage_bytes)
        if requests < 0:
            raise InvalidInputError(
                f"requests must not be negative (requestCount only grows), got {requests}"
            )
        timestamp, _ = self._now()
        condition = "attribute_exists(#pk)"
        values: dict[str, AttributeValue] = {
            ":r": {"N": str(requests)},
            ":b": {"N": str(storage_bytes)},
            ":now": {"S": timestamp},
        }
        if storage_bytes < 0:
            condition += " AND storageBytes >= :shrink"
            values[":shrink"] = {"N": str(-storage_bytes)}
        missing = ItemNotFoundError(f"user {user_id!r} not found")
        too_small = ConditionFailedError(
            f"storageBytes of user {user_id!r} would go below zero; nothing was changed"
        )
        failure = too_small if storage_bytes < 0 else missing
        update = {
            "Update": {
                "TableName": self.table_name,
                "Key": {
                    kd.PARTITION_KEY: {"S": kd.user_partition_key(user_id)},
                    kd.SORT_KEY: {"S": kd.METADATA},
                },
                # ADD is applied by DynamoDB itself, so concurrent writers lose no increment; in a
                # transaction with a token, a retry after a lost answer does not add twice.
                "UpdateExpression": "ADD requestCount :r, storageBytes :b SET updatedAt = :now",
                "ConditionExpression": condition,
                "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY},
                "ExpressionAttributeValues": values,
            }
        }
        self._transact("add usage", [update], [failure])
        return self.get_user(user_id, consistent=True)


_BATCH_WRITE_LIMIT = 25
_TABLE_KEY_ATTRIBUTES = frozenset({kd.PARTITION_KEY, kd.SORT_KEY})
_INDEX_KEY_ATTRIBUTES = frozenset(kd.KEY_ATTRIBUTES)
_BATCH_RETRIES = 8

# A key counts as absent when no item is there or its TTL has passed.
_KEY_ABSENT = "attribute_not_exists(#pk) OR #ttl <= :now"
_KEY_ABSENT_OR_LIVE = "attribute_not_exists(#pk) OR attribute_not_exists(#ttl) OR #ttl > :now"
_KEY_EXPIRED = "attribute_exists(#pk) AND #ttl <= :now"
_KEY_PRESENT = "attribute_exists(#pk) AND (attribute_not_exists(#ttl) OR #ttl > :now)"
