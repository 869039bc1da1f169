"""Answers in AWS's documented shape, for Stubber tests of CloudFormation calls no local engine serves."""

from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.stub import ANY
from mypy_boto3_cloudformation import CloudFormationClient

STACK = "KVDatabaseStack"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/1a2b3c4d"
WHEN = datetime(2026, 11, 26, tzinfo=UTC)


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


def import_change_set_request(
    template_body: Any, parameters: Any, resources_to_import: Any
) -> dict[str, Any]:
    """The CreateChangeSet request deploy sends for an IMPORT change set of STACK (Stubber's ANY allowed)."""
    return {
        "StackName": STACK,
        "ChangeSetName": ANY,
        "TemplateBody": template_body,
        "ChangeSetType": "IMPORT",
        "Parameters": parameters,
        "Capabilities": ["CAPABILITY_IAM"],
        "Description": "kvtable deploy",
        "ResourcesToImport": resources_to_import,
    }


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
