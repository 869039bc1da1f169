"""The CloudFormation calls a deploy makes, each over a real boto3 client answered by botocore's Stubber
in AWS's documented shapes (the CloudFormation API Reference's page for each call)."""

import io
import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from kvtable.console.errors import ToolError, UsageError
from kvtable.deploy import cloudformation
from kvtable.deploy.errors import ImportersUnknownError, StackMissingError
from tests.aws_shapes import (
    CHANGE_SET,
    STACK,
    STACK_ID,
    change_set_request,
    described_change_set,
    described_stack,
    offline_cloudformation,
    resource_change,
    stack_event,
)
from tests.unit.deploy.fake_time import SteppedClock

MISSING = f"Stack with id {STACK} does not exist"


def test_a_stack_is_read_into_its_parameters_tags_outputs_and_protection() -> None:
    cf = offline_cloudformation()
    outputs = [{"OutputKey": "TableName", "OutputValue": "kv-prod", "ExportName": f"{STACK}-TableName"}]
    answer = described_stack(
        "UPDATE_COMPLETE", {"TableName": "kv-prod"}, outputs=outputs, tags={"team": "storage"}, protected=True
    )
    with Stubber(cf) as stub:
        stub.add_response("describe_stacks", answer, {"StackName": STACK})
        stack = cloudformation.describe_stack(cf, STACK)
    assert stack == cloudformation.DeployedStack(
        STACK, STACK_ID, "UPDATE_COMPLETE", {"TableName": "kv-prod"}, {"team": "storage"}, outputs, True
    )


def test_a_missing_stack_is_none_and_for_a_command_that_needs_one_exit_2_naming_the_deploy() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_client_error(
            "describe_stacks", "ValidationError", MISSING, 400, expected_params={"StackName": STACK}
        )
        assert cloudformation.describe_stack(cf, STACK) is None
        stub.add_client_error(
            "describe_stacks", "ValidationError", MISSING, 400, expected_params={"StackName": STACK}
        )
        with pytest.raises(StackMissingError) as error:
            cloudformation.existing_stack(cf, STACK, "--env prod")
    assert error.value.exit_code == 2
    assert str(error.value) == (
        f"stack {STACK} does not exist in us-east-1: check --stack-name, --env and --region, or deploy it "
        "first with: kvtable deploy --env prod"
    )


def test_access_denied_on_describe_stacks_is_not_taken_for_a_missing_stack() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_client_error("describe_stacks", "AccessDenied", "not authorized", 403)
        with pytest.raises(ClientError, match="AccessDenied"):
            cloudformation.describe_stack(cf, STACK)


def test_the_stack_holding_a_table_is_found_by_its_physical_id() -> None:
    cf = offline_cloudformation()
    resources = {
        "StackResources": [
            {
                "StackName": "OtherStack",
                "LogicalResourceId": "Table",
                "PhysicalResourceId": "kv-prod",
                "ResourceType": "AWS::DynamoDB::Table",
                "Timestamp": stack_event(1, STACK, "x", "x")["Timestamp"],
                "ResourceStatus": "CREATE_COMPLETE",
            }
        ]
    }
    with Stubber(cf) as stub:
        stub.add_response("describe_stack_resources", resources, {"PhysicalResourceId": "kv-prod"})
        assert cloudformation.stack_holding(cf, "kv-prod", {"AWS::DynamoDB::Table"}) == "OtherStack"
        stub.add_client_error(
            "describe_stack_resources", "ValidationError", "Stack for kv-new does not exist", 400
        )
        assert cloudformation.stack_holding(cf, "kv-new", {"AWS::DynamoDB::Table"}) is None


def test_importers_are_listed_sorted_and_an_export_nobody_imports_has_none() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_response("list_imports", {"Imports": ["Zeta", "Alpha"]}, {"ExportName": f"{STACK}-TableArn"})
        assert cloudformation.importing_stacks(cf, f"{STACK}-TableArn") == ["Alpha", "Zeta"]
        stub.add_client_error(
            "list_imports", "ValidationError", f"Export '{STACK}-TableArn' is not imported by any stack.", 400
        )
        assert cloudformation.importing_stacks(cf, f"{STACK}-TableArn") == []


def test_importers_that_cannot_be_listed_are_a_refusal_exit_3() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_client_error("list_imports", "AccessDenied", "not authorized", 403)
        with pytest.raises(ImportersUnknownError) as error:
            cloudformation.importing_stacks(cf, f"{STACK}-TableArn")
    assert error.value.exit_code == 3
    assert error.value.reason == "AccessDenied"


def test_a_change_set_request_sorts_parameters_and_tags_and_asks_for_capability_iam() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_response(
            "create_change_set",
            {"Id": CHANGE_SET, "StackId": STACK_ID},
            change_set_request(
                "UPDATE",
                "{}",
                [
                    {"ParameterKey": "GsiName", "ParameterValue": "GSI1"},
                    {"ParameterKey": "TableName", "ParameterValue": "kv-prod"},
                ],
                ChangeSetName="kvtable-1",
                Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "storage"}],
            ),
        )
        arn = cloudformation.create_change_set(
            cf,
            stack_name=STACK,
            change_set_name="kvtable-1",
            template_body="{}",
            parameters={"TableName": "kv-prod", "GsiName": "GSI1"},
            tags={"team": "storage", "env": "prod"},
            change_set_type="UPDATE",
        )
        stub.assert_no_pending_responses()
    assert arn == CHANGE_SET


def test_the_change_set_wait_backs_off_and_reads_every_page_of_changes() -> None:
    cf, clock = offline_cloudformation(), SteppedClock()
    first = described_change_set(changes=[resource_change("KVStorageTable", "AWS::DynamoDB::Table")])
    first["NextToken"] = "page-2"
    second = described_change_set(changes=[resource_change("ReadPolicy", "AWS::IAM::ManagedPolicy")])
    with Stubber(cf) as stub:
        for _ in range(3):
            stub.add_response(
                "describe_change_set", described_change_set("CREATE_PENDING"), {"ChangeSetName": CHANGE_SET}
            )
        stub.add_response("describe_change_set", first, {"ChangeSetName": CHANGE_SET})
        stub.add_response("describe_change_set", second, {"ChangeSetName": CHANGE_SET, "NextToken": "page-2"})
        described = cloudformation.wait_for_change_set(cf, CHANGE_SET, 2.0, clock.sleep, clock)
        stub.assert_no_pending_responses()
    assert clock.slept == [2.0, 4.0, 8.0]
    assert [c["ResourceChange"]["LogicalResourceId"] for c in described["Changes"]] == [
        "KVStorageTable",
        "ReadPolicy",
    ]


def test_a_change_set_not_ready_in_ten_minutes_is_given_up() -> None:
    cf, clock = offline_cloudformation(), SteppedClock()
    with Stubber(cf) as stub:
        for _ in range(70):
            stub.add_response("describe_change_set", described_change_set("CREATE_IN_PROGRESS"))
        with pytest.raises(ToolError, match=r"^change set .* was not ready after 600s$"):
            cloudformation.wait_for_change_set(cf, CHANGE_SET, 10.0, clock.sleep, clock)


@pytest.mark.parametrize(
    ("status", "reason", "empty"),
    [
        ("FAILED", "The submitted information didn't contain changes. Submit different information.", True),
        ("FAILED", "No updates are to be performed.", True),
        ("FAILED", "Template format error: unsupported structure.", False),
        ("CREATE_COMPLETE", None, False),
    ],
)
def test_only_a_change_set_failed_for_having_no_changes_is_empty(
    status: str, reason: str | None, empty: bool
) -> None:
    assert cloudformation.is_empty_change_set(described_change_set(status, reason=reason)) is empty


def test_following_events_prints_only_those_after_the_marker_aligned() -> None:
    cf, out = offline_cloudformation(), io.StringIO()
    events = [
        stack_event(3, STACK, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE"),
        stack_event(2, "KVStorageTable", "AWS::DynamoDB::Table", "UPDATE_COMPLETE"),
        stack_event(1, STACK, "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS", "User Initiated"),
        stack_event(0, STACK, "AWS::CloudFormation::Stack", "CREATE_COMPLETE"),
    ]
    with Stubber(cf) as stub:
        stub.add_response("describe_stack_events", {"StackEvents": events}, {"StackName": STACK})
        settled = cloudformation.follow_stack_events(
            cf, stack_name=STACK, marker="event-0", out=out, poll_seconds=0, sleep=lambda _: None, id_width=16
        )
    assert settled == ("UPDATE_COMPLETE", None)
    assert out.getvalue() == (
        "  00:00:00  KVDatabaseStack  UPDATE_IN_PROGRESS           User Initiated\n"
        "  00:00:00  KVStorageTable   UPDATE_COMPLETE\n"
        "  00:00:00  KVDatabaseStack  UPDATE_COMPLETE\n"
    )


def test_the_stack_policy_denies_replacing_and_deleting_the_tables_only() -> None:
    policy = json.loads(cloudformation.stack_policy(["KVStorageTable"]))
    assert policy["Statement"] == [
        {
            "Effect": "Deny",
            "Action": ["Update:Replace", "Update:Delete"],
            "Principal": "*",
            "Resource": ["LogicalResourceId/KVStorageTable"],
        },
        {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"},
    ]
    assert cloudformation.policy_protects(cloudformation.stack_policy(["KVStorageTable"]), ["KVStorageTable"])
    assert not cloudformation.policy_protects(cloudformation.stack_policy([]), ["KVStorageTable"])


@pytest.mark.parametrize(
    ("body", "protects"),
    [
        (None, False),
        ("not json", False),
        ('{"Statement": [{"Effect": "Deny", "Action": "Update:*", "Resource": "*"}]}', False),
        (
            '{"Statement": [{"Effect": "Deny", "Action": ["Update:Replace", "Update:Delete"], "Resource": "*"}]}',
            True,
        ),
        (
            '{"Statement": [{"Effect": "Deny", "Action": ["Update:Delete", "Update:Replace"], '
            '"Resource": "LogicalResourceId/Other"}]}',
            False,
        ),
    ],
)
def test_a_policy_protects_only_when_it_denies_both_on_every_table(body: str | None, protects: bool) -> None:
    assert cloudformation.policy_protects(body, ["KVStorageTable"]) is protects


def test_protecting_a_stack_sets_its_policy_and_termination_protection() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_response(
            "set_stack_policy",
            {},
            {"StackName": STACK, "StackPolicyBody": cloudformation.stack_policy(["KVStorageTable"])},
        )
        stub.add_response(
            "update_termination_protection",
            {"StackId": STACK_ID},
            {"StackName": STACK, "EnableTerminationProtection": True},
        )
        cloudformation.protect_stack(cf, STACK, ["KVStorageTable"])
        stub.assert_no_pending_responses()


def test_only_resources_whose_newest_event_failed_are_named() -> None:
    events = [
        stack_event(4, STACK, "AWS::CloudFormation::Stack", "UPDATE_ROLLBACK_FAILED", "failed to roll back"),
        stack_event(3, "ReadPolicy", "AWS::IAM::ManagedPolicy", "UPDATE_FAILED", "Policy does not exist"),
        stack_event(2, "KVStorageTable", "AWS::DynamoDB::Table", "UPDATE_COMPLETE"),
        stack_event(1, "KVStorageTable", "AWS::DynamoDB::Table", "UPDATE_FAILED", "throttled"),
    ]
    assert cloudformation.latest_failures(events) == [("ReadPolicy", "Policy does not exist")]


def summary(logical_id: str, status: str) -> dict[str, Any]:
    """One ListStackResources entry (API_StackResourceSummary.html)."""
    return {
        "LogicalResourceId": logical_id,
        "ResourceType": "AWS::DynamoDB::Table",
        "LastUpdatedTimestamp": stack_event(1, STACK, "x", "x")["Timestamp"],
        "ResourceStatus": status,
    }


def test_remaining_resources_leave_out_the_deleted() -> None:
    cf = offline_cloudformation()
    answer = {
        "StackResourceSummaries": [
            summary("Old", "DELETE_COMPLETE"),
            summary("KVStorageTable", "CREATE_FAILED"),
        ]
    }
    with Stubber(cf) as stub:
        stub.add_response("list_stack_resources", answer, {"StackName": STACK})
        assert cloudformation.remaining_resources(cf, STACK) == ["KVStorageTable (CREATE_FAILED)"]


def test_an_empty_stack_is_deleted_by_id_and_waited_for() -> None:
    cf, clock = offline_cloudformation(), SteppedClock()
    stack = cloudformation.DeployedStack(STACK, STACK_ID, "ROLLBACK_COMPLETE", {}, {}, [], False)
    with Stubber(cf) as stub:
        stub.add_response("delete_stack", {}, {"StackName": STACK_ID})
        stub.add_response("describe_stacks", described_stack("DELETE_IN_PROGRESS"), {"StackName": STACK_ID})
        stub.add_response("describe_stacks", described_stack("DELETE_COMPLETE"), {"StackName": STACK_ID})
        cloudformation.delete_empty_stack(cf, stack, 5.0, clock.sleep, clock)
        stub.assert_no_pending_responses()
    assert clock.slept == [5.0]


def test_an_empty_stack_whose_delete_fails_is_left_to_a_person() -> None:
    cf = offline_cloudformation()
    stack = cloudformation.DeployedStack(STACK, STACK_ID, "ROLLBACK_COMPLETE", {}, {}, [], False)
    with Stubber(cf) as stub:
        stub.add_response("delete_stack", {}, {"StackName": STACK_ID})
        stub.add_response("describe_stacks", described_stack("DELETE_FAILED"), {"StackName": STACK_ID})
        with pytest.raises(ToolError) as error:
            cloudformation.delete_empty_stack(cf, stack, 5.0, lambda _: None)
    assert str(error.value) == f"could not delete the empty stack {STACK} (DELETE_FAILED); delete it by hand"


def test_a_stack_location_comes_from_its_arn_and_parameters() -> None:
    cf = offline_cloudformation()
    answer = described_stack(parameters={"TableName": "kv-prod", "ReplicaRegions": "us-east-1, eu-west-1"})
    with Stubber(cf) as stub:
        stub.add_response("describe_stacks", answer, {"StackName": STACK})
        where = cloudformation.stack_location(cf, STACK)
    assert (where.partition, where.region, where.account, where.table_name) == (
        "aws",
        "us-east-1",
        "123456789012",
        "kv-prod",
    )
    assert where.replica_regions == ("us-east-1", "eu-west-1")


def test_a_stack_without_a_table_name_is_not_a_database_stack() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_response("describe_stacks", described_stack(parameters={}), {"StackName": STACK})
        with pytest.raises(
            UsageError, match=r"has no TableName parameter; is it a kvtable database stack\?$"
        ):
            cloudformation.stack_location(cf, STACK)
