"""Key operations (kvtable/contract/keys.py), driven by hand with DynamoDB's answers: the UpdateItem a
write builds, a retried write recognizing its own item by writeId, the refusals, reads and counts."""

from typing import Any

import pytest

from kvtable.contract.instructions import Call, Sleep
from kvtable.contract.keys import KeyOperations
from kvtable.schema.errors import (
    AlreadyExistsError,
    ConnectionFailedError,
    InvalidInputError,
    ItemNotFoundError,
    VersionConflictError,
)
from tests.unit.contract.by_hand import NOW_SECONDS, TABLE, drive, service_error, table_requests

KEY = {"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#k"}}


def stored(value: str, version: int, write_id: str = "someone-else", **more: Any) -> dict[str, Any]:
    """A key item as DynamoDB returns it (ALL_NEW or ALL_OLD)."""
    return {
        **KEY,
        "value": {"S": value},
        "version": {"N": str(version)},
        "writeId": {"S": write_id},
        "createdAt": {"S": "2026-12-07T11:00:00.000000Z"},
        "updatedAt": {"S": "2026-12-07T12:00:00.000000Z"},
        **more,
    }


def keys() -> KeyOperations:
    return KeyOperations(table_requests())


def test_put_key_is_one_conditional_update_returning_the_key_as_stored() -> None:
    driven = drive(keys().put_key("ns", "k", "v"), {"Attributes": stored("v", 3)})
    [call] = driven.calls
    request = call.request
    assert call.operation == "UpdateItem"
    assert (request["TableName"], request["Key"], request["ReturnValues"]) == (TABLE, KEY, "ALL_NEW")
    assert request["ConditionExpression"].startswith(
        "(attribute_not_exists(#pk) OR attribute_not_exists(#ttl)"
    )
    assert request["ExpressionAttributeValues"][":now"] == {"N": str(NOW_SECONDS)}
    assert (driven.result["value"], driven.result["version"]) == ("v", 3)


def test_a_write_retried_after_a_lost_answer_sends_the_same_write_id_and_counts_once() -> None:
    operation = keys().create_key("ns", "k", "v")
    first = operation.send(None)
    write_id = first.request["ExpressionAttributeValues"][":a5"]["S"]  # type: ignore[union-attr]
    wait = operation.throw(ConnectionFailedError("reset after sending", sent=True))
    assert isinstance(wait, Sleep)
    retry = operation.send(None)
    assert isinstance(retry, Call) and retry.request is first.request  # type: ignore[union-attr]
    # The first try was applied: the retry's condition fails, and the item returned is this write's own.
    with pytest.raises(StopIteration) as done:
        operation.throw(service_error("ConditionalCheckFailedException", Item=stored("v", 1, write_id)))
    assert (done.value.value["version"], done.value.value["writeId"]) == (1, write_id)


def test_create_key_over_a_live_key_is_refused() -> None:
    with pytest.raises(AlreadyExistsError, match="key 'k' already exists in 'ns'"):
        drive(
            keys().create_key("ns", "k", "v"),
            service_error("ConditionalCheckFailedException", Item=stored("old", 2)),
        )


def test_compare_and_swap_at_another_version_says_the_version_stored() -> None:
    operation = keys().update_key("ns", "k", "v", expected_version=4)
    with pytest.raises(VersionConflictError) as conflict:
        drive(operation, service_error("ConditionalCheckFailedException", Item=stored("old", 6)))
    assert conflict.value.current_version == 6


def test_put_over_an_expired_key_writes_a_fresh_key_in_a_second_request() -> None:
    expired = stored("old", 5, ttl={"N": str(NOW_SECONDS - 10)})
    driven = drive(
        keys().put_key("ns", "k", "v"),
        service_error("ConditionalCheckFailedException", Item=expired),
        {"Attributes": stored("v", 1)},
    )
    assert driven.operations() == ["UpdateItem", "UpdateItem"]
    assert (
        driven.calls[1].request["ConditionExpression"].startswith("(attribute_exists(#pk) AND #ttl <= :now)")
    )
    assert driven.result["version"] == 1


def test_get_key_of_a_missing_or_expired_key_is_not_found() -> None:
    with pytest.raises(ItemNotFoundError, match=r"key 'k' in 'ns' not found$"):
        drive(keys().get_key("ns", "k"), {})
    expired = stored("v", 1, ttl={"N": str(NOW_SECONDS - 1)})
    with pytest.raises(ItemNotFoundError, match="expired"):
        drive(keys().get_key("ns", "k"), {"Item": expired})


def test_a_key_from_before_versions_reads_as_version_1() -> None:
    item = stored("v", 1)
    del item["version"]
    assert drive(keys().get_key("ns", "k", consistent=True), {"Item": item}).result["version"] == 1


def test_count_keys_adds_up_every_page() -> None:
    driven = drive(
        keys().count_keys("ns", "a"),
        {"Count": 3, "LastEvaluatedKey": KEY},
        {"Count": 2},
    )
    assert driven.result == 5
    assert driven.calls[1].request["ExclusiveStartKey"] == KEY
    assert driven.calls[0].request["Select"] == "COUNT"


@pytest.mark.parametrize("bad", [{"ttl": NOW_SECONDS}, {"ttl": 10**13}, {"ttl": "soon"}])
def test_a_bad_ttl_is_refused_before_any_request(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidInputError):
        drive(keys().put_key("ns", "k", "v", **bad))
