"""What `kvtable adopt` refuses before it changes anything (exit 3, one line naming the difference).

Each case is a table the import would take, but whose next update would fail half way or replace
it on AWS. Each test reads the table back afterwards and finds it exactly as it was, and no stack.
"""

from typing import Any

import boto3
import pytest
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.builders.table_definition import create_table_request
from kvtable.verify.report import utc_text
from tests.engine.recovery.test_adopt import OLD, cdk_table, run


@pytest.fixture
def ddb(aws_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")


def snapshot(ddb: Any) -> dict[str, Any]:
    """Everything adopt could change on the table, read with DynamoDB's own calls."""
    table = ddb.describe_table(TableName=OLD)["Table"]
    return {
        "table": table,
        "ttl": ddb.describe_time_to_live(TableName=OLD)["TimeToLiveDescription"],
        "backups": ddb.describe_continuous_backups(TableName=OLD)["ContinuousBackupsDescription"],
        "tags": ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"],
    }


def refused(cf: CloudFormationClient, ddb: Any, capsys: pytest.CaptureFixture[str], reason: str) -> None:
    """Adopt, without --plan, is refused for `reason`, and nothing changed."""
    before = snapshot(ddb)
    code, out, err = run(capsys, "--table", OLD)
    assert code == 3
    assert "REFUSED" not in out  # the one reason is said once, in the error's line
    assert err.startswith(f"kvtable adopt: error: refused to adopt {OLD}: {reason}")
    assert len(err.splitlines()) == 1
    assert snapshot(ddb) == before
    assert cf.describe_stacks()["Stacks"] == []


def test_an_index_with_another_projection_is_refused(
    cf: CloudFormationClient, ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    request = cdk_request()
    request["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}
    cdk_table(ddb, GlobalSecondaryIndexes=request["GlobalSecondaryIndexes"])
    refused(
        cf,
        ddb,
        capsys,
        f"index GSI1 of {OLD} projects KEYS_ONLY, the template's ALL: a projection cannot change in place",
    )


def test_a_local_secondary_index_is_refused(
    cf: CloudFormationClient, ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    request = cdk_request()
    cdk_table(
        ddb,
        AttributeDefinitions=[
            *request["AttributeDefinitions"],
            {"AttributeName": "LSK", "AttributeType": "S"},
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "ByLsk",
                "KeySchema": [
                    {"AttributeName": "PK", "KeyType": "HASH"},
                    {"AttributeName": "LSK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        ],
    )
    refused(
        cf,
        ddb,
        capsys,
        f"{OLD} has local secondary indexes ['ByLsk'], the template []: local indexes are fixed when a "
        "table is created, so an update would replace the table",
    )


def test_ttl_on_another_attribute_is_refused(
    cf: CloudFormationClient, ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    cdk_table(ddb)
    ddb.update_time_to_live(
        TableName=OLD, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    refused(cf, ddb, capsys, f"TTL of {OLD} is on attribute expires, the template's on ttl: TTL moves")


def test_a_provisioned_table_switched_to_on_demand_within_24_hours_is_refused(
    cf: CloudFormationClient, ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 5}
    request = cdk_request()
    indexes = [{**i, "ProvisionedThroughput": throughput} for i in request["GlobalSecondaryIndexes"]]
    cdk_table(
        ddb, BillingMode="PROVISIONED", ProvisionedThroughput=throughput, GlobalSecondaryIndexes=indexes
    )
    ddb.update_table(TableName=OLD, BillingMode="PAY_PER_REQUEST")
    ddb.update_table(
        TableName=OLD,
        BillingMode="PROVISIONED",
        ProvisionedThroughput=throughput,
        GlobalSecondaryIndexUpdates=[{"Update": {"IndexName": "GSI1", "ProvisionedThroughput": throughput}}],
    )
    switched = ddb.describe_table(TableName=OLD)["Table"]["BillingModeSummary"][
        "LastUpdateToPayPerRequestDateTime"
    ]
    refused(
        cf,
        ddb,
        capsys,
        f"{OLD} is provisioned and was last switched to on-demand at {utc_text(switched)}; "
        "AWS allows four switches to on-demand in a rolling 24 hours",
    )


def cdk_request() -> dict[str, Any]:
    return create_table_request(OLD)
