"""From one region to many: the steps read from the stack, the refusals before any step, and the last
update sending the global template the cli built; over botocore's Stubber in AWS's documented shapes."""

import copy
import io
import json
from typing import Any

import pytest
from botocore.stub import ANY, Stubber

from kvtable.console.errors import RefusedError, ToolError, UsageError
from kvtable.deploy import cloudformation
from kvtable.recovery.globalize import GlobalizeOptions, Globalizer, Step, import_request, replica_additions
from tests.aws_shapes import (
    CHANGE_SET,
    STACK,
    STACK_ID,
    described_change_set,
    described_stack,
    described_table,
    offline_cloudformation,
    offline_dynamodb,
)
from tests.unit.deploy.shipped import default_parameters, shipped

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
    stub.add_response("describe_stacks", described_stack(status, default_parameters()), {"StackName": STACK})
    stub.add_response(
        "get_template", {"TemplateBody": shipped()[0]}, {"StackName": STACK, "TemplateStage": "Original"}
    )


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
        stub.add_response(
            "describe_stacks", described_stack(parameters=default_parameters()), {"StackName": STACK}
        )
        stub.add_response(
            "get_template",
            {"TemplateBody": json.dumps(streamed)},
            {"StackName": STACK, "TemplateStage": "Original"},
        )
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
            {
                "StackName": STACK,
                "ChangeSetName": ANY,
                "TemplateBody": GLOBAL_BODY,
                "ChangeSetType": "UPDATE",
                "Parameters": ANY,
                "Capabilities": ["CAPABILITY_IAM"],
                "Description": "kvtable deploy",
            },
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
