"""Answers in AWS's documented shape, for Stubber tests of CloudFormation calls no local engine serves."""

from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import ANY, Stubber
from botocore.validate import ParamValidator
from mypy_boto3_cloudformation import CloudFormationClient
from mypy_boto3_dynamodb import DynamoDBClient
from mypy_boto3_iam import IAMClient
from mypy_boto3_kms import KMSClient

from tests.shipped import default_parameters, shipped

STACK = "KVDatabaseStack"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/1a2b3c4d"
WHEN = datetime(2026, 11, 26, tzinfo=UTC)
CHANGE_SET = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/kvtable-1/5e6f"


def assert_aws_shape(operation: str, response: dict[str, Any]) -> None:
    """Fail unless `response` is a valid answer of CloudFormation's `operation` in botocore's service model."""
    shape = offline_cloudformation().meta.service_model.operation_model(operation).output_shape
    assert shape is not None
    report = ParamValidator().validate(response, shape)
    assert not report.has_errors(), report.generate_report()


def offline_cloudformation() -> CloudFormationClient:
    """A CloudFormation client with throwaway credentials, for a Stubber: it never sends a request."""
    return boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )


def stack_event(
    number: int, logical_id: str, resource_type: str, status: str, reason: str | None = None
) -> dict[str, Any]:
    """One DescribeStackEvents entry of the test stack; `number` makes its EventId unique."""
    return {
        "StackId": STACK_ID,
        "EventId": f"event-{number}",
        "StackName": STACK,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "Timestamp": WHEN,
        "ResourceStatus": status,
        **({"ResourceStatusReason": reason} if reason else {}),
    }


def offline_dynamodb(region: str = "us-east-1") -> DynamoDBClient:
    """A DynamoDB client with throwaway credentials, for a Stubber: it never sends a request."""
    return boto3.client("dynamodb", region_name=region, aws_access_key_id="x", aws_secret_access_key="x")


def offline_kms() -> KMSClient:
    """A KMS client with throwaway credentials, for a Stubber: it never sends a request."""
    return boto3.client("kms", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def offline_iam() -> IAMClient:
    """An IAM client with throwaway credentials, for a Stubber: it never sends a request."""
    return boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def described_stack(
    status: str = "UPDATE_COMPLETE",
    parameters: dict[str, str] | None = None,
    *,
    outputs: list[dict[str, str]] | None = None,
    tags: dict[str, str] | None = None,
    protected: bool = False,
) -> dict[str, Any]:
    """A DescribeStacks answer for the test stack (API_DescribeStacks.html, its `Stack` is API_Stack.html
    in the AWS CloudFormation API Reference)."""
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "StackId": STACK_ID,
                "CreationTime": WHEN,
                "StackStatus": status,
                "Parameters": [
                    {"ParameterKey": k, "ParameterValue": v} for k, v in sorted((parameters or {}).items())
                ],
                "Outputs": outputs or [],
                "Tags": [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())],
                "EnableTerminationProtection": protected,
            }
        ]
    }


def stub_deployed_stack(
    stub: Stubber, status: str = "UPDATE_COMPLETE", *, template_body: str | None = None, **described: Any
) -> None:
    """Queue DescribeStacks' answer for the test stack in `status`, its parameters at their defaults (and
    `described`'s outputs, tags, protection), then GetTemplate's: `template_body`, else the shipped one."""
    stub.add_response(
        "describe_stacks", described_stack(status, default_parameters(), **described), {"StackName": STACK}
    )
    stub.add_response(
        "get_template",
        {"TemplateBody": shipped()[0] if template_body is None else template_body},
        {"StackName": STACK, "TemplateStage": "Original"},
    )


def described_change_set(
    status: str = "CREATE_COMPLETE", changes: list[dict[str, Any]] | None = None, reason: str | None = None
) -> dict[str, Any]:
    """A DescribeChangeSet answer (API_DescribeChangeSet.html; each change is API_Change.html holding an
    API_ResourceChange.html), for the change set CHANGE_SET of the test stack."""
    return {
        "ChangeSetName": "kvtable-1",
        "ChangeSetId": CHANGE_SET,
        "StackId": STACK_ID,
        "StackName": STACK,
        "Status": status,
        "ExecutionStatus": "AVAILABLE" if status == "CREATE_COMPLETE" else "UNAVAILABLE",
        "Changes": changes or [],
        **({"StatusReason": reason} if reason else {}),
    }


def resource_change(
    logical_id: str, resource_type: str, action: str = "Modify", replacement: str = "False"
) -> dict[str, Any]:
    """One entry of DescribeChangeSet's Changes (API_Change.html, API_ResourceChange.html)."""
    change: dict[str, Any] = {
        "Action": action,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
    }
    if action == "Modify":
        change["Replacement"] = replacement
    return {"Type": "Resource", "ResourceChange": change}


def design_keys() -> dict[str, Any]:
    """The shipped design's keys as both a template's table and DescribeTable state them: PK/SK, and GSI1 on
    GSI1PK/GSI1SK projecting ALL (a new copy each call, for a test to change)."""
    return {
        "KeySchema": [
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [
            {"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "GSI1PK", "GSI1SK")
        ],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "GSI1",
                "KeySchema": [
                    {"AttributeName": "GSI1PK", "KeyType": "HASH"},
                    {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
    }


def described_table(
    name: str = "kv-storage-data",
    status: str = "ACTIVE",
    *,
    indexes: list[tuple[str, str, bool]] | None = None,
    replicas: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A DescribeTable answer (API_DescribeTable.html, its `Table` is API_TableDescription.html in the Amazon
    DynamoDB API Reference): `indexes` as (name, IndexStatus, Backfilling), `replicas` as region: ReplicaStatus
    (API_ReplicaDescription.html)."""
    table: dict[str, Any] = {
        "TableName": name,
        "TableStatus": status,
        "TableArn": f"arn:aws:dynamodb:us-east-1:123456789012:table/{name}",
        "KeySchema": [
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
    }
    if indexes:
        table["GlobalSecondaryIndexes"] = [
            {"IndexName": index, "IndexStatus": index_status, "Backfilling": backfilling}
            for index, index_status, backfilling in indexes
        ]
    if replicas:
        table["Replicas"] = [{"RegionName": r, "ReplicaStatus": s} for r, s in replicas.items()]
    return {"Table": table}


def change_set_request(
    change_set_type: str, template_body: Any, parameters: Any, **more: Any
) -> dict[str, Any]:
    """The CreateChangeSet request deploy sends for a `change_set_type` change set of STACK (Stubber's ANY
    allowed), with `more` of the request's fields (ChangeSetName, Tags, ResourcesToImport)."""
    request = {
        "StackName": STACK,
        "ChangeSetName": ANY,
        "TemplateBody": template_body,
        "ChangeSetType": change_set_type,
        "Parameters": parameters,
        "Capabilities": ["CAPABILITY_IAM"],
        "Description": "kvtable deploy",
    }
    return request | more


def import_change_set_request(
    template_body: Any, parameters: Any, resources_to_import: Any
) -> dict[str, Any]:
    """The CreateChangeSet request deploy sends for an IMPORT change set of STACK (Stubber's ANY allowed)."""
    return change_set_request("IMPORT", template_body, parameters, ResourcesToImport=resources_to_import)


def import_change_set(change_set: str, table: str, resource_type: str) -> dict[str, Any]:
    """DescribeChangeSet's answer for an IMPORT change set of STACK ready to run: KVStorageTable imported
    as `table`, a resource of `resource_type`."""
    change = {
        "Action": "Import",
        "LogicalResourceId": "KVStorageTable",
        "PhysicalResourceId": table,
        "ResourceType": resource_type,
    }
    return {
        "ChangeSetId": change_set,
        "StackId": STACK_ID,
        "StackName": STACK,
        "Status": "CREATE_COMPLETE",
        "ExecutionStatus": "AVAILABLE",
        "Changes": [{"Type": "Resource", "ResourceChange": change}],
    }
