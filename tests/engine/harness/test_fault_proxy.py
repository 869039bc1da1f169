"""The fault proxy's emulated behaviours, each read by botocore's own DynamoDB client (its service model
and its response checks), so the harness is held to AWS's shapes rather than to the product's reading."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ChecksumError, ClientError

from kvtable.local.dynamodb_local import LocalEndpoint
from tests.harness.fault_proxy import client_through, fault_proxy

KEY = {"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#k"}}


def test_every_answer_carries_the_crc32_botocore_checks(
    dynamodb_endpoint: LocalEndpoint, table_name: str
) -> None:
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        client = client_through(url)
        client.put_item(TableName=table_name, Item={**KEY, "value": {"S": "v"}})
        assert client.get_item(TableName=table_name, Key=KEY)["Item"]["value"] == {"S": "v"}
        # botocore compares x-amz-crc32 with the body only in its legacy retry mode, as a retry condition.
        legacy = boto3.client(
            "dynamodb",
            endpoint_url=url,
            region_name="us-east-1",
            config=Config(retries={"mode": "legacy", "max_attempts": 1}),
        )
        plan.inject("corrupt", "corrupt")
        with pytest.raises(ChecksumError):
            legacy.get_item(TableName=table_name, Key=KEY)
        assert plan.operations[-2:] == ["GetItem:corrupt", "GetItem:corrupt"]


def test_unprocessed_batches_have_the_shape_botocore_parses(
    dynamodb_endpoint: LocalEndpoint, table_name: str
) -> None:
    puts: list[Any] = [
        {"PutRequest": {"Item": {"PK": {"S": "NS#ns"}, "SK": {"S": f"KEY#{i}"}}}} for i in range(4)
    ]
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        client = client_through(url)
        plan.inject("unprocessed")
        written = client.batch_write_item(RequestItems={table_name: puts})
        assert written["UnprocessedItems"] == {table_name: puts[2:]}
        keys = [put["PutRequest"]["Item"] for put in puts]
        plan.inject("unprocessed")
        read = client.batch_get_item(RequestItems={table_name: {"Keys": keys, "ConsistentRead": True}})
        assert read["UnprocessedKeys"] == {table_name: {"Keys": keys[2:], "ConsistentRead": True}}
        # Only the first half reached the engine: the rest was held back, not written.
        assert sorted(item["SK"]["S"] for item in read["Responses"][table_name]) == ["KEY#0", "KEY#1"]


def test_throttling_reasons_are_parsed_by_botocore_as_modeled(
    dynamodb_endpoint: LocalEndpoint, table_name: str
) -> None:
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        client = client_through(url)
        plan.inject("throttle_reasons")
        with pytest.raises(ClientError) as throttled:
            client.get_item(TableName=table_name, Key=KEY)
    response = throttled.value.response
    assert response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert response["ThrottlingReasons"] == [  # type: ignore[typeddict-item]
        {
            "reason": "TableWriteKeyRangeThroughputExceeded",
            "resource": f"arn:aws:dynamodb:us-east-1:123456789012:table/{table_name}",
        }
    ]


def test_the_proxy_records_the_access_key_of_each_request(
    dynamodb_endpoint: LocalEndpoint, table_name: str
) -> None:
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        client_through(url).get_item(TableName=table_name, Key=KEY)
    assert plan.access_keys == ["testing"]


def test_a_held_answer_comes_after_the_engine_applied_the_request_and_once_released(
    dynamodb_endpoint: LocalEndpoint, table_name: str, dynamodb_client: Any
) -> None:
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        client = client_through(url)
        plan.inject("hold_after")
        answers: list[Any] = []
        sender = threading.Thread(
            target=lambda: answers.append(
                client.put_item(TableName=table_name, Item={**KEY, "value": {"S": "v"}})
            )
        )
        sender.start()
        assert plan.holding.wait(timeout=30)
        # Applied while its answer is held: what a client that stopped waiting leaves behind.
        assert dynamodb_client.get_item(TableName=table_name, Key=KEY, ConsistentRead=True)["Item"][
            "value"
        ] == {"S": "v"}
        assert answers == []
        plan.release()
        sender.join(timeout=30)
    assert answers[0]["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert plan.operations == ["PutItem:hold_after"]
