"""From one region to many: the steps read from the stack, the refusals before any step, and the last
update sending the global template the cli built; over botocore's Stubber in AWS's documented shapes."""

import copy
import io
import json
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from kvtable.builders.global_database import MAX_REPLICAS
from kvtable.builders.render import load_built_template
from kvtable.cli.adopt import MAX_REPLICAS as CLI_MAX_REPLICAS
from kvtable.console.errors import RefusedError, ToolError, UsageError
from kvtable.deploy import cloudformation
from kvtable.recovery.globalize import GlobalizeOptions, Globalizer, Step, import_request, replica_additions
from tests.aws_shapes import (
    CHANGE_SET,
    STACK,
    STACK_ID,
    WHEN,
    change_set_request,
    described_change_set,
    described_stack,
    described_table,
    design_keys,
    import_change_set,
    import_change_set_request,
    offline_cloudformation,
    offline_dynamodb,
    stack_event,
    stub_deployed_stack,
)
from tests.shipped import default_parameters, shipped

GLOBAL_BODY, GLOBAL = shipped("global-database")
TABLE = "kv-storage-data"


def test_replicas_are_added_one_region_an_update_in_the_order_given() -> None:
    regions = ("us-east-1", "eu-west-1", "ap-south-1")
    assert replica_additions("us-east-1", regions, ("us-east-1",)) == [
        ("us-east-1", "eu-west-1"),
        ("us-east-1", "eu-west-1", "ap-south-1"),
    ]
    assert replica_additions("us-east-1", regions, ()) == replica_additions(
        "us-east-1", regions, ("us-east-1",)
    )
    assert replica_additions("us-east-1", regions, regions) == []


def test_the_import_names_the_table_as_a_global_table() -> None:
    assert import_request(TABLE) == [
        {
            "ResourceType": "AWS::DynamoDB::GlobalTable",
            "LogicalResourceId": "KVStorageTable",
            "ResourceIdentifier": {"TableName": TABLE},
        }
    ]


def globalizer(
    cf: Any, dynamodb: Any, regions: tuple[str, ...], out: io.StringIO, **options: Any
) -> Globalizer:
    settings = GlobalizeOptions(STACK, regions, poll_seconds=0, **options)
    return Globalizer(cf, dynamodb, settings, GLOBAL, out, sleep=lambda _: None, global_body=GLOBAL_BODY)


def plan_single_region(stub: Stubber, status: str = "UPDATE_COMPLETE") -> None:
    stub_deployed_stack(stub, status)


def test_the_plan_of_a_single_region_stack_lists_every_step_and_changes_nothing() -> None:
    cf, out = offline_cloudformation(), io.StringIO()
    with Stubber(cf) as stub:
        plan_single_region(stub)
        stub.add_response("list_imports", {"Imports": ["KVAppStack"]}, {"ExportName": f"{STACK}-TableName"})
        assert globalizer(cf, None, ("us-east-1", "eu-west-1"), out, plan_only=True).run() == 0
        stub.assert_no_pending_responses()
    assert out.getvalue() == (
        f"Convert stack {STACK} to a global table in us-east-1, eu-west-1:\n"
        "  step 1 of 5: turn the table's stream on (NEW_AND_OLD_IMAGES), which replication needs\n"
        "  step 2 of 5: remove the table from the stack: it is Retain with deletion protection, so it stays\n"
        "  step 3 of 5: import the table as an AWS::DynamoDB::GlobalTable with one replica, us-east-1\n"
        "  step 4 of 5: update with the full global template: policies in every replica region, the same exports\n"
        "  step 5 of 5: add the replica in eu-west-1 and wait until it is ACTIVE\n"
        "  (the exports keep their values; KVAppStack import them and need no change)\n"
    )


def test_regions_without_the_stacks_own_are_refused_with_exit_2() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_response(
            "describe_stacks", described_stack(parameters=default_parameters()), {"StackName": STACK}
        )
        with pytest.raises(UsageError) as error:
            globalizer(cf, None, ("eu-west-1",), io.StringIO()).run()
    assert (str(error.value), error.value.exit_code) == (
        "--regions must include the stack's own region us-east-1",
        2,
    )


def test_a_busy_stack_is_refused_before_any_step() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_response("describe_stacks", described_stack("UPDATE_IN_PROGRESS"), {"StackName": STACK})
        with pytest.raises(ToolError, match=r"is busy \(UPDATE_IN_PROGRESS\); wait for it to finish"):
            globalizer(cf, None, ("us-east-1",), io.StringIO()).run()


def test_a_table_whose_stream_is_of_another_view_type_is_refused_with_exit_3() -> None:
    cf, dynamodb = offline_cloudformation(), offline_dynamodb()
    streamed = copy.deepcopy(shipped()[1])
    streamed["Resources"]["KVStorageTable"]["Properties"]["StreamSpecification"] = {
        "StreamViewType": "NEW_AND_OLD_IMAGES"
    }
    table = described_table(TABLE)
    table["Table"]["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    with Stubber(cf) as stub, Stubber(dynamodb) as ddb:
        stub_deployed_stack(stub, template_body=json.dumps(streamed))
        stub.add_response("list_imports", {"Imports": []}, {"ExportName": f"{STACK}-TableName"})
        ddb.add_response("describe_table", table, {"TableName": TABLE})
        with pytest.raises(RefusedError) as error:
            globalizer(cf, dynamodb, ("us-east-1",), io.StringIO(), plan_only=True).run()
    assert error.value.exit_code == 3
    assert str(error.value).startswith(
        f"refused to convert {TABLE}: the stream of {TABLE} is KEYS_ONLY, and a global table's replication needs "
        "NEW_AND_OLD_IMAGES"
    )


def test_the_update_step_sends_the_global_template_as_the_cli_built_it() -> None:
    cf, out = offline_cloudformation(), io.StringIO()
    parameters = {**default_parameters("global-database"), "TableName": TABLE}
    deployed = copy.deepcopy(GLOBAL)
    del deployed["Resources"]["ReadPolicy"]  # the update adds it: a change, so a change set is made
    stack = cloudformation.DeployedStack(STACK, STACK_ID, "IMPORT_COMPLETE", parameters, {}, [], True)
    with Stubber(cf) as stub:
        stub.add_response("describe_stacks", described_stack("IMPORT_COMPLETE", parameters, protected=True))
        stub.add_response("get_template", {"TemplateBody": json.dumps(deployed)})
        stub.add_response(
            "create_change_set",
            {"Id": CHANGE_SET, "StackId": STACK_ID},
            change_set_request("UPDATE", GLOBAL_BODY, ANY),
        )
        empty = described_change_set("FAILED", reason="The submitted information didn't contain changes.")
        stub.add_response("describe_change_set", empty, {"ChangeSetName": CHANGE_SET})
        stub.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET})
        stub.add_response(
            "get_stack_policy", {"StackPolicyBody": cloudformation.stack_policy(["KVStorageTable"])}
        )
        step = Step("update", "update with the full global template", ("us-east-1",))
        globalizer(cf, None, ("us-east-1",), out)._take(step, stack, deployed, TABLE)
        stub.assert_no_pending_responses()
    assert "  Add  ReadPolicy" in out.getvalue()


def test_one_replica_is_added_per_update() -> None:
    assert replica_additions("us-east-1", ("us-east-1", "eu-west-1", "ap-southeast-2"), ("us-east-1",)) == [
        ("us-east-1", "eu-west-1"),
        ("us-east-1", "eu-west-1", "ap-southeast-2"),
    ]
    assert replica_additions("us-east-1", ("us-east-1", "eu-west-1"), ("us-east-1", "eu-west-1")) == []
    assert MAX_REPLICAS == CLI_MAX_REPLICAS


TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/kv-storage-data"
MANAGED_KEY = "arn:aws:kms:us-east-1:123456789012:key/0a1b2c3d-aaaa-bbbb-cccc-1234567890ab"


def offline(service: str) -> Any:
    """A client with throwaway credentials, for a Stubber: it never sends a request."""
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return session.client(service)  # type: ignore[call-overload]


def described_table_with_stream(stream: dict[str, Any] | None) -> dict[str, Any]:
    """DescribeTable's answer for the stack's table (the API reference's TableDescription)."""
    table: dict[str, Any] = {
        "TableName": "kv-storage-data",
        "TableArn": TABLE_ARN,
        "TableStatus": "ACTIVE",
        **design_keys(),
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
        "DeletionProtectionEnabled": True,
        "SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": MANAGED_KEY},
    }
    table["GlobalSecondaryIndexes"][0]["IndexStatus"] = "ACTIVE"
    if stream is not None:
        table["StreamSpecification"] = stream
    return {"Table": table}


def stub_live_table(ddb: Stubber, kms: Stubber) -> None:
    """The reads that describe the live table, in the order adopt makes them, with AWS's answers:
    TTL off and no resource policy (as someone left it), PITR on, tags."""
    ddb.add_response(
        "describe_contributor_insights",
        {"TableName": "kv-storage-data", "IndexName": "GSI1", "ContributorInsightsStatus": "DISABLED"},
        {"TableName": "kv-storage-data", "IndexName": "GSI1"},
    )
    kms.add_response(
        "describe_key",
        {"KeyMetadata": {"KeyId": MANAGED_KEY.rsplit("/", 1)[1], "Arn": MANAGED_KEY, "KeyManager": "AWS"}},
        {"KeyId": "alias/aws/dynamodb"},
    )
    ddb.add_response(
        "describe_continuous_backups",
        {
            "ContinuousBackupsDescription": {
                "ContinuousBackupsStatus": "ENABLED",
                "PointInTimeRecoveryDescription": {"PointInTimeRecoveryStatus": "ENABLED"},
            }
        },
        {"TableName": "kv-storage-data"},
    )
    ddb.add_response(
        "describe_time_to_live",
        {"TimeToLiveDescription": {"TimeToLiveStatus": "DISABLED"}},
        {"TableName": "kv-storage-data"},
    )
    ddb.add_response(
        "describe_contributor_insights",
        {"TableName": "kv-storage-data", "ContributorInsightsStatus": "DISABLED"},
        {"TableName": "kv-storage-data"},
    )
    ddb.add_client_error(
        "get_resource_policy",
        "PolicyNotFoundException",
        "Resource-based policy not found for the provided ResourceArn",
        400,
        expected_params={"ResourceArn": TABLE_ARN},
    )
    ddb.add_response(
        "list_tags_of_resource", {"Tags": [{"Key": "team", "Value": "storage"}]}, {"ResourceArn": TABLE_ARN}
    )


def test_the_import_as_a_global_table_in_aws_shape() -> None:
    cf = offline_cloudformation()
    dynamodb, kms = offline("dynamodb"), offline("kms")
    sent: list[dict[str, Any]] = []
    cf.meta.events.register(
        "provide-client-params.cloudformation.CreateChangeSet", lambda params, **_: sent.append(dict(params))
    )
    _, single = load_built_template()
    _, global_template = load_built_template("global-database")
    detached = {k: v for k, v in single.items() if k != "Resources"}
    detached["Resources"] = {k: v for k, v in single["Resources"].items() if k != "KVStorageTable"}
    stack = cloudformation.DeployedStack(
        STACK, STACK_ID, "UPDATE_COMPLETE", {"TableName": "kv-storage-data"}, {}, [], True
    )
    options = GlobalizeOptions(STACK, ("us-east-1", "eu-west-1"), poll_seconds=0)
    globalizer = Globalizer(
        cf, dynamodb, options, global_template, io.StringIO(), sleep=lambda _: None, kms=kms
    )
    change_set = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/kvtable-1/5e6f"
    stream = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}
    with Stubber(cf) as stub, Stubber(dynamodb) as ddb_stub, Stubber(kms) as kms_stub:
        ddb_stub.add_response(
            "describe_table", described_table_with_stream(stream), {"TableName": "kv-storage-data"}
        )
        stub_live_table(ddb_stub, kms_stub)
        stub.add_response(
            "create_change_set",
            {"Id": change_set, "StackId": STACK_ID},
            import_change_set_request(ANY, ANY, import_request("kv-storage-data")),
        )
        stub.add_response(
            "describe_change_set",
            import_change_set(change_set, "kv-storage-data", "AWS::DynamoDB::GlobalTable"),
            {"ChangeSetName": change_set},
        )
        stub.add_response(
            "describe_stack_events",
            {"StackEvents": [stack_event(1, STACK, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE")]},
        )
        stub.add_response("execute_change_set", {}, {"ChangeSetName": change_set})
        stub.add_response(
            "describe_stack_events",
            {
                "StackEvents": [
                    stack_event(3, STACK, "AWS::CloudFormation::Stack", "IMPORT_COMPLETE"),
                    stack_event(2, "KVStorageTable", "AWS::DynamoDB::GlobalTable", "IMPORT_COMPLETE"),
                    stack_event(1, STACK, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE"),
                ]
            },
        )
        globalizer._take(Step("import", "import"), stack, detached, "kv-storage-data")
        stub.assert_no_pending_responses()
        ddb_stub.assert_no_pending_responses()
        kms_stub.assert_no_pending_responses()
    assert import_request("kv-storage-data")[0]["ResourceType"] == "AWS::DynamoDB::GlobalTable"
    # The table as it is: TTL off and no resource policy, which the update after the import applies.
    imported = json.loads(sent[0]["TemplateBody"])["Resources"]["KVStorageTable"]
    assert imported["Type"] == "AWS::DynamoDB::GlobalTable"
    assert imported["DeletionPolicy"] == "Retain"
    properties = imported["Properties"]
    assert "TimeToLiveSpecification" not in properties
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    assert properties["Replicas"] == [
        {
            "Region": "us-east-1",
            "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
            "DeletionProtectionEnabled": True,
        }
    ]


@pytest.mark.parametrize(
    ("stream", "shown"),
    [(None, "off"), ({"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}, "KEYS_ONLY")],
)
def test_a_table_whose_stream_is_off_or_of_another_view_is_refused_before_the_import(
    stream: dict[str, Any] | None, shown: str
) -> None:
    """The stack records the stream as on (the stream step is done), but the live table's is not."""
    cf, dynamodb = offline_cloudformation(), offline("dynamodb")
    _, single = load_built_template()
    detached = {k: v for k, v in single.items() if k != "Resources"}
    detached["Resources"] = {k: v for k, v in single["Resources"].items() if k != "KVStorageTable"}
    _, global_template = load_built_template("global-database")
    described = {
        "StackId": STACK_ID,
        "StackName": STACK,
        "StackStatus": "UPDATE_COMPLETE",
        "CreationTime": WHEN,
        "Parameters": [{"ParameterKey": "TableName", "ParameterValue": "kv-storage-data"}],
    }
    out = io.StringIO()
    options = GlobalizeOptions(STACK, ("us-east-1",), poll_seconds=0)
    globalizer = Globalizer(cf, dynamodb, options, global_template, out, sleep=lambda _: None)
    with Stubber(cf) as stub, Stubber(dynamodb) as ddb_stub:
        stub.add_response("describe_stacks", {"Stacks": [described]}, {"StackName": STACK})
        stub.add_response(
            "get_template",
            {"TemplateBody": json.dumps(detached)},
            {"StackName": STACK, "TemplateStage": "Original"},
        )
        stub.add_client_error(
            "list_imports",
            "ValidationError",
            f"Export '{STACK}-TableName' is not imported by any stack.",
            400,
        )
        ddb_stub.add_response(
            "describe_table", described_table_with_stream(stream), {"TableName": "kv-storage-data"}
        )
        with pytest.raises(RefusedError) as refusal:
            globalizer.run()
        stub.assert_no_pending_responses()
    assert str(refusal.value).startswith(
        f"refused to convert kv-storage-data: the stream of kv-storage-data is {shown}, and a global table's "
        "replication needs NEW_AND_OLD_IMAGES"
    )
    assert "REFUSED" not in out.getvalue()  # the one reason is said once, in the error


def test_a_new_replica_is_waited_for_until_active() -> None:
    dynamodb = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    out = io.StringIO()
    globalizer = Globalizer(
        None, dynamodb, GlobalizeOptions(STACK, ("us-east-1",)), {}, out, sleep=lambda _: None
    )

    def described(status: str) -> dict[str, Any]:
        replicas = [
            {"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE"},
            {"RegionName": "eu-west-1", "ReplicaStatus": status},
        ]
        return {"Table": {"TableName": "kv-storage-data", "TableStatus": "ACTIVE", "Replicas": replicas}}

    with Stubber(dynamodb) as stub:
        for status in ("CREATING", "UPDATING", "ACTIVE"):
            stub.add_response("describe_table", described(status), {"TableName": "kv-storage-data"})
        globalizer._wait_for_replica("kv-storage-data", ("us-east-1", "eu-west-1"))
        stub.assert_no_pending_responses()
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("  replica eu-west-1: waiting for eu-west-1 CREATING (")
    assert lines[1].startswith("  replica eu-west-1: waiting for eu-west-1 UPDATING (")
    assert lines[2].startswith("  replica eu-west-1: replicas ACTIVE in eu-west-1, us-east-1 after ")
