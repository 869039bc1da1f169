"""The batched operations without an engine: unprocessed keys and items are asked again. Their results,
refusals and consumed capacity on DynamoDB Local are in tests/engine/contract/test_operations.py."""

import boto3
from botocore.stub import Stubber
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable


def _offline_dynamodb() -> DynamoDBClient:
    return boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="offline", aws_secret_access_key="offline"
    )


def test_unprocessed_keys_and_items_are_asked_again() -> None:
    """DynamoDB Local never leaves keys unprocessed; AWS does under throttling. Shaped by botocore's model
    (through botocore's request path, where the Stubber answers)."""
    client = _offline_dynamodb()
    store = KvTable(client, "kv-storage-data", transport="botocore", sleep=lambda _: None)
    key_a = {"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#a"}}
    key_b = {"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#b"}}
    item_b = {**key_b, "entityType": {"S": "KEY"}, "value": {"N": "2"}}
    with Stubber(client) as stub:
        stub.add_response(
            "batch_get_item",
            {
                "Responses": {"kv-storage-data": [item_b]},
                "UnprocessedKeys": {"kv-storage-data": {"Keys": [key_a]}},
            },
            {"RequestItems": {"kv-storage-data": {"Keys": [key_a, key_b], "ConsistentRead": False}}},
        )
        stub.add_response(
            "batch_get_item",
            {"Responses": {"kv-storage-data": [{**key_a, "value": {"N": "1"}}]}},
            {"RequestItems": {"kv-storage-data": {"Keys": [key_a]}}},
        )
        stub.add_response(
            "batch_write_item",
            {"UnprocessedItems": {"kv-storage-data": [{"DeleteRequest": {"Key": key_b}}]}},
            {
                "RequestItems": {
                    "kv-storage-data": [{"DeleteRequest": {"Key": key_a}}, {"DeleteRequest": {"Key": key_b}}]
                }
            },
        )
        stub.add_response(
            "batch_write_item",
            {"UnprocessedItems": {}},
            {"RequestItems": {"kv-storage-data": [{"DeleteRequest": {"Key": key_b}}]}},
        )
        found = store.get_keys("ns", ["a", "b"])
        assert {k: v["value"] for k, v in found.items()} == {"a": 1, "b": 2}
        assert list(found) == ["a", "b"]  # the order asked, not the order answered
        assert store.delete_keys("ns", ["a", "b"]) == 2
        stub.assert_no_pending_responses()
