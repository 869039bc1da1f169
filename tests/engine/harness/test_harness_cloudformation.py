"""The harness's CloudFormation rules for a DynamoDB table, each asserted through boto3 alone.

These tests use no kvtable code: stacks are made with plain change sets and the table is read back
with DynamoDB's own calls, so the rules (tests/harness/table_updates.py, with the AWS page each
follows) cannot bend to fit the product. The list of rules is in docs/testing.md.
"""

import itertools
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from mypy_boto3_cloudformation import CloudFormationClient

STACK = "HarnessStack"
TABLE = "harness-table"
KEYS = {
    "KeySchema": [{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
    "AttributeDefinitions": [
        {"AttributeName": "PK", "AttributeType": "S"},
        {"AttributeName": "SK", "AttributeType": "S"},
    ],
}
POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyDeleteTable",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "dynamodb:DeleteTable",
            "Resource": f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}",
        }
    ],
}
PROMISES: dict[str, Any] = {
    "DeletionProtectionEnabled": True,
    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
    "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "ttl"},
    "SSESpecification": {"SSEEnabled": True},
    "ResourcePolicy": {"PolicyDocument": POLICY},
    "Tags": [{"Key": "team", "Value": "storage"}],
    "ContributorInsightsSpecification": {"Enabled": True},
}
_names = itertools.count()


def indexes(*names: str) -> dict[str, Any]:
    """The table properties for global secondary indexes `names`, each keyed on attribute G."""
    return {
        "AttributeDefinitions": [*KEYS["AttributeDefinitions"], {"AttributeName": "G", "AttributeType": "S"}],
        "GlobalSecondaryIndexes": [
            {
                "IndexName": name,
                "KeySchema": [{"AttributeName": "G", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name in names
        ],
    }


def template(marker: str | None = None, **properties: Any) -> str:
    """A table on demand with `properties`, and, with `marker`, an unrelated resource to change."""
    table = {"TableName": TABLE, "BillingMode": "PAY_PER_REQUEST", **KEYS, **properties}
    resources: dict[str, Any] = {
        "Table": {"Type": "AWS::DynamoDB::Table", "DeletionPolicy": "Retain", "Properties": table}
    }
    if marker is not None:
        resources["Marker"] = {
            "Type": "AWS::SSM::Parameter",
            "Properties": {"Name": "harness-marker", "Type": "String", "Value": marker},
        }
    return json.dumps({"Resources": resources})


def change(cf: CloudFormationClient, kind: str, body: str) -> str:
    """Create and execute one change set; the stack's status after it."""
    request: dict[str, Any] = {
        "StackName": STACK,
        "ChangeSetName": f"harness-{next(_names)}",
        "TemplateBody": body,
        "ChangeSetType": kind,
    }
    if kind == "IMPORT":
        request["ResourcesToImport"] = [
            {
                "ResourceType": "AWS::DynamoDB::Table",
                "LogicalResourceId": "Table",
                "ResourceIdentifier": {"TableName": TABLE},
            }
        ]
    created = cf.create_change_set(**request)
    cf.execute_change_set(ChangeSetName=created["Id"])
    return cf.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"]


@pytest.fixture
def ddb(aws_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")


@pytest.fixture
def bare_table(ddb: Any) -> None:
    """A table made through DynamoDB's API with nothing on: no TTL, PITR, protection, policy or tags."""
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST", **KEYS)


def state(ddb: Any) -> dict[str, Any]:
    """What the table has on, read with DynamoDB's own calls."""
    table = ddb.describe_table(TableName=TABLE)["Table"]
    arn = table["TableArn"]
    ttl = ddb.describe_time_to_live(TableName=TABLE)["TimeToLiveDescription"]
    backups = ddb.describe_continuous_backups(TableName=TABLE)["ContinuousBackupsDescription"]
    try:
        policy = json.loads(ddb.get_resource_policy(ResourceArn=arn)["Policy"])
    except ddb.exceptions.PolicyNotFoundException:
        policy = None
    except ddb.exceptions.ResourceNotFoundException:
        policy = None
    return {
        "ttl": ttl.get("TimeToLiveStatus"),
        "pitr": backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"],
        "deletion_protection": table.get("DeletionProtectionEnabled", False),
        "sse": (table.get("SSEDescription") or {}).get("Status", "AWS owned key"),
        "policy": policy,
        "tags": {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=arn)["Tags"]},
        "insights": ddb.describe_contributor_insights(TableName=TABLE)["ContributorInsightsStatus"],
        "indexes": sorted(g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])),
    }


NOTHING_ON = {
    "ttl": "DISABLED",
    "pitr": "DISABLED",
    "deletion_protection": False,
    "sse": "AWS owned key",
    "policy": None,
    "tags": {},
    "insights": "DISABLED",
    "indexes": [],
}
EVERYTHING_ON = {
    "ttl": "ENABLED",
    "pitr": "ENABLED",
    "deletion_protection": True,
    "sse": "ENABLED",
    "policy": POLICY,
    "tags": {"team": "storage"},
    "insights": "ENABLED",
    "indexes": ["ByG"],
}


def test_an_import_changes_nothing_on_the_table(bare_table: None, cf: CloudFormationClient, ddb: Any) -> None:
    assert change(cf, "IMPORT", template(**PROMISES)) == "IMPORT_COMPLETE"
    assert state(ddb) == NOTHING_ON


def test_an_update_applies_exactly_the_difference_from_the_recorded_template(
    bare_table: None, cf: CloudFormationClient, ddb: Any
) -> None:
    assert change(cf, "IMPORT", template()) == "IMPORT_COMPLETE"
    assert change(cf, "UPDATE", template(**PROMISES, **indexes("ByG"))) == "UPDATE_COMPLETE"
    assert state(ddb) == EVERYTHING_ON
    # And back: each setting the new template drops is turned off, the index deleted.
    assert change(cf, "UPDATE", template()) == "UPDATE_COMPLETE"
    assert state(ddb) == NOTHING_ON


def test_an_update_that_leaves_the_table_unchanged_changes_nothing_though_the_table_differs(
    bare_table: None, cf: CloudFormationClient, ddb: Any
) -> None:
    assert change(cf, "IMPORT", template()) == "IMPORT_COMPLETE"
    assert change(cf, "UPDATE", template(marker="a", **PROMISES)) == "UPDATE_COMPLETE"
    ddb.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": False, "AttributeName": "ttl"}
    )
    ddb.update_table(TableName=TABLE, DeletionProtectionEnabled=False)
    assert change(cf, "UPDATE", template(marker="b", **PROMISES)) == "UPDATE_COMPLETE"
    live = state(ddb)
    assert (live["ttl"], live["deletion_protection"]) == ("DISABLED", False)


def test_importing_the_desired_template_then_updating_leaves_ttl_off(
    bare_table: None, cf: CloudFormationClient, ddb: Any
) -> None:
    """The old adopt flow: import the template's promises, then update with the full template."""
    assert change(cf, "IMPORT", template(**PROMISES)) == "IMPORT_COMPLETE"
    assert change(cf, "UPDATE", template(marker="the rest", **PROMISES)) == "UPDATE_COMPLETE"
    assert state(ddb) == NOTHING_ON


def test_two_index_creations_in_one_update_fail_and_roll_back(
    bare_table: None, cf: CloudFormationClient, ddb: Any
) -> None:
    assert change(cf, "IMPORT", template()) == "IMPORT_COMPLETE"
    both = template(**indexes("ByG", "ByG2"))
    assert change(cf, "UPDATE", both) == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName=STACK)["StackEvents"]
    ]
    assert any("more than one GSI creation or deletion" in r for r in reasons)
    assert state(ddb)["indexes"] == []


def test_a_replacement_makes_a_new_table_and_retains_the_old_one(
    bare_table: None, cf: CloudFormationClient, ddb: Any
) -> None:
    assert change(cf, "IMPORT", template()) == "IMPORT_COMPLETE"
    renamed = json.loads(template())
    renamed["Resources"]["Table"]["UpdateReplacePolicy"] = "Retain"
    renamed["Resources"]["Table"]["Properties"]["TableName"] = f"{TABLE}-v2"
    assert change(cf, "UPDATE", json.dumps(renamed)) == "UPDATE_COMPLETE"
    names = ddb.list_tables()["TableNames"]
    assert TABLE in names and f"{TABLE}-v2" in names  # the old one retained, as its policy says
    resource = cf.describe_stack_resource(StackName=STACK, LogicalResourceId="Table")
    assert resource["StackResourceDetail"]["PhysicalResourceId"] == f"{TABLE}-v2"


def test_a_replacement_under_the_same_name_fails(bare_table: None, cf: CloudFormationClient) -> None:
    assert change(cf, "IMPORT", template()) == "IMPORT_COMPLETE"
    changed_keys = json.loads(template())
    changed_keys["Resources"]["Table"]["Properties"]["KeySchema"] = [
        {"AttributeName": "PK", "KeyType": "HASH"}
    ]
    assert change(cf, "UPDATE", json.dumps(changed_keys)) == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason", "") for e in cf.describe_stack_events(StackName=STACK)["StackEvents"]
    ]
    assert any("custom-named resource requires replacing" in r for r in reasons)


def test_contributor_insights_and_the_last_switch_to_on_demand(ddb: Any) -> None:
    ddb.create_table(
        TableName=TABLE, ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}, **KEYS
    )
    summary = ddb.describe_table(TableName=TABLE)["Table"].get("BillingModeSummary", {})
    assert "LastUpdateToPayPerRequestDateTime" not in summary
    ddb.update_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST")
    switched = ddb.describe_table(TableName=TABLE)["Table"]["BillingModeSummary"]
    assert datetime.now(UTC) - switched["LastUpdateToPayPerRequestDateTime"] < timedelta(minutes=1)
    answer = ddb.update_contributor_insights(TableName=TABLE, ContributorInsightsAction="ENABLE")
    assert answer["ContributorInsightsStatus"] == "ENABLED"
    assert ddb.describe_contributor_insights(TableName=TABLE)["ContributorInsightsStatus"] == "ENABLED"
