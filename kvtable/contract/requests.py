"""Building and sending the contract's requests: one place for the error mapping, the retries within a
budget, the key map, the expiry conditions, and the requests every kind of item's operations share."""

from __future__ import annotations

import contextlib
import functools
import re
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from kvtable import key_design as kd
from kvtable.errors import (
    ConnectionFailedError,
    DamagedAnswerError,
    InvalidInputError,
    InvalidRequestError,
    ItemNotFoundError,
    KvTableError,
    NotHomeRegionError,
    NotOwnerError,
    RetriesExhaustedError,
    ServiceError,
    TableNotFoundError,
    ThroughputCapError,
    TlsFailedError,
)
from kvtable.key_design import DELETING, FORMER_OWNER
from kvtable.pagination import Page, check_page_size, decode_cursor, encode_cursor
from kvtable.telemetry import hooks as telemetry  # telemetry hook
from kvtable.transport import Transport
from kvtable.values import (
    AttributeValue,
    deserialize_item,
)

if TYPE_CHECKING:
    from botocore.config import Config

    RECOMMENDED_CLIENT_CONFIG: Config


class KeepTtl:
    """The default of update_key's `ttl`: leave the stored TTL as it is."""

    def __repr__(self) -> str:
        return "KEEP_TTL"


KEEP_TTL = KeepTtl()
MAX_VERSION = 10**38 - 1  # the largest number DynamoDB keeps: sizes an item with its version at its longest
MAX_PLAUSIBLE_TTL = kd.MAX_PLAUSIBLE_TTL
Item = dict[str, AttributeValue]


def utc_now() -> datetime:
    """The time now, in UTC: the default clock."""
    return datetime.now(UTC)


def iso_timestamp(moment: datetime) -> str:
    """ISO 8601 UTC with milliseconds and a `Z`, as the design's samples."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def require_bool(name: str, value: object) -> bool:
    """`value` if it is true or false, else InvalidInputError naming it."""
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


def require_whole(name: str, value: object) -> int:
    """`value` if it is a whole number (not a bool), else InvalidInputError naming it."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInputError(f"{name} must be a whole number, got {value!r}")
    return value


class Refused(KvTableError):  # noqa: N818 (a signal inside the contract, never raised to callers)
    """A write's condition failed; its cause carries the item DynamoDB returned (ALL_OLD), if any."""


def refused_item(refused: Refused) -> dict[str, Any] | None:
    """The stored item a failed condition returned (ReturnValuesOnConditionCheckFailure=ALL_OLD)."""
    cause = refused.__cause__
    if isinstance(cause, ServiceError) and "Item" in cause.fields:
        return deserialize_item(cast(Item, cause.fields["Item"]))
    return None


def cancelled_item(refused: Refused, position: int) -> dict[str, Any] | None:
    """The stored item a cancelled transaction's failed condition at `position` returned (ALL_OLD), if any."""
    cause = refused.__cause__
    if not isinstance(cause, ServiceError):
        return None
    reasons = cast(list[dict[str, Any]], cause.fields.get("CancellationReasons", []))
    if position >= len(reasons) or "Item" not in reasons[position]:
        return None
    return deserialize_item(cast(Item, reasons[position]["Item"]))


def _cancellation_codes(error: ServiceError) -> list[str]:
    reasons = cast(list[dict[str, Any]], error.fields.get("CancellationReasons", []))
    return [str(reason.get("Code", "None")) for reason in reasons]


_THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)
# Cancellation reasons that mean an item of the transaction was throttled (API_TransactWriteItems.html).
_THROTTLED_CANCELLATIONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
# AWS's reasons when the on-demand maximum throughput, the cap, refused a request: Table or Index, Read or
# Write, then this (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html).
_CAP_REASON_SUFFIX = "MaxOnDemandThroughputExceeded"
_SERVER_ERROR_CODES = frozenset({"InternalServerError", "ServiceUnavailable", "InternalFailure"})
RETRY_ATTEMPTS = 8


def __getattr__(name: str) -> Any:
    # RECOMMENDED_CLIENT_CONFIG is botocore's Config: made when first asked for, so that the contract
    # imports no botocore (kvtable.connect's path never loads it).
    if name == "RECOMMENDED_CLIENT_CONFIG":
        return recommended_client_config()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@functools.cache
def recommended_client_config() -> Config:
    """What we recommend for the client under the contract: botocore's standard retry mode, few tries
    (the contract retries within its own budget, safely), and timeouts a request can live with."""
    from botocore.config import Config  # noqa: PLC0415 (botocore: not on `kvtable --help`'s nor `kvtable.connect`'s path)

    return Config(retries={"mode": "standard", "total_max_attempts": 3}, connect_timeout=2, read_timeout=5)


RETRY_BASE_SECONDS = 0.05
RETRY_CAP_SECONDS = 2.0


class _Retry(Exception):  # noqa: N818 (a signal between two functions here, never raised to callers)
    """A failure worth another try; `ambiguous` when the request may already have been applied."""

    def __init__(
        self, reason: str, ambiguous: bool, throttling_reasons: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(reason)
        self.reason, self.ambiguous = reason, ambiguous
        self.throttling_reasons = throttling_reasons or []


class _MissingTable(KvTableError):  # noqa: N818 (a signal between two functions here, never raised to callers)
    """DynamoDB answered that the table, or (`index_missing`) the index a query named, does not exist; `send`
    turns it into TableNotFoundError with the facts only it has (the request, the transport)."""

    def __init__(self, action: str, index_missing: bool) -> None:
        super().__init__(action)
        self.action, self.index_missing = action, index_missing


# DynamoDB's ValidationException for a query on an index the table lacks (the table itself exists).
_NO_SUCH_INDEX = "does not have the specified index"


def _endpoint_of(transport: Transport) -> str | None:
    """The URL a transport sends to: the direct transport's, or the boto3 client's behind botocore's path."""
    url = getattr(transport, "endpoint_url", None)
    if url is None:
        url = getattr(getattr(getattr(transport, "client", None), "meta", None), "endpoint_url", None)
    return None if url is None else str(url).rstrip("/")


def _throttling_reasons(error: ServiceError) -> list[dict[str, str]]:
    """AWS's reasons for a throttling (`reason`, `resource`), as the error carries them: its model
    spells the field `ThrottlingReasons`, or `throttlingReasons` on ThrottlingException."""
    reasons = error.fields.get("ThrottlingReasons") or error.fields.get("throttlingReasons") or []
    return [{str(k): str(v) for k, v in reason.items()} for reason in reasons if isinstance(reason, dict)]


def backoff(attempt: int) -> float:
    """Seconds to wait before try `attempt + 1`."""
    # Full jitter: concurrent clients that were throttled together do not retry together.
    import random  # noqa: PLC0415 (loaded at the first retry, not by every process)

    return random.uniform(0, min(RETRY_CAP_SECONDS, RETRY_BASE_SECONDS * 2**attempt))


@contextlib.contextmanager
def _dynamodb_errors(
    action: str,
    on_condition_failed: KvTableError | None = None,
    on_cancel: Sequence[KvTableError] = (),
) -> Iterator[None]:
    """Turn the transport's failures (kvtable.errors' transport shapes, whichever transport sent the
    request) into the project's errors, keeping the cause.

    A failed condition raises `on_condition_failed`; a cancelled transaction raises the error
    listed in `on_cancel` at the position of the first item whose condition failed.
    """
    try:
        yield
    except TlsFailedError as error:
        # A certificate that does not verify will not verify on the next try either.
        raise KvTableError(f"{action}: TLS to the endpoint failed: {error}") from error
    except ConnectionFailedError as error:
        if not error.sent:
            raise _Retry(f"could not connect ({error})", ambiguous=False) from error
        # The request may have reached DynamoDB before the answer was lost.
        raise _Retry(f"the connection dropped ({type(error).__name__})", ambiguous=True) from error
    except DamagedAnswerError as error:
        # The answer was damaged on the way: the request itself may have been applied.
        raise _Retry(f"the answer was damaged ({error})", ambiguous=True) from error
    except InvalidRequestError as error:
        # Input the checks above let through and botocore refused: still the caller's input.
        raise InvalidInputError(f"{action}: {error}") from error
    except ServiceError as error:
        raise _client_error(action, error, on_condition_failed, on_cancel) from error


def _client_error(
    action: str,
    error: ServiceError,
    on_condition_failed: KvTableError | None,
    on_cancel: Sequence[KvTableError],
) -> Exception:
    """The project's error (or a _Retry) for an error DynamoDB answered with."""
    code, message = error.code, error.message
    if code == "ConditionalCheckFailedException" and on_condition_failed is not None:
        return on_condition_failed
    if code in _THROTTLING_CODES:
        reasons = _throttling_reasons(error)
        named = "".join(
            f": {reason.get('reason', '?')} on {reason.get('resource', '?')}" for reason in reasons[:1]
        )
        if any(reason.get("reason", "").endswith(_CAP_REASON_SUFFIX) for reason in reasons):
            # The cap is the bill's bound, set on purpose: retrying only presses on it; the caller answers 429.
            return ThroughputCapError(
                f"{action}: the on-demand throughput cap is reached ({code}{named})", reasons
            )
        return _Retry(f"throttled ({code}{named})", ambiguous=False, throttling_reasons=reasons)
    status = error.status
    if status >= 500 or code in _SERVER_ERROR_CODES:
        return _Retry(f"server error {status} {code}", ambiguous=True)
    if code == "TransactionCanceledException":
        codes = _cancellation_codes(error)
        for reason, failure in zip(codes, on_cancel, strict=False):
            if reason == "ConditionalCheckFailed":
                return failure
        if "TransactionConflict" in codes:
            return _Retry("a transaction conflict", ambiguous=False)
        throttled = [reason for reason in codes if reason in _THROTTLED_CANCELLATIONS]
        if throttled:
            # Nothing was applied, and the ClientRequestToken makes the next try safe in any case.
            return _Retry(f"a transaction throttled ({throttled[0]})", ambiguous=False)
    if code == "ResourceNotFoundException":
        return _MissingTable(action, index_missing=False)
    if code == "ValidationException" and _NO_SUCH_INDEX in message:
        return _MissingTable(action, index_missing=True)
    if code == "ValidationException":
        return InvalidInputError(f"{action}: DynamoDB refused the request: {message}")
    return KvTableError(f"{action}: DynamoDB error {code}: {message}")


class TableRequests:
    """The one place that sends the contract's requests through a transport (with the retries within a
    budget) and builds the requests every kind of item's operations share, for one table and its GSI."""

    def __init__(
        self,
        transport: Transport,
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
        self.table_name = _require_name("table name", table_name)
        self.gsi_name = _require_name("index name", gsi_name)
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
        """Send one request, retrying throttling, server errors, dropped connections and transaction
        conflicts with backoff, up to `retry_attempts` tries. Every write sent through here is safe to
        repeat (idempotent, or a transaction whose ClientRequestToken DynamoDB recognizes), so a retry
        never applies it twice. `done_if_gone`: a delete whose condition fails after an attempt that may
        have been applied is done (its own first attempt deleted the item), and answers an empty dict."""
        maybe_applied, reason = False, ""
        throttling_reasons: list[dict[str, str]] = []
        for attempt in range(self.retry_attempts):
            try:
                with _dynamodb_errors(action, on_condition_failed, on_cancel):
                    return self.transport.call(operation, request)
            except _Retry as retry:
                telemetry.retrying(operation, attempt, self.retry_attempts, retry)  # telemetry hook
                maybe_applied, reason = maybe_applied or retry.ambiguous, retry.reason
                # Kept from the last throttling, even when a later try failed another way.
                throttling_reasons = retry.throttling_reasons or throttling_reasons
            except _MissingTable as missing:
                raise self.table_not_found(missing, request) from missing.__cause__
            except ItemNotFoundError as error:
                # botocore may have retried inside this try too: then an earlier send may have applied it.
                cause = error.__cause__
                retried = isinstance(cause, ServiceError) and cause.retry_attempts > 0
                if done_if_gone and (maybe_applied or retried):
                    return {}
                raise
            if attempt + 1 < self.retry_attempts:
                self._sleep(backoff(attempt))
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

    def table_not_found(self, missing: _MissingTable, request: dict[str, Any]) -> TableNotFoundError:
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
        if seconds > MAX_PLAUSIBLE_TTL:
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

    def get(self, partition: str, sort: str, consistent: bool, what: str) -> dict[str, Any]:
        """One live item (GetItem); ItemNotFoundError naming `what` if it is missing or expired."""
        require_bool("consistent", consistent)
        response = self.send(
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
    ) -> Page[dict[str, Any]]:
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
        response = self.send("query", "Query", request)
        items = [deserialize_item(cast(Item, item)) for item in response.get("Items", [])]
        return Page(items, encode_cursor(cast(dict[str, Any] | None, response.get("LastEvaluatedKey"))))

    def batch_get(self, action: str, keys: list[Item], consistent: bool) -> Iterator[dict[str, Any]]:
        """The items at up to 100 table `keys` (one BatchGetItem), asking again for what DynamoDB leaves
        unprocessed; missing items are absent, expired ones are not filtered."""
        pending: dict[str, Any] = {self.table_name: {"Keys": keys, "ConsistentRead": consistent}}
        for attempt in range(self.retry_attempts):
            response = self.send(action, "BatchGetItem", {"RequestItems": pending})
            for item in response.get("Responses", {}).get(self.table_name, []):
                yield deserialize_item(cast(Item, item))
            pending = cast(dict[str, Any], response.get("UnprocessedKeys") or {})
            if not pending:
                return
            telemetry.unprocessed("BatchGetItem", attempt, self.retry_attempts, pending)  # telemetry hook
            # Unprocessed keys mean throttling: back off before asking for them again (not after the last try).
            if attempt + 1 < self.retry_attempts:
                self._sleep(backoff(attempt))
        left = len(pending[self.table_name]["Keys"])
        raise KvTableError(
            f"{action}: DynamoDB left {left} keys unread after {self.retry_attempts} tries; ask again"
        )

    # ----- writes --------------------------------------------------------

    def batch_write(self, action: str, requests: list[dict[str, Any]]) -> None:
        """One BatchWriteItem of up to 25 requests, retrying what DynamoDB leaves unprocessed."""
        pending: dict[str, Any] = {self.table_name: requests}
        for attempt in range(self.retry_attempts):
            response = self.send(action, "BatchWriteItem", {"RequestItems": pending})
            pending = cast(dict[str, Any], response.get("UnprocessedItems") or {})
            if not pending:
                return
            telemetry.unprocessed("BatchWriteItem", attempt, self.retry_attempts, pending)  # telemetry hook
            if attempt + 1 < self.retry_attempts:
                self._sleep(backoff(attempt))
        raise KvTableError(
            f"{action}: DynamoDB left {len(pending[self.table_name])} items unprocessed after "
            f"{self.retry_attempts} tries; run it again"
        )

    def transact(self, action: str, items: list[dict[str, Any]], on_cancel: list[KvTableError]) -> None:
        """Run a transaction; a failed condition raises the error listed at that item's position."""
        # One token for every try: DynamoDB applies a transaction once per token (for ten minutes).
        import uuid  # noqa: PLC0415 (uuid loads platform: paid at the first transaction, not at import)

        token = uuid.uuid4().hex
        self.send(
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

    def mark_deleting(self, partition: str, owner_partition: str | None, what: str, user_id: str) -> bool:
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
            self.send(
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
