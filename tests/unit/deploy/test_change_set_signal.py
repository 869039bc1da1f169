"""The signals AWS gives that moto cannot: a change set that replaces the table, and a stack
stuck in UPDATE_ROLLBACK_FAILED. Fixtures are AWS's documented response shapes, validated
against botocore's output shapes so they cannot drift from what AWS sends."""

from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.validate import ParamValidator

from kvtable.deploy.cloudformation import latest_failures
from kvtable.deploy.deploy import update_rollback_failed_message
from kvtable.deploy.plan import change_set_refusals


def assert_aws_shape(operation: str, response: dict[str, Any]) -> None:
    client = boto3.client("cloudformation", region_name="us-east-1")
    shape = client.meta.service_model.operation_model(operation).output_shape
    assert shape is not None
    report = ParamValidator().validate(response, shape)
    assert not report.has_errors(), report.generate_report()


def resource_change(logical_id: str, resource_type: str, action: str, replacement: str) -> dict[str, Any]:
    return {
        "Type": "Resource",
        "ResourceChange": {
            "Action": action,
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": "kv-storage-data" if action != "Add" else None,
            "ResourceType": resource_type,
            "Replacement": replacement,
            "Scope": ["Properties"],
            "Details": [
                {
                    "Target": {
                        "Attribute": "Properties",
                        "Name": "TableName",
                        "RequiresRecreation": "Always",
                    },
                    "Evaluation": "Static",
                    "ChangeSource": "DirectModification",
                }
            ],
        },
    }


def describe_change_set(changes: list[dict[str, Any]]) -> dict[str, Any]:
    for change in changes:
        if change["ResourceChange"]["PhysicalResourceId"] is None:
            del change["ResourceChange"]["PhysicalResourceId"]
    response = {
        "ChangeSetName": "kvtable-20261125-120000",
        "ChangeSetId": "arn:aws:cloudformation:us-east-1:123456789012:changeSet/kvtable-20261125-120000/1",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/KVDatabaseStack/1",
        "StackName": "KVDatabaseStack",
        "CreationTime": datetime(2026, 11, 25, tzinfo=UTC),
        "ExecutionStatus": "AVAILABLE",
        "Status": "CREATE_COMPLETE",
        "Capabilities": ["CAPABILITY_IAM"],
        "Changes": changes,
    }
    assert_aws_shape("DescribeChangeSet", response)
    return response


@pytest.mark.parametrize(
    ("action", "replacement", "expected"),
    [
        ("Modify", "True", "the change set says the table is replaced (Replacement: True)"),
        ("Modify", "Conditional", "the change set says the table is replaced (Replacement: Conditional)"),
        ("Remove", "False", "the change set removes the table"),
    ],
)
def test_a_change_set_that_replaces_or_removes_the_table_is_refused(
    action: str, replacement: str, expected: str
) -> None:
    response = describe_change_set(
        [resource_change("KVStorageTable", "AWS::DynamoDB::Table", action, replacement)]
    )
    assert change_set_refusals(response["Changes"], {"KVStorageTable"}) == [f"KVStorageTable: {expected}"]


def test_a_change_set_that_only_modifies_the_table_or_replaces_a_policy_passes() -> None:
    response = describe_change_set(
        [
            resource_change("KVStorageTable", "AWS::DynamoDB::Table", "Modify", "False"),
            resource_change("ReadPolicy", "AWS::IAM::ManagedPolicy", "Modify", "True"),
        ]
    )
    assert change_set_refusals(response["Changes"], {"KVStorageTable"}) == []


def test_update_rollback_failed_names_the_resource_to_skip() -> None:
    when = datetime(2026, 11, 25, tzinfo=UTC)
    events = [
        {
            "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/KVDatabaseStack/1",
            "EventId": str(i),
            "StackName": "KVDatabaseStack",
            "LogicalResourceId": logical_id,
            "ResourceType": resource_type,
            "Timestamp": when,
            "ResourceStatus": status,
            **({"ResourceStatusReason": reason} if reason else {}),
        }
        for i, (logical_id, resource_type, status, reason) in enumerate(
            [
                (
                    "KVDatabaseStack",
                    "AWS::CloudFormation::Stack",
                    "UPDATE_ROLLBACK_FAILED",
                    "failed to roll back",
                ),
                ("ReadPolicy", "AWS::IAM::ManagedPolicy", "UPDATE_FAILED", "Policy arn:... does not exist"),
                ("KVStorageTable", "AWS::DynamoDB::Table", "UPDATE_COMPLETE", None),
                ("ReadPolicy", "AWS::IAM::ManagedPolicy", "UPDATE_IN_PROGRESS", None),
            ]
        )
    ]
    assert_aws_shape("DescribeStackEvents", {"StackEvents": events})
    failures = latest_failures(events)
    assert failures == [("ReadPolicy", "Policy arn:... does not exist")]
    message = update_rollback_failed_message("KVDatabaseStack", failures, "UPDATE_ROLLBACK_FAILED")
    assert "\n" not in message
    assert (
        "aws cloudformation continue-update-rollback --stack-name KVDatabaseStack --resources-to-skip ReadPolicy"
        in message
    )
