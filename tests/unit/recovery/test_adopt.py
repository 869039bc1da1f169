"""Adopt: what it refuses before any step, the template it hands the deploy, and the IMPORT change set
as AWS takes and answers it, through botocore's Stubber.

moto has no IMPORT change sets (the harness emulates one minimally), so the request adopt sends
and AWS's documented answers (a change set whose changes are `Import`, IMPORT_* stack events)
are checked here against CloudFormation's service model.
"""

import io
from typing import Any

import pytest
from botocore.stub import Stubber

from kvtable.console.errors import UsageError
from kvtable.deploy.aws_state import Clients
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from kvtable.recovery.adopt import Adopter, AdoptOptions
from kvtable.recovery.restore import CommandTarget
from tests.aws_shapes import (
    CHANGE_SET,
    STACK,
    STACK_ID,
    described_table,
    import_change_set_request,
    offline_cloudformation,
    offline_dynamodb,
    offline_iam,
    offline_kms,
    stack_event,
)
from tests.shipped import shipped

TO_IMPORT = [
    {
        "ResourceType": "AWS::DynamoDB::Table",
        "LogicalResourceId": "KVStorageTable",
        "ResourceIdentifier": {"TableName": "kv-storage-data-restored"},
    }
]


def test_the_import_change_set_request_and_aws_answers() -> None:
    cf = offline_cloudformation()
    out = io.StringIO()
    deployer = Deployer(
        cf, DeployOptions(stack_name=STACK, poll_seconds=0, template=shipped()), out, sleep=lambda _: None
    )
    with Stubber(cf) as stub:
        stub.add_response(
            "create_change_set",
            {"Id": CHANGE_SET, "StackId": STACK_ID},
            import_change_set_request(
                '{"Resources": {}}',
                [{"ParameterKey": "TableName", "ParameterValue": "kv-storage-data-restored"}],
                TO_IMPORT,
            ),
        )
        stub.add_response(
            "describe_change_set",
            {
                "ChangeSetId": CHANGE_SET,
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
                            "PhysicalResourceId": "kv-storage-data-restored",
                            "ResourceType": "AWS::DynamoDB::Table",
                        },
                    }
                ],
            },
            {"ChangeSetName": CHANGE_SET},
        )
        stub.add_response(
            "describe_stack_events",
            {"StackEvents": [stack_event(1, STACK, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE")]},
            {"StackName": STACK},
        )
        stub.add_response("execute_change_set", {}, {"ChangeSetName": CHANGE_SET})
        stub.add_response(
            "describe_stack_events",
            {
                "StackEvents": [
                    stack_event(4, STACK, "AWS::CloudFormation::Stack", "IMPORT_COMPLETE"),
                    stack_event(3, "KVStorageTable", "AWS::DynamoDB::Table", "IMPORT_COMPLETE"),
                    stack_event(2, STACK, "AWS::CloudFormation::Stack", "IMPORT_IN_PROGRESS"),
                    stack_event(1, STACK, "AWS::CloudFormation::Stack", "UPDATE_COMPLETE"),
                ]
            },
            {"StackName": STACK},
        )
        applied = deployer.apply_change_set(
            body='{"Resources": {}}',
            parameters={"TableName": "kv-storage-data-restored"},
            tags=None,
            stack=None,
            table_ids=["KVStorageTable"],
            resources_to_import=TO_IMPORT,
        )
        stub.assert_no_pending_responses()
    assert applied is True
    report = out.getvalue()
    assert "Import  KVStorageTable" in report
    assert "KVStorageTable           IMPORT_COMPLETE" in report


def offline_clients() -> Clients:
    return Clients(offline_cloudformation(), offline_dynamodb(), offline_iam(), offline_kms())


def adopter(clients: Clients, table: str, template: dict[str, Any] | None = None) -> Adopter:
    body, shipped_template = shipped()
    options = AdoptOptions(STACK, table, plan_only=True, poll_seconds=0)
    return Adopter(clients, options, shipped_template if template is None else template, body, io.StringIO())


def test_a_table_name_dynamodb_would_refuse_is_refused_before_any_call() -> None:
    clients = offline_clients()
    with Stubber(clients.dynamodb), pytest.raises(UsageError) as error:
        adopter(clients, "kv data").plan()
    assert error.value.exit_code == 2


def test_a_table_that_does_not_exist_is_refused_with_exit_2() -> None:
    clients = offline_clients()
    with Stubber(clients.dynamodb) as stub:
        stub.add_client_error(
            "describe_table", "ResourceNotFoundException", "Requested resource not found", 400
        )
        with pytest.raises(UsageError) as error:
            adopter(clients, "kv-storage-data-restored").plan()
    assert str(error.value) == "table kv-storage-data-restored does not exist in this account and region"


def test_a_template_without_a_table_has_nothing_to_adopt_the_table_as() -> None:
    clients = offline_clients()
    with Stubber(clients.dynamodb) as stub:
        stub.add_response("describe_table", described_table("kv-storage-data-restored"))
        with pytest.raises(UsageError, match=r"^the template has no DynamoDB table to adopt the table as$"):
            adopter(clients, "kv-storage-data-restored", {"Resources": {}}).plan()


def test_the_deploy_adopt_hands_on_takes_adopts_template_as_data() -> None:
    run = adopter(offline_clients(), "kv-storage-data-restored")
    deployer = run._deployer(plan_only=True)
    assert deployer.options.template == (run.body, run.template)
    assert deployer.options.template_path is None


def test_without_a_target_the_hints_name_the_stack() -> None:
    options = AdoptOptions(STACK, "kv-storage-data-restored")
    assert options.command_target == CommandTarget(f"--stack-name {STACK}")
