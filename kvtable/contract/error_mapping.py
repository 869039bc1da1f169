"""Mapping the transport's failures and DynamoDB's error answers to the project's errors: which are
the caller's, which are worth another try (`Retry`), and which say the table or index is missing."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Sequence
from typing import Any, cast

from kvtable.schema.errors import (
    ConnectionFailedError,
    DamagedAnswerError,
    InvalidInputError,
    InvalidRequestError,
    KvTableError,
    ServiceError,
    ThroughputCapError,
    TlsFailedError,
)
from kvtable.schema.values import AttributeValue, deserialize_item


class Refused(KvTableError):  # noqa: N818 (a signal inside the contract, never raised to callers)
    """A write's condition failed; its cause carries the item DynamoDB returned (ALL_OLD), if any."""


def refused_item(refused: Refused) -> dict[str, Any] | None:
    """The stored item a failed condition returned (ReturnValuesOnConditionCheckFailure=ALL_OLD)."""
    cause = refused.__cause__
    if isinstance(cause, ServiceError) and "Item" in cause.fields:
        return deserialize_item(cast(dict[str, AttributeValue], cause.fields["Item"]))
    return None


def cancelled_item(refused: Refused, position: int) -> dict[str, Any] | None:
    """The stored item a cancelled transaction's failed condition at `position` returned (ALL_OLD), if any."""
    cause = refused.__cause__
    if not isinstance(cause, ServiceError):
        return None
    reasons = cast(list[dict[str, Any]], cause.fields.get("CancellationReasons", []))
    if position >= len(reasons) or "Item" not in reasons[position]:
        return None
    return deserialize_item(cast(dict[str, AttributeValue], reasons[position]["Item"]))


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


class Retry(Exception):  # noqa: N818 (a signal to TableRequests.send, never raised to callers)
    """A failure worth another try; `ambiguous` when the request may already have been applied."""

    def __init__(
        self, reason: str, ambiguous: bool, throttling_reasons: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(reason)
        self.reason, self.ambiguous = reason, ambiguous
        self.throttling_reasons = throttling_reasons or []


class MissingTable(KvTableError):  # noqa: N818 (a signal to TableRequests.send, never raised to callers)
    """DynamoDB answered that the table, or (`index_missing`) the index a query named, does not exist; `send`
    turns it into TableNotFoundError with the facts only it has (the request, the transport)."""

    def __init__(self, action: str, index_missing: bool) -> None:
        super().__init__(action)
        self.action, self.index_missing = action, index_missing


# DynamoDB's ValidationException for a query on an index the table lacks (the table itself exists).
_NO_SUCH_INDEX = "does not have the specified index"


def _throttling_reasons(error: ServiceError) -> list[dict[str, str]]:
    """AWS's reasons for a throttling (`reason`, `resource`), as the error carries them: its model
    spells the field `ThrottlingReasons`, or `throttlingReasons` on ThrottlingException."""
    reasons = error.fields.get("ThrottlingReasons") or error.fields.get("throttlingReasons") or []
    return [{str(k): str(v) for k, v in reason.items()} for reason in reasons if isinstance(reason, dict)]


@contextlib.contextmanager
def dynamodb_errors(
    action: str,
    on_condition_failed: KvTableError | None = None,
    on_cancel: Sequence[KvTableError] = (),
) -> Iterator[None]:
    """Turn the transport's failures (kvtable.schema.errors' transport shapes, whichever transport sent the
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
            raise Retry(f"could not connect ({error})", ambiguous=False) from error
        # The request may have reached DynamoDB before the answer was lost.
        raise Retry(f"the connection dropped ({type(error).__name__})", ambiguous=True) from error
    except DamagedAnswerError as error:
        # The answer was damaged on the way: the request itself may have been applied.
        raise Retry(f"the answer was damaged ({error})", ambiguous=True) from error
    except InvalidRequestError as error:
        # Input the checks above let through and botocore refused: still the caller's input.
        raise InvalidInputError(f"{action}: {error}") from error
    except ServiceError as error:
        raise client_error(action, error, on_condition_failed, on_cancel) from error


def client_error(
    action: str,
    error: ServiceError,
    on_condition_failed: KvTableError | None,
    on_cancel: Sequence[KvTableError],
) -> Exception:
    """The project's error (or a Retry) for an error DynamoDB answered with."""
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
        return Retry(f"throttled ({code}{named})", ambiguous=False, throttling_reasons=reasons)
    status = error.status
    if status >= 500 or code in _SERVER_ERROR_CODES:
        return Retry(f"server error {status} {code}", ambiguous=True)
    if code == "TransactionCanceledException":
        codes = _cancellation_codes(error)
        for reason, failure in zip(codes, on_cancel, strict=False):
            if reason == "ConditionalCheckFailed":
                return failure
        if "TransactionConflict" in codes:
            return Retry("a transaction conflict", ambiguous=False)
        throttled = [reason for reason in codes if reason in _THROTTLED_CANCELLATIONS]
        if throttled:
            # Nothing was applied, and the ClientRequestToken makes the next try safe in any case.
            return Retry(f"a transaction throttled ({throttled[0]})", ambiguous=False)
    if code == "ResourceNotFoundException":
        return MissingTable(action, index_missing=False)
    if code == "ValidationException" and _NO_SUCH_INDEX in message:
        return MissingTable(action, index_missing=True)
    if code == "ValidationException":
        return InvalidInputError(f"{action}: DynamoDB refused the request: {message}")
    return KvTableError(f"{action}: DynamoDB error {code}: {message}")
