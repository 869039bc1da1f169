"""Answers in AWS's documented shape, for Stubber tests of CloudFormation calls no local engine serves."""

from datetime import UTC, datetime
from typing import Any

import boto3
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
