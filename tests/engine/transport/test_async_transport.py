"""The asyncio direct transport against the sync one on DynamoDB Local: one corpus of requests (GetItem,
PutItem, Query with a cursor, BatchWriteItem, TransactWriteItems, and the errors DynamoDB answers with:
a failed condition with the item, a cancelled transaction with its reasons, a missing table, a request
DynamoDB refuses) sent through both, each on a fresh table, gives the same answers and the same errors."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from typing import Any

from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.builders.table_definition import create_table_from_template
from kvtable.schema.errors import ServiceError
from kvtable.transport.async_direct import async_transport_from_client
from kvtable.transport.direct import DirectTransport

TABLE = "<table>"


def item(key: str, value: str) -> dict[str, Any]:
    return {"PK": {"S": "NS#diff"}, "SK": {"S": f"KEY#{key}"}, "value": {"S": value}}


def corpus(table: str) -> list[tuple[str, dict[str, Any]]]:
    """The requests, in order, for `table` (each side has its own, the same at the start)."""
    key = {"PK": {"S": "NS#diff"}, "SK": {"S": "KEY#a"}}
    exists = {"ConditionExpression": "attribute_not_exists(PK)"}
    return [
        ("PutItem", {"TableName": table, "Item": item("a", "one"), "ReturnValues": "ALL_OLD"}),
        (
            "PutItem",
            {
                "TableName": table,
                "Item": item("a", "two"),
                "ReturnValues": "ALL_OLD",
                "ReturnConsumedCapacity": "TOTAL",
            },
        ),
        ("GetItem", {"TableName": table, "Key": key, "ConsistentRead": True}),
        ("GetItem", {"TableName": table, "Key": {**key, "SK": {"S": "KEY#missing"}}}),
        (
            "BatchWriteItem",
            {"RequestItems": {table: [{"PutRequest": {"Item": item(f"b{i}", "é ✓" * i)}} for i in range(5)]}},
        ),
        (
            "Query",
            {
                "TableName": table,
                "KeyConditionExpression": "PK = :pk AND begins_with(SK, :b)",
                "ExpressionAttributeValues": {":pk": {"S": "NS#diff"}, ":b": {"S": "KEY#b"}},
                "Limit": 2,
                "ReturnConsumedCapacity": "TOTAL",
            },
        ),
        (
            "TransactWriteItems",
            {
                "TransactItems": [
                    {"Put": {"TableName": table, "Item": item("t", "in a transaction")}},
                    {
                        "ConditionCheck": {
                            "TableName": table,
                            "Key": key,
                            "ConditionExpression": "attribute_exists(PK)",
                        }
                    },
                ],
                "ClientRequestToken": uuid.uuid4().hex,  # DynamoDB keeps tokens across tables
            },
        ),
        (
            "PutItem",
            {
                "TableName": table,
                "Item": item("a", "three"),
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                **exists,
            },
        ),
        (
            "TransactWriteItems",
            {"TransactItems": [{"Put": {"TableName": table, "Item": item("a", "four"), **exists}}]},
        ),
        ("GetItem", {"TableName": "kv-test-no-such-table", "Key": key}),
        ("Query", {"TableName": table, "KeyConditionExpression": "PK = :undefined"}),
    ]


def outcomes(call: Callable[[str, dict[str, Any]], object], table: str) -> list[object]:
    """What each request of the corpus gave: its answer, or its error as data; the table named alike."""
    seen: list[object] = []
    for operation, request in corpus(table):
        try:
            seen.append(call(operation, request))
        except ServiceError as error:
            seen.append(("raised", error.code, error.message, error.fields, error.status))
    return [_renamed(outcome, table) for outcome in seen]


def _renamed(value: object, table: str) -> object:
    if isinstance(value, dict):
        return {_renamed(k, table): _renamed(v, table) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_renamed(v, table) for v in value]
    return value.replace(table, TABLE) if isinstance(value, str) else value


def fresh_table(client: DynamoDBClient, name: str) -> str:
    create_table_from_template(client, name)
    return name


def test_the_async_transport_answers_as_the_sync_one_on_dynamodb_local(
    dynamodb_client: DynamoDBClient, table_name: str
) -> None:
    sync = DirectTransport.from_client(dynamodb_client)
    expected = outcomes(sync.call, table_name)
    other = fresh_table(dynamodb_client, f"{table_name}-async")

    async def through_async() -> list[object]:
        transport = async_transport_from_client(dynamodb_client)
        answers = [await _outcome(transport.call(operation, request)) for operation, request in corpus(other)]
        await transport.aclose()
        return [_renamed(answer, other) for answer in answers]

    got = asyncio.run(through_async())
    assert got == expected
    # The corpus reached what it is there for: answers with items, a cursor, capacity, and each error.
    codes = [outcome[1] for outcome in expected if isinstance(outcome, list) and outcome[0] == "raised"]
    assert codes == [
        "ConditionalCheckFailedException",
        "TransactionCanceledException",
        "ResourceNotFoundException",
        "ValidationException",
    ]
    assert expected[1]["Attributes"]["value"] == {"S": "one"}  # type: ignore[index]
    assert "LastEvaluatedKey" in expected[5] and "ConsumedCapacity" in expected[5]  # type: ignore[operator]
    assert expected[7][3]["Item"]["value"] == {"S": "two"}  # type: ignore[index]


async def _outcome(pending: Any) -> object:
    try:
        return await pending
    except ServiceError as error:
        return ("raised", error.code, error.message, error.fields, error.status)
