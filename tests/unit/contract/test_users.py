"""User operations (kvtable/contract/users.py), driven by hand: the transactions they build, what a
cancelled transaction's reasons mean, the checks made before any request."""

import pytest

from kvtable.contract.namespaces import NamespaceOperations
from kvtable.contract.users import UserOperations
from kvtable.schema.errors import (
    AlreadyExistsError,
    ConditionFailedError,
    InvalidInputError,
    ItemNotFoundError,
    NotHomeRegionError,
)
from tests.unit.contract.by_hand import TABLE, drive, service_error, table_requests

USER = {
    "PK": {"S": "USER#u1"},
    "SK": {"S": "METADATA"},
    "userId": {"S": "u1"},
    "apiKey": {"S": "key-1"},
    "requestCount": {"N": "5"},
    "storageBytes": {"N": "100"},
}


def users(home_region: str | None = None) -> UserOperations:
    requests = table_requests(home_region=home_region)
    return UserOperations(requests, NamespaceOperations(requests))


def cancelled(*codes: str) -> Exception:
    return service_error(
        "TransactionCanceledException", CancellationReasons=[{"Code": code} for code in codes]
    )


def test_create_user_puts_the_user_and_its_api_key_guard_in_one_transaction() -> None:
    driven = drive(users().create_user("u1", "u1@example.com", "key-1"), {})
    [call] = driven.calls
    puts = [item["Put"] for item in call.request["TransactItems"]]
    assert call.operation == "TransactWriteItems" and len(call.request["ClientRequestToken"]) == 32
    assert [(put["TableName"], put["Item"]["PK"]["S"]) for put in puts] == [
        (TABLE, "USER#u1"),
        (TABLE, "APIKEY#key-1"),
    ]
    assert all(put["ConditionExpression"] == "attribute_not_exists(#pk)" for put in puts)
    assert driven.result["apiKey"] == "key-1"


def test_a_taken_api_key_is_told_apart_from_a_taken_user() -> None:
    with pytest.raises(AlreadyExistsError) as taken:
        drive(
            users().create_user("u1", "u1@example.com", "key-1"), cancelled("None", "ConditionalCheckFailed")
        )
    assert taken.value.taken == "api_key"
    with pytest.raises(AlreadyExistsError) as user:
        drive(
            users().create_user("u1", "u1@example.com", "key-1"), cancelled("ConditionalCheckFailed", "None")
        )
    assert user.value.taken == "user"


def test_creations_outside_the_home_region_are_refused_before_any_request() -> None:
    with pytest.raises(NotHomeRegionError, match="home region eu-west-1"):
        drive(users(home_region="eu-west-1").create_user("u1", "u1@example.com", "key-1"))


def test_add_usage_is_a_tokened_transaction_then_a_consistent_read() -> None:
    driven = drive(users().add_usage("u1", requests=2, storage_bytes=-50), {}, {"Item": USER})
    assert driven.operations() == ["TransactWriteItems", "GetItem"]
    update = driven.calls[0].request["TransactItems"][0]["Update"]
    assert update["ConditionExpression"] == "attribute_exists(#pk) AND storageBytes >= :shrink"
    assert update["ExpressionAttributeValues"][":shrink"] == {"N": "50"}
    assert driven.calls[1].request["ConsistentRead"] is True
    assert (driven.result["requestCount"], driven.result["storageBytes"]) == (5, 100)


def test_add_usage_below_zero_fails_saying_nothing_changed() -> None:
    with pytest.raises(ConditionFailedError, match="would go below zero; nothing was changed"):
        drive(users().add_usage("u1", storage_bytes=-500), cancelled("ConditionalCheckFailed"))


@pytest.mark.parametrize("bad", [{"requests": -1}, {"requests": 1.5}, {"storage_bytes": "9"}])
def test_bad_usage_is_refused_before_any_request(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        drive(users().add_usage("u1", **bad))  # type: ignore[arg-type]


def test_an_api_key_nobody_holds_is_not_found() -> None:
    driven_error = pytest.raises(ItemNotFoundError, match="no user has that API key")
    with driven_error:
        drive(users().get_user_by_api_key("key-9"), {"Items": [], "Count": 0})


def test_delete_user_refuses_while_it_owns_namespaces_before_marking_it() -> None:
    link = {"PK": {"S": "USER#u1"}, "SK": {"S": "NS#app"}, "userId": {"S": "u1"}}
    with pytest.raises(ConditionFailedError, match=r"still owns namespaces .*'app'"):
        drive(users().delete_user("u1"), {"Items": [link]})
