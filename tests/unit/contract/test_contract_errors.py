"""The contract's error mapping as a unit: DynamoDB's refusals in the shapes AWS documents, answered by
botocore's Stubber on botocore's request path (no engine, no network), each mapped to the project's
error with its data, and each retry counted.

Every answer is queued on the Stubber in order: a request the contract should not have sent raises
UnStubbedResponseError (which no contract mapping catches, so the test fails), and
`stub.assert_no_pending_responses()` proves that none of the queued answers was skipped. The same
mapping runs end to end against DynamoDB Local and the fault proxy in tests/engine/contract/test_faults.py; this layer
runs in `make unit`, in well under a second.

AWS's pages for the shapes used (each answer below names its own):
- TransactionCanceledException and its CancellationReasons, one per item in the request's order,
  `None` where that item did not fail:
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CancellationReason.html
- ConditionalCheckFailedException carrying the stored `Item` (ReturnValuesOnConditionCheckFailure=ALL_OLD):
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_DeleteItem.html
- throttling with its reasons (`reason`, `resource`):
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html (Errors)
- 5xx (InternalFailure, ServiceUnavailable), ThrottlingException, validation:
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html
  https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
- UnprocessedKeys / UnprocessedItems:
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html
  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.model import OperationModel
from botocore.stub import Stubber
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.schema.errors import (
    AlreadyExistsError,
    ConditionFailedError,
    InvalidInputError,
    ItemNotFoundError,
    KvTableError,
    NotOwnerError,
    PartialWriteError,
    RetriesExhaustedError,
    ServiceError,
    TableNotFoundError,
    VersionConflictError,
)

TABLE = "kv-storage-data"
TABLE_ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"
INDEX_ARN = f"{TABLE_ARN}/index/GSI1"
NOW = datetime(2026, 1, 1, tzinfo=UTC)
BUDGET = 2  # retry_attempts: every retried failure below is queued exactly this many times

Item = dict[str, Any]


# ----- an offline client, a store on botocore's path, and what it sent ----------------------------


def _offline_dynamodb() -> DynamoDBClient:
    """A DynamoDB client with throwaway credentials and an endpoint that never resolves (.invalid):
    the Stubber answers every call before anything is sent."""
    return boto3.client(
        "dynamodb",
        region_name="us-east-1",
        endpoint_url="https://dynamodb.offline.invalid",
        aws_access_key_id="offline",
        aws_secret_access_key="offline",
    )


@dataclass
class Offline:
    """A store answered by a Stubber, the requests it sent (operation, parameters) and its backoffs."""

    store: KvTable
    stub: Stubber
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    sleeps: list[float] = field(default_factory=list)

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.sent]


@pytest.fixture
def offline() -> Iterator[Offline]:
    client = _offline_dynamodb()
    sleeps: list[float] = []
    store = KvTable(
        client, TABLE, transport="botocore", sleep=sleeps.append, retry_attempts=BUDGET, clock=lambda: NOW
    )
    with Stubber(client) as stub:
        given = Offline(store, stub, sleeps=sleeps)

        def record(params: dict[str, Any], model: OperationModel, **_: Any) -> None:
            given.sent.append((model.name, copy.deepcopy(params)))

        client.meta.events.register("before-parameter-build.dynamodb", record)
        yield given


# ----- answers in AWS's shapes --------------------------------------------------------------------


def _cancelled(stub: Stubber, *codes: str) -> None:
    """TransactionCanceledException with one reason per item, in the request's order.
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_TransactWriteItems.html (Errors)
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_CancellationReason.html"""
    messages = {
        "ConditionalCheckFailed": "The conditional request failed",
        "TransactionConflict": "Transaction is ongoing for the item",
        "ThrottlingError": "Throughput exceeds the current capacity of your table or index.",
        "ProvisionedThroughputExceeded": "The level of configured provisioned throughput for the table was exceeded.",
    }
    reasons = [{"Code": code, **({"Message": messages[code]} if code in messages else {})} for code in codes]
    message = (
        f"Transaction cancelled, please refer cancellation reasons for specific reasons [{', '.join(codes)}]"
    )
    stub.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        service_message=message,
        http_status_code=400,
        modeled_fields={"Message": message, "CancellationReasons": reasons},
    )


def _nothing_under_the_name(stub: Stubber) -> None:
    """An empty Query answer: create_namespace's look at a name finds no item under it (a fresh name).
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_Query.html"""
    stub.add_response("query", {"Items": [], "Count": 0, "ScannedCount": 0})


def _condition_failed(stub: Stubber, method: str, item: Item | None = None) -> None:
    """ConditionalCheckFailedException, with the stored item when the request asked for ALL_OLD.
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html (ReturnValuesOnConditionCheckFailure, Errors)
    """
    fields: dict[str, Any] = {"message": "The conditional request failed"}
    if item is not None:
        fields["Item"] = item
    stub.add_client_error(
        method,
        service_error_code="ConditionalCheckFailedException",
        service_message="The conditional request failed",
        http_status_code=400,
        modeled_fields=fields,
    )


def _throttled(stub: Stubber, method: str, code: str, reasons: list[dict[str, str]]) -> None:
    """A throttling error with AWS's reasons: the model names the field `ThrottlingReasons` on
    ProvisionedThroughputExceededException and RequestLimitExceeded, `throttlingReasons` on
    ThrottlingException.
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_ThrottlingReason.html
    https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html (ThrottlingException)"""
    reasons_field = "throttlingReasons" if code == "ThrottlingException" else "ThrottlingReasons"
    message = "Throughput exceeds the current capacity of your table or index."
    stub.add_client_error(
        method,
        service_error_code=code,
        service_message=message,
        http_status_code=400,
        modeled_fields={"message": message, reasons_field: reasons},
    )


def _server_error(stub: Stubber, method: str, code: str = "InternalServerError", status: int = 500) -> None:
    """A 5xx. InternalServerError is modeled by DynamoDB (API_GetItem.html, Errors); InternalFailure (500)
    and ServiceUnavailable (503) are AWS's common errors (CommonErrors.html), with no modeled fields."""
    message = {503: "Service Unavailable"}.get(status, "Internal server error")
    stub.add_client_error(
        method,
        service_error_code=code,
        service_message=message,
        http_status_code=status,
        modeled_fields={"message": message} if code == "InternalServerError" else None,
    )


def _stored_key(version: int, *, write_id: str = "f" * 32, ttl: int | None = None) -> Item:
    """A key item as DynamoDB stores it (the contract's attribute names, docs/data-contract.md)."""
    item: Item = {
        "PK": {"S": "NS#ns"},
        "SK": {"S": "KEY#k"},
        "GSI1PK": {"S": "NS#ns"},
        "GSI1SK": {"S": "KEY#k"},
        "entityType": {"S": "KEY"},
        "value": {"S": "stored"},
        "createdAt": {"S": "2025-12-31T00:00:00.000Z"},
        "updatedAt": {"S": "2025-12-31T00:00:00.000Z"},
        "version": {"N": str(version)},
        "writeId": {"S": write_id},
    }
    if ttl is not None:
        item["ttl"] = {"N": str(ttl)}
    return item


def _key(name: str) -> Item:
    return {"PK": {"S": "NS#ns"}, "SK": {"S": f"KEY#{name}"}}


# ----- transactions: cancellation reasons by position ---------------------------------------------


@pytest.mark.parametrize(
    ("codes", "taken", "words"),
    [
        (("None", "ConditionalCheckFailed"), "api_key", "API key belongs to another user"),
        (("ConditionalCheckFailed", "None"), "user", "user 'alice' already exists"),
        # Both taken: the first item's failure is the one named.
        (("ConditionalCheckFailed", "ConditionalCheckFailed"), "user", "user 'alice' already exists"),
    ],
)
def test_create_user_names_what_is_taken_by_the_reasons_position(
    offline: Offline, codes: tuple[str, ...], taken: str, words: str
) -> None:
    _cancelled(offline.stub, *codes)
    with pytest.raises(AlreadyExistsError) as raised:
        offline.store.create_user("alice", "alice@example.com", "key-1")
    assert type(raised.value) is AlreadyExistsError
    assert raised.value.taken == taken
    assert words in str(raised.value)
    assert offline.operations() == ["TransactWriteItems"]  # a refusal is not retried
    offline.stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("codes", "error", "taken", "words"),
    [
        (("ConditionalCheckFailed", "None", "None"), ItemNotFoundError, None, "user 'alice' not found"),
        (
            ("None", "ConditionalCheckFailed", "None"),
            AlreadyExistsError,
            "namespace",
            "namespace 'ns' is taken",
        ),
        (
            ("None", "None", "ConditionalCheckFailed"),
            AlreadyExistsError,
            "namespace_link",
            "user 'alice' already links namespace 'ns'",
        ),
    ],
)
def test_create_namespace_maps_each_position(
    offline: Offline, codes: tuple[str, ...], error: type[KvTableError], taken: str | None, words: str
) -> None:
    _nothing_under_the_name(offline.stub)
    _cancelled(offline.stub, *codes)
    with pytest.raises(error) as raised:
        offline.store.create_namespace("alice", "ns")
    assert type(raised.value) is error
    assert getattr(raised.value, "taken", None) == taken
    assert words in str(raised.value)
    assert offline.operations() == ["Query", "TransactWriteItems"]
    offline.stub.assert_no_pending_responses()


def test_a_transaction_conflict_is_retried_with_the_same_token(offline: Offline) -> None:
    _cancelled(offline.stub, "None", "TransactionConflict")
    offline.stub.add_response("transact_write_items", {})
    user = offline.store.create_user("alice", "alice@example.com", "key-1")
    assert (user["userId"], user["apiKey"]) == ("alice", "key-1")
    assert offline.operations() == ["TransactWriteItems", "TransactWriteItems"]
    first, second = (request["ClientRequestToken"] for _, request in offline.sent)
    assert first == second  # DynamoDB applies a transaction once per token
    assert len(offline.sleeps) == 1  # backed off between the two tries
    offline.stub.assert_no_pending_responses()


def test_transaction_conflicts_past_the_budget(offline: Offline) -> None:
    _nothing_under_the_name(offline.stub)
    for _ in range(BUDGET):
        _cancelled(offline.stub, "TransactionConflict", "None", "None")
    with pytest.raises(RetriesExhaustedError) as raised:
        offline.store.create_namespace("alice", "ns")
    assert raised.value.maybe_applied is False
    assert raised.value.throttling_reasons == []
    message = str(raised.value)
    for words in ("create namespace", "transaction conflict", f"{BUDGET} tries", "nothing was written"):
        assert words in message
    assert offline.operations() == ["Query"] + ["TransactWriteItems"] * BUDGET
    offline.stub.assert_no_pending_responses()


@pytest.mark.parametrize("code", ["ThrottlingError", "ProvisionedThroughputExceeded"])
def test_a_transaction_cancelled_for_throttling_is_retried(offline: Offline, code: str) -> None:
    _cancelled(offline.stub, "None", code)
    offline.stub.add_response("transact_write_items", {})
    user = offline.store.create_user("alice", "alice@example.com", "key-1")
    assert user["userId"] == "alice"
    assert offline.operations() == ["TransactWriteItems", "TransactWriteItems"]
    offline.stub.assert_no_pending_responses()


# ----- failed conditions with the stored item -----------------------------------------------------


def test_compare_and_swap_against_another_version(offline: Offline) -> None:
    _condition_failed(offline.stub, "update_item", _stored_key(version=5))
    with pytest.raises(VersionConflictError) as raised:
        offline.store.update_key("ns", "k", "new", expected_version=2)
    assert raised.value.current_version == 5
    assert isinstance(raised.value, ConditionFailedError)
    assert "is at version 5, not 2" in str(raised.value)
    [(operation, request)] = offline.sent
    assert operation == "UpdateItem"
    assert request["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"  # what brings the version back
    offline.stub.assert_no_pending_responses()


@pytest.mark.parametrize("expected_version", [None, 3])
def test_update_of_a_missing_key(offline: Offline, expected_version: int | None) -> None:
    _condition_failed(offline.stub, "update_item")  # no item: nothing is stored there
    with pytest.raises(ItemNotFoundError) as raised:
        offline.store.update_key("ns", "k", "new", expected_version=expected_version)
    assert type(raised.value) is ItemNotFoundError
    assert "key 'k' not found in 'ns'" in str(raised.value)
    offline.stub.assert_no_pending_responses()


def test_compare_and_swap_on_an_expired_key_is_not_a_version_conflict(offline: Offline) -> None:
    expired = int(NOW.timestamp()) - 60  # DynamoDB deletes expired items only eventually
    _condition_failed(offline.stub, "update_item", _stored_key(version=5, ttl=expired))
    with pytest.raises(ItemNotFoundError) as raised:
        offline.store.update_key("ns", "k", "new", expected_version=2)
    assert type(raised.value) is ItemNotFoundError
    assert "key 'k' not found in 'ns'" in str(raised.value)
    offline.stub.assert_no_pending_responses()


def test_create_key_over_a_live_key(offline: Offline) -> None:
    _condition_failed(offline.stub, "update_item", _stored_key(version=1))
    with pytest.raises(AlreadyExistsError) as raised:
        offline.store.create_key("ns", "k", "new")
    assert raised.value.taken == "key"
    assert "key 'k' already exists in 'ns'" in str(raised.value)
    assert offline.operations() == ["UpdateItem"]
    offline.stub.assert_no_pending_responses()


@pytest.mark.parametrize("write", ["create_key", "update_key"])
def test_a_write_retried_after_a_lost_answer_recognizes_its_own_item(offline: Offline, write: str) -> None:
    """The first try's answer is lost (a 500: it may have been applied); the retry's condition fails
    and DynamoDB returns the stored item, which carries this write's own `writeId`
    (docs/data-contract.md, Compare-and-swap): the write is done, not a conflict."""
    stored = _stored_key(version=4)
    own_write_id: list[str] = []

    def echo_write_id(params: dict[str, Any], **_: Any) -> None:
        # The stored item is the one this write set: its writeId is the one in the request.
        found = re.search(r"\bwriteId = (:\w+)", params["UpdateExpression"])
        assert found is not None, f"no writeId in {params['UpdateExpression']!r}"
        stored["writeId"] = dict(params["ExpressionAttributeValues"][found.group(1)])
        own_write_id.append(stored["writeId"]["S"])

    offline.store.client.meta.events.register("before-parameter-build.dynamodb.UpdateItem", echo_write_id)
    _server_error(offline.stub, "update_item")
    _condition_failed(offline.stub, "update_item", stored)  # the same dict: filled in when it is sent
    if write == "create_key":
        item = offline.store.create_key("ns", "k", "new")
    else:
        item = offline.store.update_key("ns", "k", "new", expected_version=3)
    assert (item["version"], item["writeId"]) == (4, own_write_id[-1])
    assert len(set(own_write_id)) == 1  # both tries carried the same writeId
    assert offline.operations() == ["UpdateItem", "UpdateItem"]
    offline.stub.assert_no_pending_responses()


def test_delete_of_a_missing_key(offline: Offline) -> None:
    _condition_failed(offline.stub, "delete_item")
    with pytest.raises(ItemNotFoundError) as raised:
        offline.store.delete_key("ns", "k")
    assert "key 'k' not found in 'ns'" in str(raised.value)
    assert offline.operations() == ["DeleteItem"]
    offline.stub.assert_no_pending_responses()


def test_a_delete_whose_first_try_may_have_applied_takes_gone_as_done(offline: Offline) -> None:
    _server_error(offline.stub, "delete_item")
    _condition_failed(offline.stub, "delete_item")
    offline.store.delete_key("ns", "k")
    assert offline.operations() == ["DeleteItem", "DeleteItem"]
    offline.stub.assert_no_pending_responses()


def _namespace_metadata(owner: str) -> Item:
    return {
        "PK": {"S": "NS#ns"},
        "SK": {"S": "METADATA"},
        "GSI1PK": {"S": f"USER#{owner}"},
        "GSI1SK": {"S": "NS#ns"},
        "entityType": {"S": "NAMESPACE"},
        "createdAt": {"S": "2025-12-31T00:00:00.000Z"},
        "updatedAt": {"S": "2025-12-31T00:00:00.000Z"},
    }


def test_delete_namespace_by_a_user_who_does_not_own_it(offline: Offline) -> None:
    _condition_failed(offline.stub, "update_item", _namespace_metadata(owner="alice"))
    with pytest.raises(NotOwnerError) as raised:
        offline.store.delete_namespace("mallory", "ns")
    assert isinstance(raised.value, ConditionFailedError)
    assert "namespace 'ns' is not owned by user 'mallory'" in str(raised.value)
    assert "nothing was deleted" in str(raised.value)
    [(operation, request)] = offline.sent  # refused at the mark: no key was read or deleted
    assert operation == "UpdateItem"
    assert request["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD"
    offline.stub.assert_no_pending_responses()


def test_delete_namespace_that_does_not_exist(offline: Offline) -> None:
    _condition_failed(offline.stub, "update_item")
    with pytest.raises(ItemNotFoundError) as raised:
        offline.store.delete_namespace("alice", "ns")
    assert type(raised.value) is ItemNotFoundError
    assert "namespace 'ns' not found" in str(raised.value)
    assert offline.operations() == ["UpdateItem"]
    offline.stub.assert_no_pending_responses()


def test_delete_namespace_whose_owner_changed_while_deleting(offline: Offline) -> None:
    offline.stub.add_response("update_item", {})  # marked
    offline.stub.add_response("query", {"Items": [], "Count": 0, "ScannedCount": 0})  # no keys left
    _cancelled(offline.stub, "ConditionalCheckFailed", "None")
    with pytest.raises(NotOwnerError) as raised:
        offline.store.delete_namespace("alice", "ns")
    assert "changed owner while being deleted" in str(raised.value)
    assert offline.operations() == ["UpdateItem", "Query", "TransactWriteItems"]
    offline.stub.assert_no_pending_responses()


# ----- throttling, 5xx and the retry budget -------------------------------------------------------

THROTTLINGS = [
    (
        "ProvisionedThroughputExceededException",
        [
            {"reason": "TableReadKeyRangeThroughputExceeded", "resource": TABLE_ARN},
            {"reason": "TableReadProvisionedThroughputExceeded", "resource": TABLE_ARN},
        ],
    ),
    ("ThrottlingException", [{"reason": "TableReadKeyRangeThroughputExceeded", "resource": TABLE_ARN}]),
    ("RequestLimitExceeded", [{"reason": "IndexReadAccountLimitExceeded", "resource": INDEX_ARN}]),
]


@pytest.mark.parametrize(("code", "reasons"), THROTTLINGS)
def test_throttling_past_the_budget_keeps_aws_reasons(
    offline: Offline, code: str, reasons: list[dict[str, str]]
) -> None:
    for _ in range(BUDGET):
        _throttled(offline.stub, "get_item", code, reasons)
    with pytest.raises(RetriesExhaustedError) as raised:
        offline.store.get_key("ns", "k")
    assert raised.value.maybe_applied is False
    assert raised.value.throttling_reasons == reasons
    message = str(raised.value)
    first = reasons[0]
    for words in (
        code,
        f"{first['reason']} on {first['resource']}",
        f"{BUDGET} tries",
        "nothing was written",
    ):
        assert words in message
    assert offline.operations() == ["GetItem"] * BUDGET
    assert len(offline.sleeps) == BUDGET - 1  # backoff between tries, none after the last
    offline.stub.assert_no_pending_responses()


@pytest.mark.parametrize(("code", "reasons"), THROTTLINGS[:2])
def test_one_throttling_then_the_item(offline: Offline, code: str, reasons: list[dict[str, str]]) -> None:
    _throttled(offline.stub, "get_item", code, reasons)
    offline.stub.add_response("get_item", {"Item": _stored_key(version=3)})
    item = offline.store.get_key("ns", "k")
    assert (item["value"], item["version"]) == ("stored", 3)
    assert offline.operations() == ["GetItem", "GetItem"]
    offline.stub.assert_no_pending_responses()


@pytest.mark.parametrize(
    ("code", "status"),
    [("InternalServerError", 500), ("InternalFailure", 500), ("ServiceUnavailable", 503)],
)
def test_server_errors_past_the_budget_may_have_applied(offline: Offline, code: str, status: int) -> None:
    for _ in range(BUDGET):
        _server_error(offline.stub, "update_item", code, status)
    with pytest.raises(RetriesExhaustedError) as raised:
        offline.store.put_key("ns", "k", "new")
    assert raised.value.maybe_applied is True
    assert raised.value.throttling_reasons == []
    message = str(raised.value)
    for words in (
        f"server error {status} {code}",
        f"{BUDGET} tries",
        "may have been applied once",
        "read it back",
    ):
        assert words in message
    assert offline.operations() == ["UpdateItem"] * BUDGET
    offline.stub.assert_no_pending_responses()


def test_a_lost_answer_then_throttling_still_may_have_applied(offline: Offline) -> None:
    code, reasons = THROTTLINGS[0]
    _server_error(offline.stub, "update_item")
    _throttled(offline.stub, "update_item", code, reasons)
    with pytest.raises(RetriesExhaustedError) as raised:
        offline.store.put_key("ns", "k", "new")
    assert raised.value.maybe_applied is True  # the first try may have been applied
    assert raised.value.throttling_reasons == reasons
    assert "may have been applied once" in str(raised.value)
    offline.stub.assert_no_pending_responses()


def test_throttling_then_a_lost_answer_keeps_the_throttlings_reasons(offline: Offline) -> None:
    code, reasons = THROTTLINGS[0]
    _throttled(offline.stub, "update_item", code, reasons)
    _server_error(offline.stub, "update_item")
    with pytest.raises(RetriesExhaustedError) as raised:
        offline.store.put_key("ns", "k", "new")
    assert raised.value.maybe_applied is True
    assert raised.value.throttling_reasons == reasons  # the last throttling's, though the last try was a 500
    offline.stub.assert_no_pending_responses()


def test_service_unavailable_once_then_the_item(offline: Offline) -> None:
    _server_error(offline.stub, "get_item", "ServiceUnavailable", 503)
    offline.stub.add_response("get_item", {"Item": _stored_key(version=2)})
    assert offline.store.get_key("ns", "k")["version"] == 2
    assert offline.operations() == ["GetItem", "GetItem"]
    offline.stub.assert_no_pending_responses()


# ----- refusals that are not retried --------------------------------------------------------------


MISSING = f"Requested resource not found: Table: {TABLE} not found"
DENIED = "User: arn:aws:iam::123456789012:user/app is not authorized to perform: dynamodb:GetItem"
TOO_LARGE = "Item size to update has exceeded the maximum allowed size"


# Each sent once: the same request would be refused again. The pages: ValidationException in
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html,
# ResourceNotFoundException in https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html,
# AccessDeniedException in https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/CommonErrors.html.
@pytest.mark.parametrize(
    "refusal",
    [
        (
            "put_key",
            "update_item",
            "ValidationException",
            TOO_LARGE,
            InvalidInputError,
            "DynamoDB refused the request: ",
        ),
        (
            "get_key",
            "get_item",
            "AccessDeniedException",
            DENIED,
            KvTableError,
            "DynamoDB error AccessDeniedException: ",
        ),
    ],
)
def test_a_refusal_that_is_not_retried_keeps_aws_message(
    offline: Offline, refusal: tuple[str, str, str, str, type[KvTableError], str]
) -> None:
    read, method, code, aws_message, error, words = refusal
    offline.stub.add_client_error(method, service_error_code=code, service_message=aws_message)
    with pytest.raises(KvTableError) as raised:
        if read == "put_key":
            offline.store.put_key("ns", "k", "new")
        else:
            getattr(offline.store, read)("ns", "k")
    assert type(raised.value) is error  # InvalidInputError is also a ValueError, for callers that catch those
    assert words in str(raised.value) and aws_message in str(raised.value)
    assert len(offline.sent) == 1
    offline.stub.assert_no_pending_responses()


# A missing table, or a query on an index the table lacks: ResourceNotFoundException
# (https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_GetItem.html), and the
# ValidationException DynamoDB answers for an unknown IndexName (as DynamoDB Local answers it).
OFFLINE_WHERE = "https://dynamodb.offline.invalid (region us-east-1)"
POINT_AT = "point KvTable at the one that exists (its table_name and gsi_name, and the client's region and endpoint_url)"


@pytest.mark.parametrize(
    "case",
    [
        (
            "get_key",
            "get_item",
            "ResourceNotFoundException",
            MISSING,
            f"get key 'k' in 'ns': table {TABLE} does not exist in {OFFLINE_WHERE}; create it there, or {POINT_AT}",
            None,
            False,
        ),
        (
            "list_keys",
            "query",
            "ResourceNotFoundException",
            MISSING,
            f"query: table {TABLE} (queried on index GSI1) does not exist in {OFFLINE_WHERE}; create it there, "
            f"or {POINT_AT}",
            "GSI1",
            False,
        ),
        (
            "list_keys",
            "query",
            "ValidationException",
            "The table does not have the specified index: GSI1",
            f"query: table {TABLE} has no index GSI1 in {OFFLINE_WHERE}; create it there, or {POINT_AT}",
            "GSI1",
            True,
        ),
    ],
)
def test_a_missing_table_or_index_names_it_and_where_it_was_looked_for(
    offline: Offline, case: tuple[str, str, str, str, str, str | None, bool]
) -> None:
    read, method, code, aws_message, line, index, index_missing = case
    offline.stub.add_client_error(method, service_error_code=code, service_message=aws_message)
    with pytest.raises(TableNotFoundError) as raised:
        getattr(offline.store, read)("ns", "k")
    missing = raised.value
    assert str(missing) == line
    assert (missing.table, missing.index, missing.index_missing) == (TABLE, index, index_missing)
    assert (missing.region, missing.endpoint) == ("us-east-1", "https://dynamodb.offline.invalid")
    # AWS's own answer stays reachable, in the transport's shape (botocore's path translates its ClientError).
    assert isinstance(missing.__cause__, ServiceError)
    assert (missing.__cause__.code, missing.__cause__.message) == (code, aws_message)
    assert len(offline.sent) == 1  # never retried: the same request would be refused again


# ----- batches: unprocessed keys and items --------------------------------------------------------


def test_get_keys_with_keys_left_unprocessed_past_the_budget(offline: Offline) -> None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchGetItem.html (UnprocessedKeys)
    item_b = {**_key("b"), "entityType": {"S": "KEY"}, "value": {"N": "2"}}
    offline.stub.add_response(
        "batch_get_item",
        {"Responses": {TABLE: [item_b]}, "UnprocessedKeys": {TABLE: {"Keys": [_key("a")]}}},
    )
    offline.stub.add_response(
        "batch_get_item", {"Responses": {TABLE: []}, "UnprocessedKeys": {TABLE: {"Keys": [_key("a")]}}}
    )
    with pytest.raises(KvTableError) as raised:
        offline.store.get_keys("ns", ["a", "b"])
    assert type(raised.value) is KvTableError
    assert f"get keys: DynamoDB left 1 keys unread after {BUDGET} tries; ask again" in str(raised.value)
    (_, first), (_, second) = offline.sent
    assert first["RequestItems"][TABLE]["Keys"] == [_key("a"), _key("b")]
    assert second["RequestItems"][TABLE]["Keys"] == [_key("a")]  # only what was left
    offline.stub.assert_no_pending_responses()


def test_delete_keys_with_items_left_unprocessed_past_the_budget(offline: Offline) -> None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html (UnprocessedItems)
    left = {"UnprocessedItems": {TABLE: [{"DeleteRequest": {"Key": _key("b")}}]}}
    offline.stub.add_response("batch_write_item", left)
    offline.stub.add_response("batch_write_item", left)
    with pytest.raises(KvTableError) as raised:
        offline.store.delete_keys("ns", ["a", "b"])
    assert type(raised.value) is KvTableError
    assert f"delete keys: DynamoDB left 1 items unprocessed after {BUDGET} tries; run it again" in str(
        raised.value
    )
    (_, first), (_, second) = offline.sent
    assert len(first["RequestItems"][TABLE]) == 2
    assert second["RequestItems"][TABLE] == [{"DeleteRequest": {"Key": _key("b")}}]
    offline.stub.assert_no_pending_responses()


def test_load_keys_with_items_left_unprocessed_says_how_many_are_written(offline: Offline) -> None:
    # https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_BatchWriteItem.html (UnprocessedItems)
    entries = [(f"k{i:02}", i) for i in range(26)]  # a full batch of 25, then one
    offline.stub.add_response("batch_write_item", {"UnprocessedItems": {}})
    for _ in range(BUDGET):
        offline.stub.add_response(
            "batch_write_item",
            {"UnprocessedItems": {TABLE: [{"PutRequest": {"Item": {**_key("k25"), "value": {"N": "25"}}}}]}},
        )
    with pytest.raises(PartialWriteError) as raised:
        offline.store.load_keys("ns", entries)
    assert raised.value.written == 25
    message = str(raised.value)
    assert f"left 1 items unprocessed after {BUDGET} tries" in message
    assert "25 entries from the start are written" in message
    assert type(raised.value.__cause__) is KvTableError
    assert offline.operations() == ["BatchWriteItem"] * (1 + BUDGET)
    offline.stub.assert_no_pending_responses()


def test_load_keys_throttled_past_the_budget_keeps_the_cause(offline: Offline) -> None:
    code = "ProvisionedThroughputExceededException"
    reasons = [{"reason": "TableWriteKeyRangeThroughputExceeded", "resource": TABLE_ARN}]
    for _ in range(BUDGET):
        _throttled(offline.stub, "batch_write_item", code, reasons)
    with pytest.raises(PartialWriteError) as raised:
        offline.store.load_keys("ns", [("a", 1), ("b", 2)])
    assert raised.value.written == 0
    assert "0 entries from the start are written" in str(raised.value)
    cause = raised.value.__cause__
    assert isinstance(cause, RetriesExhaustedError)
    assert (cause.maybe_applied, cause.throttling_reasons) == (False, reasons)
    assert offline.operations() == ["BatchWriteItem"] * BUDGET
    offline.stub.assert_no_pending_responses()


def test_unprocessed_batches_back_off_only_between_tries(offline: Offline) -> None:
    left = {"UnprocessedItems": {TABLE: [{"DeleteRequest": {"Key": _key("a")}}]}}
    for _ in range(BUDGET):
        offline.stub.add_response("batch_write_item", left)
    with pytest.raises(KvTableError):
        offline.store.delete_keys("ns", ["a"])
    offline.stub.assert_no_pending_responses()
    assert len(offline.sleeps) == BUDGET - 1
