"""Namespace operations (kvtable/contract/namespaces.py), driven by hand: a deletion's steps and its
batches, a re-run finding the tombstone, pattern 4 refusing a namespace being deleted."""

import pytest

from kvtable.contract.namespaces import NamespaceOperations
from kvtable.schema.errors import NamespaceUnavailableError, NotOwnerError
from tests.unit.contract.by_hand import NOW_SECONDS, drive, service_error, table_requests


def key(number: int) -> dict[str, dict[str, str]]:
    return {"PK": {"S": "NS#app"}, "SK": {"S": f"KEY#k{number:03d}"}}


def test_delete_namespace_marks_deletes_its_keys_a_batch_at_a_time_then_leaves_a_tombstone() -> None:
    progress: list[int] = []
    operation = NamespaceOperations(table_requests()).delete_namespace(
        "u1", "app", on_progress=progress.append
    )
    page = {"Items": [key(i) for i in range(30)]}
    driven = drive(operation, {}, page, {}, {}, {"Items": []}, {})
    assert driven.operations() == [
        "UpdateItem",
        "Query",
        "BatchWriteItem",
        "BatchWriteItem",
        "Query",
        "TransactWriteItems",
    ]
    assert [len(call.request["RequestItems"]["kv-test"]) for call in driven.calls[2:4]] == [25, 5]
    assert (driven.result, progress) == (30, [25, 30])
    tombstone = driven.calls[-1].request["TransactItems"][0]["Update"]
    assert tombstone["ExpressionAttributeValues"][":free"] == {"N": str(NOW_SECONDS + 3600)}


def test_deleting_it_again_by_its_former_owner_is_done_in_one_request() -> None:
    tombstone = {
        "PK": {"S": "NS#app"},
        "SK": {"S": "METADATA"},
        "entityType": {"S": "NAMESPACE_TOMBSTONE"},
        "formerOwner": {"S": "u1"},
    }
    refused = service_error("ConditionalCheckFailedException", Item=tombstone)
    driven = drive(NamespaceOperations(table_requests()).delete_namespace("u1", "app"), refused)
    assert (driven.result, driven.operations()) == (0, ["UpdateItem"])
    with pytest.raises(NotOwnerError):
        drive(
            NamespaceOperations(table_requests()).delete_namespace("u2", "app"),
            service_error(
                "ConditionalCheckFailedException", Item={**tombstone, "entityType": {"S": "NAMESPACE"}}
            ),
        )


def test_pattern_4_refuses_a_namespace_being_deleted() -> None:
    metadata = {
        "PK": {"S": "NS#app"},
        "SK": {"S": "METADATA"},
        "entityType": {"S": "NAMESPACE"},
        "deleting": {"BOOL": True},
    }
    with pytest.raises(NamespaceUnavailableError, match="is being deleted"):
        drive(NamespaceOperations(table_requests()).get_namespace("app"), {"Item": metadata})


def test_a_failed_batch_stops_the_deletion_before_the_tombstone() -> None:
    operation = NamespaceOperations(table_requests(retry_attempts=1)).delete_namespace("u1", "app")
    with pytest.raises(Exception, match="DynamoDB error AccessDeniedException"):
        drive(operation, {}, {"Items": [key(1)]}, service_error("AccessDeniedException"))
