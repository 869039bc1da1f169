"""`kvtable adopt` on the local CloudFormation (moto's server with the harness's additions).

moto has no IMPORT change sets, deletes a Retain table that an update removes, and never changes a
table in a stack update; the test harness emulates all three after AWS's documentation (an import
changes nothing on the table, an update applies the difference from the recorded template: see
docs/testing.md and tests/engine/harness/test_harness_cloudformation.py). botocore checks
every request against CloudFormation's service model before it is sent, and the IMPORT request
and AWS's answers to it are also tested through the Stubber in test_adopt_requests.py.
"""

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.builders.table_definition import create_table_request
from kvtable.cli import settings as settings_module
from kvtable.cli.main import main
from kvtable.deploy.cloudformation import physical_ids
from tests.cli_runs import run_main
from tests.cloudformation_fixtures import deploy_stack
from tests.engine.deploy.test_deploy import CONSUMER, DATABASE
from tests.resolve import deployed_table_policy

STACK = "KVDatabaseStack"
OLD = "kv-storage-data"
RESTORED = "kv-storage-data-restored"
TEMPLATE = json.loads(DATABASE.with_suffix(".json").read_text())


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_main(main, ["adopt", "--stack-name", STACK, "--poll-seconds", "0", *argv], capsys)


def verify(capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["verify", "--stack-name", STACK, "--poll-seconds", "0"])
    return code, capsys.readouterr().out


@pytest.fixture
def ddb(aws_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")


def keep_promises(ddb: Any, table: str) -> None:
    """What moto's CloudFormation leaves off a table it creates or updates, set through DynamoDB's API."""
    ddb.update_continuous_backups(
        TableName=table, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ddb.update_time_to_live(
        TableName=table, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    ddb.update_table(TableName=table, SSESpecification={"Enabled": True, "SSEType": "KMS"})


@pytest.fixture
def restored(cf: CloudFormationClient, ddb: Any) -> None:
    """The deployed stack and a raw point-in-time restore of its table (no settings re-applied)."""
    deploy_stack(cf)
    keep_promises(ddb, OLD)
    ddb.put_item(TableName=OLD, Item={"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#k"}, "value": {"S": "v"}})
    ddb.restore_table_to_point_in_time(
        SourceTableName=OLD, TargetTableName=RESTORED, UseLatestRestorableTime=True
    )


def test_the_plan_for_a_restored_table_lists_the_steps_and_what_the_update_fixes(
    restored: None, cf: CloudFormationClient, capsys: pytest.CaptureFixture[str]
) -> None:
    template_before = cf.get_template(StackName=STACK)["TemplateBody"]
    code, out, _ = run(capsys, "--table", RESTORED, "--plan")
    assert code == 0
    assert f"Adopt {RESTORED} into stack {STACK}: next step: detach the old table" in out
    assert "  step 1 of 3: remove the old table from KVDatabaseStack: it stays as it is (Retain)" in out
    assert f"  step 2 of 3: import {RESTORED} as KVStorageTable, with TableName={RESTORED}" in out
    assert "  step 3 of 3: update KVDatabaseStack with the full template" in out
    for difference in ("table.pitr: DISABLED", "table.ttl: DISABLED", "table.deletion_protection: false"):
        assert difference in out
    assert cf.get_template(StackName=STACK)["TemplateBody"] == template_before


class Interrupter:
    """Stops the command (as Ctrl-C would) when it is about to send its n-th change set."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sent: list[str] = []
        self.stop_at = 0
        original = settings_module.Settings.session

        def session(settings: settings_module.Settings) -> boto3.Session:
            made = original(settings)
            made.events.register("provide-client-params.cloudformation.CreateChangeSet", self._count)
            return made

        monkeypatch.setattr(settings_module.Settings, "session", session)

    def _count(self, params: dict[str, Any], **_: Any) -> None:
        self.sent.append(params.get("ChangeSetType", ""))
        if len(self.sent) == self.stop_at:
            raise KeyboardInterrupt

    def stop_before(self, number: int) -> None:
        self.sent.clear()
        self.stop_at = number


def test_the_whole_adoption_resumes_after_each_step(
    restored: None,
    cf: CloudFormationClient,
    ddb: Any,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    interrupter = Interrupter(monkeypatch)
    # Interrupted after the old table left the stack, before the import.
    interrupter.stop_before(2)
    code, _, err = run(capsys, "--table", RESTORED)
    assert code == 130
    assert "interrupted" in err
    assert set(physical_ids(cf, STACK)) == {"ReadPolicy", "ReadWritePolicy", "Dashboard"}
    assert OLD in ddb.list_tables()["TableNames"]  # Retain: the old table stays, outside the stack
    outputs = {
        o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]
    }
    assert outputs["TableName"] == OLD  # exports keep their values until the last step
    interrupter.stop_before(0)

    code, out, _ = run(capsys, "--table", RESTORED, "--plan")
    assert "next step: import the table" in out
    assert "step 1 of 2: import" in out

    # Interrupted after the import, before the update.
    interrupter.stop_before(2)
    code, _, _ = run(capsys, "--table", RESTORED)
    assert code == 130
    assert interrupter.sent == ["IMPORT", "UPDATE"]
    interrupter.stop_before(0)
    assert physical_ids(cf, STACK)["KVStorageTable"] == RESTORED
    assert cf.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "IMPORT_COMPLETE"

    code, out, _ = run(capsys, "--table", RESTORED)
    assert code == 0, out
    assert f"{RESTORED} is now the table of {STACK}, and keeps every promise of the template" in out
    outputs = {
        o["OutputKey"]: o["OutputValue"] for o in cf.describe_stacks(StackName=STACK)["Stacks"][0]["Outputs"]
    }
    assert outputs["TableName"] == RESTORED
    assert outputs["TableArn"].endswith(f":table/{RESTORED}")
    assert ddb.get_item(TableName=RESTORED, Key={"PK": {"S": "NS#ns"}, "SK": {"S": "KEY#k"}})["Item"][
        "value"
    ] == {"S": "v"}
    assert OLD in ddb.list_tables()["TableNames"]  # never deleted
    # The restored table (provisioned on moto, nothing re-applied) was imported as it is, so the
    # update applied every promise: on-demand, PITR, TTL, encryption, protection, the resource policy.
    code, out = verify(capsys)
    assert code == 0, out
    arn = ddb.describe_table(TableName=RESTORED)["Table"]["TableArn"]
    policy = json.loads(ddb.get_resource_policy(ResourceArn=arn)["Policy"])
    assert policy == json.loads(deployed_table_policy(TEMPLATE, RESTORED))


def cdk_table(ddb: Any, **changes: Any) -> None:
    """The table as the original CDK app creates it: the same keys and index, on-demand, PITR, the
    AWS-managed key, but no TTL and no deletion protection."""
    request = create_table_request(OLD)
    request.pop("DeletionProtectionEnabled", None)
    request.update(changes)
    ddb.create_table(**request)
    ddb.update_continuous_backups(
        TableName=OLD, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ddb.update_table(TableName=OLD, SSESpecification={"Enabled": True, "SSEType": "KMS"})


def test_a_table_the_cdk_app_built_is_adopted_by_a_new_stack(
    cf: CloudFormationClient, ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    cdk_table(ddb)
    ddb.put_item(TableName=OLD, Item={"PK": {"S": "USER#u"}, "SK": {"S": "METADATA"}})
    code, out, _ = run(capsys, "--table", OLD, "--plan")
    assert code == 0
    assert "next step: import into a new stack" in out
    assert f"step 1 of 2: import {OLD} as KVStorageTable into a new stack {STACK} (the table alone)" in out
    assert "table.ttl: DISABLED (the template: ENABLED on ttl)" in out
    assert "table.deletion_protection: false (the template: true)" in out
    assert cf.describe_stacks()["Stacks"] == []
    code, out, _ = run(capsys, "--table", OLD)
    assert code == 0, out
    assert "Step: import kv-storage-data as KVStorageTable, as it is" in out
    assert f"{OLD} is now the table of {STACK}, and keeps every promise of the template" in out
    # Imported as it is, the update turned on what the CDK app left off: verify holds on every check.
    ttl = ddb.describe_time_to_live(TableName=OLD)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")
    assert ddb.describe_table(TableName=OLD)["Table"]["DeletionProtectionEnabled"] is True
    code, report = verify(capsys)
    assert code == 0, report
    assert "table.resource_policy" in report
    resources = physical_ids(cf, STACK)
    assert resources["KVStorageTable"] == OLD
    assert {"ReadPolicy", "ReadWritePolicy"} <= set(resources)
    stack = cf.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["EnableTerminationProtection"] is True
    assert {o["OutputKey"] for o in stack["Outputs"]} == {
        "DashboardName",
        "TableName",
        "TableArn",
        "GsiName",
        "ReadPolicyArn",
        "ReadWritePolicyArn",
    }
    assert ddb.get_item(TableName=OLD, Key={"PK": {"S": "USER#u"}, "SK": {"S": "METADATA"}})["Item"]


def test_a_key_schema_mismatch_is_refused(
    cf: CloudFormationClient, ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    cdk_table(
        ddb,
        KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}],
        AttributeDefinitions=[
            {"AttributeName": "PK", "AttributeType": "S"},
            {"AttributeName": "GSI1PK", "AttributeType": "S"},
            {"AttributeName": "GSI1SK", "AttributeType": "S"},
        ],
    )
    code, out, err = run(capsys, "--table", OLD, "--plan")
    assert code == 3
    # The one reason is said once, in the error's line, with each key schema as `NAME (TYPE)`.
    assert "REFUSED" not in out
    assert err == (
        f"kvtable adopt: error: refused to adopt {OLD}: {OLD}'s key schema is PK (HASH), the template's "
        "PK (HASH), SK (RANGE): an update would replace the table\n"
    )
    assert cf.describe_stacks()["Stacks"] == []


def test_an_importing_stack_is_named_with_the_order_of_steps(
    restored: None, cf: CloudFormationClient, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_stack(cf, stack_name="KVAppStack", template_path=CONSUMER)
    code, out, err = run(capsys, "--table", RESTORED)
    assert code == 3
    assert "REFUSED" not in out  # the one reason is said once, in the error's line
    assert err == (
        f"kvtable adopt: error: refused to adopt {RESTORED}: KVAppStack import {STACK}-TableName, which changes "
        "to the adopted table's name or ARN: first deploy KVAppStack with the value given as a parameter instead "
        "of the import, then adopt, then switch KVAppStack back to the import\n"
    )
    assert physical_ids(cf, STACK)["KVStorageTable"] == OLD


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--table", "nope"], "table nope does not exist in this account and region"),
        (["--table", "a"], "table name 'a' is invalid"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    aws_endpoint: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err


def test_the_adopted_table_is_named_for_the_environment_file(
    cf: CloudFormationClient, ddb: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cdk_table(ddb)
    (tmp_path / "dev.toml").write_text(
        f'stack_name = "{STACK}"\nregion = "us-east-1"\n\n[parameters]\nTableName = "kv-storage-data-dev"\n'
    )
    code, out, _ = run_env(capsys, "--env", "dev", "--config-dir", str(tmp_path), "--table", OLD)
    assert code == 0, out
    assert (
        f'Next: {tmp_path / "dev.toml"}: change TableName = "kv-storage-data-dev" to TableName = "{OLD}" '
        f"under [parameters] (or 'kvtable plan --env dev --config-dir {tmp_path}' sees the table as replaced)"
    ) in out
    assert "--stack-name" not in out


def run_env(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """`kvtable adopt` without --stack-name: the stack comes from the environment file."""
    return run_main(main, ["adopt", "--poll-seconds", "0", *argv], capsys)
