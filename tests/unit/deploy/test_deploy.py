"""The deploy's front (Deployer): the template it takes, what it checks before any call, its plan,
refusals and their exit codes, an existing table in the way of a create, and an up-to-date stack;
over real boto3 clients answered by botocore's Stubber in AWS's documented shapes."""

import functools
import io
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError
from botocore.stub import Stubber

from kvtable.cli.common import error_line
from kvtable.console.errors import RefusedError, UsageError
from kvtable.deploy import cloudformation
from kvtable.deploy.cloudformation import latest_failures
from kvtable.deploy.deploy import Deployer, update_rollback_failed_message
from kvtable.deploy.errors import ImportersUnknownError, StackNotFoundError, cloudformation_errors
from kvtable.deploy.options import DeployOptions
from tests.aws_shapes import (
    STACK,
    STACK_ID,
    assert_aws_shape,
    described_stack,
    described_table,
    offline_cloudformation,
    offline_dynamodb,
    stub_deployed_stack,
)
from tests.paths import REPO_ROOT
from tests.shipped import shipped

MISSING = f"Stack with id {STACK} does not exist"
OUTPUTS = [{"OutputKey": "TableName", "OutputValue": "kv-storage-data", "ExportName": f"{STACK}-TableName"}]


def deploy(cf: Any, dynamodb: Any = None, **options: Any) -> str:
    """Run the deploy with `options` (the shipped database template unless given); return its report."""
    out = io.StringIO()
    settings = {"stack_name": STACK, "poll_seconds": 0, "template": shipped(), **options}
    Deployer(cf, DeployOptions(**settings), out, sleep=lambda _: None, dynamodb=dynamodb).run()
    return out.getvalue()


def test_a_template_given_as_data_is_deployed_and_no_file_is_read() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_client_error("describe_stacks", "ValidationError", MISSING, 400)
        report = deploy(cf, plan_only=True, template_path=Path("/nonexistent/database.yaml"))
    assert report == (
        f"Plan for stack {STACK} (create), from the templates:\n"
        "  Add  Dashboard        AWS::CloudWatch::Dashboard  replace: no\n"
        "  Add  KVStorageTable   AWS::DynamoDB::Table        replace: no\n"
        "  Add  ReadPolicy       AWS::IAM::ManagedPolicy     replace: no\n"
        "  Add  ReadWritePolicy  AWS::IAM::ManagedPolicy     replace: no\n"
    )


def test_a_template_file_is_read_when_no_template_is_given(tmp_path: Path) -> None:
    path = tmp_path / "consumer.json"
    path.write_text(json.dumps({"Resources": {"Topic": {"Type": "AWS::SNS::Topic"}}}))
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_client_error("describe_stacks", "ValidationError", MISSING, 400)
        report = deploy(cf, plan_only=True, template=None, template_path=path)
    assert report.splitlines()[1] == "  Add  Topic  AWS::SNS::Topic  replace: no"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"template": None, "template_path": Path("/nonexistent/t.yaml")}, "template /nonexistent/t.yaml"),
        ({"stack_name": "bad_name!"}, "stack name"),
        ({"tags": {"aws:team": "x"}}, "aws:"),
        ({"parameters": {"Nope": "1"}}, "unknown parameter Nope; the template takes AlarmTopicArn"),
        (
            {"file_parameters": {"GsiName": "G"}, "settings_file": "config/prod.toml"},
            "config/prod.toml: parameter GsiName='G' is invalid",
        ),
    ],
)
def test_bad_input_is_refused_with_exit_2_before_any_call(options: dict[str, Any], message: str) -> None:
    cf = offline_cloudformation()
    # A Stubber with no answer queued fails any call the deploy would make.
    with Stubber(cf), pytest.raises(UsageError) as error:
        deploy(cf, plan_only=True, **options)
    assert error.value.exit_code == 2
    assert message in str(error.value)


def renaming(cf: Any, stub: Stubber, imports: list[str]) -> None:
    stub_deployed_stack(stub)
    stub.add_response("list_imports", {"Imports": imports}, {"ExportName": f"{STACK}-TableArn"})
    stub.add_response("list_imports", {"Imports": []}, {"ExportName": f"{STACK}-TableName"})


def test_a_plan_that_replaces_the_table_is_refused_with_exit_3() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub_deployed_stack(stub)
        with pytest.raises(RefusedError) as error:
            deploy(cf, plan_only=True, parameters={"TableName": "kv-new"})
    assert error.value.exit_code == 3
    assert str(error.value) == (
        f"refused to deploy {STACK}: KVStorageTable: the table would be replaced (TableName 'kv-storage-data' -> "
        "'kv-new'); CloudFormation would create a new, empty table"
    )


def test_allowed_replacement_warns_for_the_plan_and_for_each_export_in_use() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        renaming(cf, stub, imports=["KVAppStack"])
        report = deploy(cf, plan_only=True, parameters={"TableName": "kv-new"}, allow_table_replacement=True)
        stub.assert_no_pending_responses()
    warnings = [line for line in report.splitlines() if line.startswith("WARNING")]
    assert warnings == [
        "WARNING (plan, allowed by --allow-table-replacement-and-data-loss): KVStorageTable: the table would be "
        "replaced (TableName 'kv-storage-data' -> 'kv-new'); CloudFormation would create a new, empty table",
        f"WARNING (plan, allowed by --allow-table-replacement-and-data-loss): export {STACK}-TableArn would change "
        'or disappear, but KVAppStack import it; AWS fails such an update ("Export '
        f'{STACK}-TableArn cannot be updated as it is in use by ..."): deploy the importing stacks without it first',
    ]


def test_exports_whose_importers_cannot_be_listed_count_as_imported() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub_deployed_stack(stub)
        stub.add_client_error("list_imports", "AccessDenied", "not authorized", 403)
        stub.add_response("list_imports", {"Imports": []}, {"ExportName": f"{STACK}-TableName"})
        report = deploy(cf, plan_only=True, parameters={"TableName": "kv-new"}, allow_table_replacement=True)
    assert (
        f"WARNING: could not list the stacks importing {STACK}-TableArn (ListImports: AccessDenied); "
        "treating it as imported"
    ) in report
    assert "grant cloudformation:ListImports, or make sure no stack imports it" in report


def new_stack_over_an_existing_table(holder: dict[str, Any] | None) -> RefusedError:
    cf, dynamodb = offline_cloudformation(), offline_dynamodb()
    with Stubber(cf) as stub, Stubber(dynamodb) as ddb_stub:
        stub.add_client_error("describe_stacks", "ValidationError", MISSING, 400)
        ddb_stub.add_response("describe_table", described_table(), {"TableName": "kv-storage-data"})
        if holder is None:
            stub.add_client_error(
                "describe_stack_resources", "ValidationError", "Stack for kv-storage-data does not exist", 400
            )
        else:
            stub.add_response("describe_stack_resources", {"StackResources": [holder]})
        with pytest.raises(RefusedError) as error:
            deploy(cf, dynamodb, plan_only=True, command_flags="--env prod")
    return error.value


def test_a_create_over_a_table_outside_any_stack_names_the_adopt_to_run() -> None:
    refused = new_stack_over_an_existing_table(None)
    assert refused.exit_code == 3
    assert str(refused) == (
        f"table kv-storage-data already exists, outside any stack, so creating stack {STACK} would fail on it and "
        "roll back: to make it this stack's table, run: kvtable adopt --env prod --table kv-storage-data; or "
        "choose another TableName"
    )


def test_a_create_over_another_stacks_table_names_that_stack() -> None:
    holder = {
        "StackName": "OtherStack",
        "LogicalResourceId": "Table",
        "PhysicalResourceId": "kv-storage-data",
        "ResourceType": "AWS::DynamoDB::Table",
        "Timestamp": described_stack()["Stacks"][0]["CreationTime"],
        "ResourceStatus": "CREATE_COMPLETE",
    }
    assert str(new_stack_over_an_existing_table(holder)).startswith(
        f"table kv-storage-data already exists and belongs to stack OtherStack, so creating stack {STACK} would "
        "fail on it and roll back: to deploy that stack, name it (--stack-name OtherStack)"
    )


def up_to_date(protected: bool, policy: str | None) -> tuple[str, Stubber]:
    cf = offline_cloudformation()
    stub = Stubber(cf)
    stub_deployed_stack(stub, outputs=OUTPUTS, protected=protected)
    stub.add_response("get_stack_policy", {"StackPolicyBody": policy} if policy else {}, {"StackName": STACK})
    if not (protected and policy):
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
    with stub:
        report = deploy(cf)
    return report, stub


def test_an_up_to_date_protected_stack_changes_nothing_and_shows_its_outputs() -> None:
    report, stub = up_to_date(True, cloudformation.stack_policy(["KVStorageTable"]))
    stub.assert_no_pending_responses()
    assert report.endswith(
        f"  no changes\nstack {STACK} is up to date: nothing to deploy\n"
        f"Outputs of {STACK}:\n  TableName  kv-storage-data  export: {STACK}-TableName\n"
    )


def test_an_up_to_date_stack_without_protection_is_protected() -> None:
    report, stub = up_to_date(False, None)
    stub.assert_no_pending_responses()
    assert (
        f"protected {STACK}: termination protection on; stack policy denies Update:Replace and Update:Delete "
        "on KVStorageTable"
    ) in report


def test_a_stuck_rollback_without_failed_resources_says_to_see_the_events() -> None:
    assert update_rollback_failed_message(STACK, [], "UPDATE_ROLLBACK_FAILED", "eu-west-1") == (
        f"stack {STACK} is UPDATE_ROLLBACK_FAILED, so it cannot be updated (rollback failed on see its events); "
        "fix the cause if you can, then run: aws cloudformation continue-update-rollback --stack-name "
        f"{STACK} --region eu-west-1, and deploy again"
    )


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


ROOT = REPO_ROOT


# CloudFormation's error answers, mapped in one place (deploy/errors.py's cloudformation_errors).
EXPORT = "KVDatabaseStack-TableName"


def test_a_denied_list_imports_is_a_refusal_naming_the_export_and_the_code() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_client_error(
            "list_imports",
            "AccessDenied",
            "User: arn:aws:iam::123456789012:user/ops is not authorized to perform: cloudformation:ListImports",
            403,
            expected_params={"ExportName": EXPORT},
        )
        with pytest.raises(ImportersUnknownError) as refused:
            cloudformation.importing_stacks(cf, EXPORT)
    line = (
        f"could not list the stacks importing {EXPORT} (ListImports: AccessDenied): grant "
        "cloudformation:ListImports, or make sure no stack imports it, then run again"
    )
    assert isinstance(refused.value, RefusedError)
    assert isinstance(refused.value.__cause__, ClientError)  # the cause is kept, for --debug
    assert (refused.value.export, refused.value.reason) == (EXPORT, "AccessDenied")
    assert error_line(refused.value) == (line, 3)


def test_an_export_nobody_imports_has_no_importers_and_one_in_use_names_them() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_client_error(
            "list_imports", "ValidationError", f"Export '{EXPORT}' is not imported by any stack.", 400
        )
        stub.add_response(
            "list_imports", {"Imports": ["KVAppStack"], "NextToken": "t"}, {"ExportName": EXPORT}
        )
        stub.add_response(
            "list_imports", {"Imports": ["KVAdminStack"]}, {"ExportName": EXPORT, "NextToken": "t"}
        )
        assert cloudformation.importing_stacks(cf, EXPORT) == []
        assert cloudformation.importing_stacks(cf, EXPORT) == ["KVAdminStack", "KVAppStack"]


def test_an_endpoint_that_does_not_answer_like_aws_is_a_refusal_too() -> None:
    refusal = functools.partial(ImportersUnknownError, EXPORT)
    answer = pytest.raises(ImportersUnknownError, match=r"\(ListImports: no AWS answer\)")
    with answer as refused, cloudformation_errors("ListImports", refusal):
        raise ResponseParserError("Unable to parse response (<html>500</html>)")
    assert isinstance(refused.value.__cause__, ResponseParserError)


def test_a_missing_stack_is_none_and_other_answers_pass_through_unchanged() -> None:
    cf = offline_cloudformation()
    with Stubber(cf) as stub:
        stub.add_client_error("describe_stacks", "ValidationError", "Stack with id Gone does not exist", 400)
        stub.add_client_error("describe_stacks", "Throttling", "Rate exceeded", 400)
        assert cloudformation.describe_stack(cf, "Gone") is None
        # Not an answer the mapping knows, and no refusal asked for: the command's one line says it.
        with pytest.raises(ClientError) as throttled:
            cloudformation.describe_stack(cf, "Busy")
    assert error_line(throttled.value) == ("DescribeStacks failed: Throttling: Rate exceeded", 1)
    with pytest.raises(StackNotFoundError) as missing, cloudformation_errors("GetTemplate"):
        raise ClientError(
            {"Error": {"Code": "ValidationError", "Message": "Stack with id Gone does not exist"}},
            "GetTemplate",
        )
    assert error_line(missing.value) == ("GetTemplate: Stack with id Gone does not exist", 2)


def test_options_without_a_template_are_refused_before_any_call() -> None:
    # Deploy never builds a template itself (the operations layer imports no builder): the cli hands one
    # down, and an importer of DeployOptions that gives none is told so, with no AWS call made.
    cf = offline_cloudformation()
    with Stubber(cf), pytest.raises(UsageError) as refused:
        deploy(cf, template=None)
    assert str(refused.value) == "no template to deploy: give DeployOptions a template or a template_path"
    assert refused.value.exit_code == 2
