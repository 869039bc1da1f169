"""From one region to many: the conversion's plan on the local CloudFormation, and its requests in
AWS's shape through botocore's Stubber (moto has no AWS::DynamoDB::GlobalTable and no replicas)."""

import io
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.cfn.global_database import MAX_REPLICAS
from kvtable.cli.adopt import MAX_REPLICAS as CLI_MAX_REPLICAS
from kvtable.cli.main import main
from kvtable.deploy import cloudformation as cfn
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from kvtable.deploy.templates import load_built_template
from kvtable.recovery.globalize import GlobalizeOptions, Globalizer, Step, import_request, replica_additions
from tests.aws_shapes import STACK, STACK_ID, offline_cloudformation, stack_event


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(["adopt", "--stack-name", STACK, "--poll-seconds", "0", *argv]))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def test_the_conversion_plan_lists_every_step_and_changes_nothing(
    cf: CloudFormationClient, capsys: pytest.CaptureFixture[str]
) -> None:
    Deployer(cf, DeployOptions(stack_name=STACK, poll_seconds=0), io.StringIO(), sleep=lambda _: None).run()
    before = cf.get_template(StackName=STACK)["TemplateBody"]
    code, out, _ = run(
        capsys, "--as-global-table", "--regions", "us-east-1,eu-west-1,ap-southeast-2", "--plan"
    )
    assert code == 0
    assert out.splitlines()[1:] == [
        "  step 1 of 6: turn the table's stream on (NEW_AND_OLD_IMAGES), which replication needs",
        "  step 2 of 6: remove the table from the stack: it is Retain with deletion protection, so it stays",
        "  step 3 of 6: import the table as an AWS::DynamoDB::GlobalTable with one replica, us-east-1",
        "  step 4 of 6: update with the full global template: policies in every replica region, the same exports",
        "  step 5 of 6: add the replica in eu-west-1 and wait until it is ACTIVE",
        "  step 6 of 6: add the replica in ap-southeast-2 and wait until it is ACTIVE",
    ]
    assert cf.get_template(StackName=STACK)["TemplateBody"] == before


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--regions", "eu-west-1"], "--regions must include the stack's own region us-east-1"),
        (["--regions", "us-east-1,Europe"], "'Europe' is not an AWS region name"),
        ([], "--as-global-table needs --regions"),
    ],
)
def test_bad_regions_are_exit_2(
    cf: CloudFormationClient, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    Deployer(cf, DeployOptions(stack_name=STACK, poll_seconds=0), io.StringIO(), sleep=lambda _: None).run()
    code, _, err = run(capsys, "--as-global-table", "--plan", *argv)
    assert code == 2
    assert message in err


def test_one_replica_is_added_per_update() -> None:
    assert replica_additions("us-east-1", ("us-east-1", "eu-west-1", "ap-southeast-2"), ("us-east-1",)) == [
        ("us-east-1", "eu-west-1"),
        ("us-east-1", "eu-west-1", "ap-southeast-2"),
    ]
    assert replica_additions("us-east-1", ("us-east-1", "eu-west-1"), ("us-east-1", "eu-west-1")) == []
    assert MAX_REPLICAS == CLI_MAX_REPLICAS


def test_the_import_as_a_global_table_in_aws_shape() -> None:
    cf = offline_cloudformation()
    _, single = load_built_template()
    _, global_template = load_built_template("global-database")
    detached = {k: v for k, v in single.items() if k != "Resources"}
    detached["Resources"] = {k: v for k, v in single["Resources"].items() if k != "KVStorageTable"}
    stack = cfn.DeployedStack(
        STACK, STACK_ID, "UPDATE_COMPLETE", {"TableName": "kv-storage-data"}, {}, [], True
    )
    options = GlobalizeOptions(STACK, ("us-east-1", "eu-west-1"), poll_seconds=0)
    globalizer = Globalizer(cf, None, options, global_template, io.StringIO(), sleep=lambda _: None)
    change_set = "arn:aws:cloudformation:us-east-1:123456789012:changeSet/kvtable-1/5e6f"
    with Stubber(cf) as stub:
        stub.add_response(
            "create_change_set",
            {"Id": change_set, "StackId": STACK_ID},
            {
                "StackName": STACK,
                "ChangeSetName": ANY,
                "TemplateBody": ANY,
                "ChangeSetType": "IMPORT",
                "Parameters": ANY,
                "Capabilities": ["CAPABILITY_IAM"],
                "Description": "kvtable deploy",
                "ResourcesToImport": import_request("kv-storage-data"),
            },
        )
        stub.add_response(
            "describe_change_set",
            {
                "ChangeSetId": change_set,
                "StackId": STACK_ID,
                "StackName": STACK,
                "Status": "CREATE_COMPLETE",
                "ExecutionStatus": "AVAILABLE",
                "Changes": [
                    {
                        "Type": "Resource",
                        "ResourceChange": {
                            "Action": "Import",
                            "LogicalResourceId": "KVStorageTable",
                            "PhysicalResourceId": "kv-storage-data",
                            "ResourceType": "AWS::DynamoDB::GlobalTable",
                        },
                    }
                ],
            },
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
    assert import_request("kv-storage-data")[0]["ResourceType"] == "AWS::DynamoDB::GlobalTable"


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
