"""The harness's drift detection (tests/harness/stack_drift.py), asserted through boto3 alone: a plain
stack, its table changed with DynamoDB's own calls, and CloudFormation's three drift APIs read back in
the shapes of AWS's API reference (botocore parses each answer against its service model)."""

import json

import boto3
import pytest
from botocore.exceptions import ClientError
from mypy_boto3_cloudformation import CloudFormationClient

STACK = "DriftStack"
TABLE = "drift-table"
TEMPLATE = {
    "Resources": {
        "Table": {
            "Type": "AWS::DynamoDB::Table",
            "Properties": {
                "TableName": TABLE,
                "BillingMode": "PAY_PER_REQUEST",
                "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}],
                "AttributeDefinitions": [{"AttributeName": "PK", "AttributeType": "S"}],
                "DeletionProtectionEnabled": True,
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "ttl"},
            },
        },
        "Marker": {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": "drift-marker", "Type": "String", "Value": "x"},
        },
    }
}


def detect(cf: CloudFormationClient) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Run a detection; its status and the resources' drifts."""
    detection = cf.detect_stack_drift(StackName=STACK)["StackDriftDetectionId"]
    status = cf.describe_stack_drift_detection_status(StackDriftDetectionId=detection)
    drifts = cf.describe_stack_resource_drifts(StackName=STACK)["StackResourceDrifts"]
    return dict(status), [dict(drift) for drift in drifts]


def test_drift_detection_compares_the_table_with_its_template(
    cf: CloudFormationClient, aws_endpoint: str
) -> None:
    cf.create_stack(StackName=STACK, TemplateBody=json.dumps(TEMPLATE))
    # moto's CloudFormation creates the table without PITR or TTL: that is drift, property by property.
    status, drifts = detect(cf)
    assert (status["DetectionStatus"], status["StackDriftStatus"], status["DriftedStackResourceCount"]) == (
        "DETECTION_COMPLETE",
        "DRIFTED",
        1,
    )
    assert (
        [(d["LogicalResourceId"], d["PhysicalResourceId"], d["ResourceType"]) for d in drifts]
        == [("Table", TABLE, "AWS::DynamoDB::Table")]
    )  # the SSM parameter is not checked by the harness, so not included (as AWS leaves out what it does not check)
    assert drifts[0]["StackResourceDriftStatus"] == "MODIFIED"
    assert drifts[0]["PropertyDifferences"] == [
        {
            "PropertyPath": "/PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled",
            "ExpectedValue": "true",
            "ActualValue": "false",
            "DifferenceType": "NOT_EQUAL",
        },
        {
            "PropertyPath": "/TimeToLiveSpecification/Enabled",
            "ExpectedValue": "true",
            "ActualValue": "false",
            "DifferenceType": "NOT_EQUAL",
        },
        {
            "PropertyPath": "/TimeToLiveSpecification/AttributeName",
            "ExpectedValue": "ttl",
            "ActualValue": "null",
            "DifferenceType": "REMOVE",
        },
    ]

    ddb = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")
    ddb.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ddb.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    status, drifts = detect(cf)
    assert (status["StackDriftStatus"], status["DriftedStackResourceCount"]) == ("IN_SYNC", 0)
    assert [(d["StackResourceDriftStatus"], "PropertyDifferences" in d) for d in drifts] == [
        ("IN_SYNC", False)
    ]
    assert json.loads(str(drifts[0]["ExpectedProperties"])) == json.loads(str(drifts[0]["ActualProperties"]))

    # A change made by hand afterwards shows in the next detection only, and the filter keeps what it names.
    ddb.update_table(TableName=TABLE, DeletionProtectionEnabled=False)
    modified = cf.describe_stack_resource_drifts(
        StackName=STACK, StackResourceDriftStatusFilters=["MODIFIED"]
    )
    assert modified["StackResourceDrifts"] == []
    detect(cf)
    modified = cf.describe_stack_resource_drifts(
        StackName=STACK, StackResourceDriftStatusFilters=["MODIFIED"]
    )
    assert [d["PropertyDifferences"] for d in modified["StackResourceDrifts"]] == [
        [
            {
                "PropertyPath": "/DeletionProtectionEnabled",
                "ExpectedValue": "true",
                "ActualValue": "false",
                "DifferenceType": "NOT_EQUAL",
            }
        ]
    ]


def test_an_unknown_detection_or_stack_is_awss_validation_error(cf: CloudFormationClient) -> None:
    with pytest.raises(ClientError) as raised:
        cf.describe_stack_drift_detection_status(StackDriftDetectionId="no-such-detection")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
    with pytest.raises(ClientError) as raised:
        cf.detect_stack_drift(StackName="NoSuchStack")
    assert raised.value.response["Error"]["Code"] == "ValidationError"
