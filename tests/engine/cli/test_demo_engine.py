"""Which DynamoDB `kvtable demo` talks to, said in its first line: its own DynamoDB Local, or the endpoint a
flag or variable names (AWS_ENDPOINT_URL_DYNAMODB before AWS_ENDPOINT_URL, as botocore reads them)."""

import boto3
import pytest

from kvtable.cli.main import main
from kvtable.local.dynamodb_local import LocalEndpoint


def test_with_the_local_cloudformation_exported_the_dynamodb_variable_wins(
    dynamodb_endpoint: LocalEndpoint, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # As the README has a person do for the local CloudFormation; nothing listens there in this test.
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_endpoint.url)
    table = "kv-demo-engine"
    assert main(["demo", "--table-name", table, "--create-table", "--gsi-lag-samples", "0"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[:2] == [
        f"DynamoDB: {dynamodb_endpoint.url} (region us-east-1), from AWS_ENDPOINT_URL_DYNAMODB; no DynamoDB Local started",
        f"table {table} at {dynamodb_endpoint.url}: loading the design's sample data",
    ]
    client = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint.url, region_name="us-east-1")
    client.update_table(TableName=table, DeletionProtectionEnabled=False)
    client.delete_table(TableName=table)
