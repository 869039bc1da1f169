"""The live table described as CloudFormation properties from DynamoDB's and KMS's own answers
(botocore's Stubber, each answer in the shape its API Reference page documents), and the same
table as a global table with one replica."""

import json
from typing import Any

from botocore.stub import Stubber

from kvtable.recovery.live_table import AWS_MANAGED_KEY_ALIAS, as_global_table, billing_mode, live_properties
from tests.aws_shapes import described_table, offline_dynamodb, offline_kms

TABLE = "kv-storage-data"
ARN = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"
CUSTOMER_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
MANAGED_KEY = "arn:aws:kms:us-east-1:123456789012:key/0000aaaa-00aa-00aa-00aa-000000000000"
POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "dynamodb:*", "Resource": ARN}],
}


def live(provisioned: bool, key: str | None) -> dict[str, Any]:
    """DescribeTable's TableDescription (API_TableDescription.html) of a table with one GSI and a stream."""
    table: dict[str, Any] = described_table(TABLE)["Table"]
    throughput = {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2, "NumberOfDecreasesToday": 0}
    table.update(
        {
            "AttributeDefinitions": [
                {"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "GSI1PK")
            ],
            "BillingModeSummary": {"BillingMode": "PROVISIONED" if provisioned else "PAY_PER_REQUEST"},
            "ProvisionedThroughput": throughput
            if provisioned
            else {**throughput, "ReadCapacityUnits": 0, "WriteCapacityUnits": 0},
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "GSI1",
                    "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]},
                    "IndexStatus": "ACTIVE",
                    "ProvisionedThroughput": throughput,
                }
            ],
            "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
            "SSEDescription": {
                "Status": "ENABLED",
                "SSEType": "KMS",
                **({"KMSMasterKeyArn": key} if key else {}),
            },
            "DeletionProtectionEnabled": True,
        }
    )
    return table


def described(table: dict[str, Any], *, index_insights: str, policy: bool) -> dict[str, Any]:
    dynamodb = offline_dynamodb()
    kms = offline_kms()
    with Stubber(dynamodb) as ddb, Stubber(kms) as keys:
        ddb.add_response(
            "describe_contributor_insights",
            {"TableName": TABLE, "IndexName": "GSI1", "ContributorInsightsStatus": index_insights},
            {"TableName": TABLE, "IndexName": "GSI1"},
        )
        # DescribeKey (KMS API_DescribeKey.html) of the AWS-managed key, by its alias.
        keys.add_response(
            "describe_key",
            {"KeyMetadata": {"KeyId": "0000", "Arn": MANAGED_KEY}},
            {"KeyId": AWS_MANAGED_KEY_ALIAS},
        )
        ddb.add_response(
            "describe_continuous_backups",
            {
                "ContinuousBackupsDescription": {
                    "ContinuousBackupsStatus": "ENABLED",
                    "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"},
                }
            },
            {"TableName": TABLE},
        )
        ddb.add_response(
            "describe_time_to_live",
            {"TimeToLiveDescription": {"TimeToLiveStatus": "ENABLED", "AttributeName": "ttl"}},
            {"TableName": TABLE},
        )
        ddb.add_response(
            "describe_contributor_insights",
            {"TableName": TABLE, "ContributorInsightsStatus": "DISABLED"},
            {"TableName": TABLE},
        )
        if policy:
            ddb.add_response(
                "get_resource_policy", {"Policy": json.dumps(POLICY), "RevisionId": "1"}, {"ResourceArn": ARN}
            )
        else:
            ddb.add_client_error("get_resource_policy", "PolicyNotFoundException", "No resource policy", 400)
        ddb.add_response(
            "list_tags_of_resource",
            {"Tags": [{"Key": "team", "Value": "storage"}, {"Key": "cost-center", "Value": "42"}]},
            {"ResourceArn": ARN},
        )
        properties = live_properties(dynamodb, kms, table, {"team"})
        ddb.assert_no_pending_responses()
    return properties


def test_a_provisioned_table_with_a_customer_key_is_described_as_it_is() -> None:
    properties = described(live(True, CUSTOMER_KEY), index_insights="ENABLED", policy=True)
    assert properties == {
        "TableName": TABLE,
        "KeySchema": [
            {"AttributeName": "PK", "KeyType": "HASH"},
            {"AttributeName": "SK", "KeyType": "RANGE"},
        ],
        "AttributeDefinitions": [{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "GSI1PK")],
        "BillingMode": "PROVISIONED",
        "DeletionProtectionEnabled": True,
        "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2},
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "GSI1",
                "KeySchema": [{"AttributeName": "GSI1PK", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["v"]},
                "ProvisionedThroughput": {"ReadCapacityUnits": 5, "WriteCapacityUnits": 2},
                "ContributorInsightsSpecification": {"Enabled": True},
            }
        ],
        "StreamSpecification": {"StreamViewType": "NEW_AND_OLD_IMAGES"},
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": CUSTOMER_KEY},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "ttl"},
        "ResourcePolicy": {"PolicyDocument": POLICY},
        # Only the template's tags: the update after the import leaves the table's others alone.
        "Tags": [{"Key": "team", "Value": "storage"}],
    }


def test_an_on_demand_table_on_the_aws_managed_key_has_no_throughput_nor_key() -> None:
    properties = described(live(False, MANAGED_KEY), index_insights="DISABLED", policy=False)
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in properties
    assert "ProvisionedThroughput" not in properties["GlobalSecondaryIndexes"][0]
    assert "ContributorInsightsSpecification" not in properties["GlobalSecondaryIndexes"][0]
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert "ResourcePolicy" not in properties


def test_a_table_that_never_switched_billing_mode_is_provisioned() -> None:
    assert billing_mode({}) == "PROVISIONED"
    assert billing_mode({"BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}) == "PAY_PER_REQUEST"


def test_as_a_global_table_the_per_replica_settings_move_into_its_one_replica() -> None:
    properties = {
        "TableName": TABLE,
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [
            {
                "IndexName": "GSI1",
                "Projection": {"ProjectionType": "ALL"},
                "ContributorInsightsSpecification": {"Enabled": True},
            }
        ],
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": CUSTOMER_KEY},
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "DeletionProtectionEnabled": True,
        "Tags": [{"Key": "team", "Value": "storage"}],
    }
    assert as_global_table(properties, "us-east-1") == {
        "TableName": TABLE,
        "BillingMode": "PAY_PER_REQUEST",
        "GlobalSecondaryIndexes": [{"IndexName": "GSI1", "Projection": {"ProjectionType": "ALL"}}],
        "SSESpecification": {"SSEEnabled": True, "SSEType": "KMS"},
        "Replicas": [
            {
                "Region": "us-east-1",
                "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
                "DeletionProtectionEnabled": True,
                "Tags": [{"Key": "team", "Value": "storage"}],
                "GlobalSecondaryIndexes": [
                    {"IndexName": "GSI1", "ContributorInsightsSpecification": {"Enabled": True}}
                ],
                "SSESpecification": {"KMSMasterKeyId": CUSTOMER_KEY},
            }
        ],
    }


def test_a_global_table_without_indexes_or_a_key_says_neither() -> None:
    table = as_global_table({"TableName": TABLE, "SSESpecification": {"SSEEnabled": True}}, "eu-west-1")
    assert table == {
        "TableName": TABLE,
        "SSESpecification": {"SSEEnabled": True},
        "Replicas": [{"Region": "eu-west-1"}],
    }
