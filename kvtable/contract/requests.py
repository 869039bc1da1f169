"""Building and sending the contract's requests: one place for the error mapping, the retries within a
budget, the key map, the expiry conditions, and the base every kind of item's operations build on."""

from __future__ import annotations

import contextlib
import random
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
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
from kvtable.errors import (
    InvalidInputError,
    ItemNotFoundError,
    KvTableError,
    NotHomeRegionError,
    RetriesExhaustedError,
)
from kvtable.pagination import Page, check_page_size, decode_cursor, encode_cursor
from kvtable.values import (
    AttributeValue,
    deserialize_item,
)


class _KeepTtl:
    """The default of update_key's `ttl`: leave the stored TTL as it is."""

    def __repr__(self) -> str:
        return "KEEP_TTL"


KEEP_TTL = _KeepTtl()
WRITE_ID = "writeId"  # on key items: the id of the write that last changed the key
DELETING = "deleting"  # on a user's or a namespace's METADATA while its deletion runs
VERSION = "version"  # on key items: 1 when created, one more on every write
MAX_VERSION = 10**38 - 1  # the largest number DynamoDB keeps: sizes an item with its version at its longest
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


def _require_version(value: object) -> int:
    version = _require_whole("expected version", value)
    if not 1 <= version <= MAX_VERSION:
        raise InvalidInputError(
            f"expected version must be a version a key can have (1 or more), got {version}"
        )
    return version


class _Refused(KvTableError):  # noqa: N818 (a signal inside the contract, never raised to callers)
    """A write's condition failed; its cause carries the item DynamoDB returned (ALL_OLD), if any."""


def refused_item(refused: _Refused) -> dict[str, Any] | None:
    """The stored item a failed condition returned (ReturnValuesOnConditionCheckFailure=ALL_OLD)."""
    cause = refused.__cause__
    if isinstance(cause, ClientError) and "Item" in cause.response:
        return deserialize_item(cast(Item, cause.response["Item"]))  # type: ignore[typeddict-item]
    return None


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


class TableBase:
    """What every part of the contract shares: the client, the table, the clock, and the one place
    that sends a request (with its retries) and builds the requests the parts have in common."""

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
                Key=self._key_map(partition, sort),
                ConsistentRead=consistent,
            ),
        )
        if "Item" not in response:
            raise ItemNotFoundError(f"{what} not found")
        item = deserialize_item(cast(Item, response["Item"]))
        if not self._live(item):
            raise ItemNotFoundError(f"{what} not found (expired)")
        return item

    def _prefix_query(self, *, index: bool, partition: str, sort_prefix: str) -> dict[str, Any]:
        """A Query of the live items of one partition whose sort key begins with `sort_prefix`, on the
        GSI (`index`) or the table: what listing and counting share."""
        live_filter, names, values = self._live_filter()
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
        request = self._prefix_query(index=index, partition=partition, sort_prefix=sort_prefix)
        request.update({"Limit": page_size, "ConsistentRead": consistent})
        partition_attribute = kd.GSI1_PARTITION_KEY if index else kd.PARTITION_KEY
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

    def _put_new(self, item: Item) -> dict[str, Any]:
        return {
            "Put": {
                "TableName": self.table_name,
                "Item": item,
                "ConditionExpression": "attribute_not_exists(#pk)",
                "ExpressionAttributeNames": {"#pk": kd.PARTITION_KEY},
            }
        }

    @staticmethod
    def _key_map(partition: str, sort: str) -> Item:
        """The table key of an item: `PK` and `SK`."""
        return {kd.PARTITION_KEY: {"S": partition}, kd.SORT_KEY: {"S": sort}}


_TABLE_KEY_ATTRIBUTES = frozenset({kd.PARTITION_KEY, kd.SORT_KEY})
_INDEX_KEY_ATTRIBUTES = frozenset(kd.KEY_ATTRIBUTES)

# A key counts as absent when no item is there or its TTL has passed.
_KEY_ABSENT = "attribute_not_exists(#pk) OR #ttl <= :now"
_KEY_ABSENT_OR_LIVE = "attribute_not_exists(#pk) OR attribute_not_exists(#ttl) OR #ttl > :now"
_KEY_EXPIRED = "attribute_exists(#pk) AND #ttl <= :now"
_KEY_PRESENT = "attribute_exists(#pk) AND (attribute_not_exists(#ttl) OR #ttl > :now)"
