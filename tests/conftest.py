"""Fixtures: one DynamoDB Local for the session, a fresh table (built from the template) per test."""

import uuid
from collections.abc import Iterator

import boto3
import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.capacity import CapacityRecorder
from kvtable.local.dynamodb_local import LocalEndpoint, dynamodb_local
from kvtable.store import KvTable
from kvtable.table_definition import create_table_from_template



@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[LocalEndpoint]:
    with dynamodb_local() as endpoint:
        yield endpoint


@pytest.fixture
def dynamodb_client(dynamodb_endpoint: LocalEndpoint) -> DynamoDBClient:
    return boto3.client(
        "dynamodb",
        endpoint_url=dynamodb_endpoint.url,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


@pytest.fixture
def table_name(dynamodb_client: DynamoDBClient) -> str:
    name = f"kv-test-{uuid.uuid4().hex[:12]}"
    create_table_from_template(dynamodb_client, name)
    return name


@pytest.fixture
def store(dynamodb_client: DynamoDBClient, table_name: str) -> KvTable:
    return KvTable(dynamodb_client, table_name)


@pytest.fixture
def capacity(dynamodb_client: DynamoDBClient) -> CapacityRecorder:
    return CapacityRecorder().attach(dynamodb_client)
