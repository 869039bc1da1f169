"""Deploying over HTTP to moto's CloudFormation server (with the harness's additions; see README).

Every refusal is decided by the template-based plan, which works the same on
moto and AWS. moto cannot show the change-set signal for a TableName change (its
change set lists no changes), so that signal is tested in test_change_set_signal.py.
"""

import io
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.cfn.templates import parse_template
from kvtable.console.errors import RefusedError, ToolError
from kvtable.deploy import plan as plan_module
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from scripts import deploy as deploy_cli
from scripts import outputs as outputs_cli
from tests.cli_runs import run_main
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
DATABASE = ROOT / "templates" / "database.yaml"
# moto cannot parse `!ImportValue` with a nested `Fn::Sub` in YAML; AWS can. The JSON twin is the same template.
CONSUMER = ROOT / "templates" / "consumer.json"
STACK = "KVDatabaseStack"


def deploy(cf: CloudFormationClient, template: Path = DATABASE, **options: Any) -> str:
    """Run a deploy, returning its report; raises what the deploy raises."""
    out = io.StringIO()
    settings = {"stack_name": STACK, "template_path": template, "poll_seconds": 0.0, **options}
    try:
        Deployer(cf, DeployOptions(**settings), out, sleep=lambda _: None).run()
    finally:
        print(out.getvalue())
    return out.getvalue()


def edited_template(tmp_path: Path, edit: Any) -> Path:
    """The built database template, changed by `edit(template)`, written to a file."""
    template = json.loads((ROOT / "templates" / "database.json").read_text())
    edit(template)
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(template))
    return path


def table_properties(template: dict[str, Any]) -> dict[str, Any]:
    props: dict[str, Any] = template["Resources"]["KVStorageTable"]["Properties"]
    return props


def stack_status(cf: CloudFormationClient, name: str = STACK) -> str:
    return cf.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]


def pending_change_sets(cf: CloudFormationClient, name: str = STACK) -> list[str]:
    summaries = cf.list_change_sets(StackName=name)["Summaries"]
    return [s["ChangeSetName"] for s in summaries if s.get("ExecutionStatus") != "EXECUTE_COMPLETE"]


def test_first_deploy_creates_the_stack_exports_and_protection(cf: CloudFormationClient) -> None:
    report = deploy(cf)
    assert "Plan for stack KVDatabaseStack (create)" in report
    assert "  Add  KVStorageTable " in report
    assert "CREATE_COMPLETE" in report
    stack = cf.describe_stacks(StackName=STACK)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert stack["EnableTerminationProtection"] is True
    exports = {e["Name"]: e["Value"] for e in cf.list_exports()["Exports"]}
    assert exports["KVDatabaseStack-TableName"] == "kv-storage-data"
    assert exports["KVDatabaseStack-GsiName"] == "GSI1"
    assert exports["KVDatabaseStack-TableArn"].endswith(":table/kv-storage-data")
    assert set(exports) == {
        f"KVDatabaseStack-{n}"
        for n in ["TableName", "TableArn", "GsiName", "ReadPolicyArn", "ReadWritePolicyArn"]
    }
    policy = json.loads(cf.get_stack_policy(StackName=STACK)["StackPolicyBody"])
    deny = policy["Statement"][0]
    assert deny["Effect"] == "Deny"
    assert set(deny["Action"]) == {"Update:Replace", "Update:Delete"}
    assert deny["Resource"] == ["LogicalResourceId/KVStorageTable"]
    assert "KVDatabaseStack-TableName" in report  # outputs with export names printed
    dynamodb = boto3.client("dynamodb", endpoint_url=cf.meta.endpoint_url, region_name="us-east-1")
    assert dynamodb.list_tables()["TableNames"] == ["kv-storage-data"]


def test_a_second_identical_deploy_is_a_no_op(cf: CloudFormationClient) -> None:
    deploy(cf)
    report = deploy(cf)
    assert "is up to date: nothing to deploy" in report
    assert "export: KVDatabaseStack-TableName" in report
    assert pending_change_sets(cf) == []
    assert stack_status(cf) == "CREATE_COMPLETE"


def test_a_no_op_deploy_makes_three_api_calls(cf: CloudFormationClient) -> None:
    deploy(cf)
    calls: list[str] = []
    cf.meta.events.register("before-call.cloudformation.*", lambda model, **_: calls.append(model.name))
    deploy(cf)
    assert calls == ["DescribeStacks", "GetTemplate", "GetStackPolicy"]


def test_a_table_name_change_is_refused_and_nothing_changes(cf: CloudFormationClient) -> None:
    deploy(cf)
    with pytest.raises(RefusedError, match="table would be replaced"):
        deploy(cf, parameters={"TableName": "kv-storage-data-v2"})
    assert pending_change_sets(cf) == []
    stack = cf.describe_stacks(StackName=STACK)["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}[
        "TableName"
    ] == "kv-storage-data"
    assert stack["StackStatus"] == "CREATE_COMPLETE"


def test_plan_shows_the_replacement_without_a_change_set(cf: CloudFormationClient) -> None:
    deploy(cf)
    with pytest.raises(RefusedError):
        deploy(cf, parameters={"TableName": "other-table"}, plan_only=True)
    assert pending_change_sets(cf) == []


def test_plan_only_of_a_safe_change_exits_zero_and_changes_nothing(
    cf: CloudFormationClient, tmp_path: Path
) -> None:
    deploy(cf)

    def describe(template: dict[str, Any]) -> None:
        template["Description"] = "changed description"

    report = deploy(cf, template=edited_template(tmp_path, describe), plan_only=True)
    assert "Plan for stack KVDatabaseStack (update)" in report
    deployed = parse_template(cf.get_template(StackName=STACK)["TemplateBody"], "deployed")
    assert deployed["Description"] != "changed description"


def test_removing_the_table_from_the_template_is_refused(cf: CloudFormationClient, tmp_path: Path) -> None:
    deploy(cf)

    def remove_table(template: dict[str, Any]) -> None:
        template["Resources"] = {
            "Placeholder": {
                "Type": "AWS::SSM::Parameter",
                "Properties": {"Type": "String", "Value": "x", "Name": "/x"},
            }
        }
        template["Outputs"] = {}

    with pytest.raises(RefusedError, match="table would be removed"):
        deploy(cf, template=edited_template(tmp_path, remove_table))
    assert pending_change_sets(cf) == []


def test_creating_two_gsis_in_one_update_is_refused_with_steps(
    cf: CloudFormationClient, tmp_path: Path
) -> None:
    deploy(cf)

    def add_two(template: dict[str, Any]) -> None:
        props = table_properties(template)
        for name in ("GSI2", "GSI3"):
            props["AttributeDefinitions"].append({"AttributeName": f"{name}PK", "AttributeType": "S"})
            props["GlobalSecondaryIndexes"].append(
                {
                    "IndexName": name,
                    "KeySchema": [{"AttributeName": f"{name}PK", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            )

    with pytest.raises(RefusedError, match="more than one GSI") as refused:
        deploy(cf, template=edited_template(tmp_path, add_two))
    assert "create GSI2; then create GSI3" in str(refused.value) or "create GSI2" in str(refused.value)


def test_renaming_the_gsi_is_a_delete_and_a_create_so_it_is_refused(cf: CloudFormationClient) -> None:
    deploy(cf)
    with pytest.raises(RefusedError, match="creates or deletes 2 GSIs"):
        deploy(cf, parameters={"GsiName": "GSI9"})


def test_one_new_gsi_is_allowed(cf: CloudFormationClient, tmp_path: Path) -> None:
    deploy(cf)

    def add_one(template: dict[str, Any]) -> None:
        props = table_properties(template)
        props["AttributeDefinitions"].append({"AttributeName": "GSI2PK", "AttributeType": "S"})
        props["GlobalSecondaryIndexes"].append(
            {
                "IndexName": "GSI2",
                "KeySchema": [{"AttributeName": "GSI2PK", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            }
        )

    report = deploy(cf, template=edited_template(tmp_path, add_one))
    assert "Modify  KVStorageTable" in report
    assert "UPDATE_COMPLETE" in report


def test_a_ttl_attribute_rename_is_refused(cf: CloudFormationClient, tmp_path: Path) -> None:
    deploy(cf)

    def rename_ttl(template: dict[str, Any]) -> None:
        table_properties(template)["TimeToLiveSpecification"]["AttributeName"] = "expiresAt"

    with pytest.raises(RefusedError, match="TTL attribute would change from 'ttl' to 'expiresAt'"):
        deploy(cf, template=edited_template(tmp_path, rename_ttl))


def test_the_consumer_stack_imports_resolve(cf: CloudFormationClient) -> None:
    deploy(cf)
    report = deploy(cf, template=CONSUMER, stack_name="KVAppStack", parameters={"DatabaseStackName": STACK})
    assert "CREATE_COMPLETE" in report
    ssm = boto3.client("ssm", endpoint_url=cf.meta.endpoint_url, region_name="us-east-1")
    assert ssm.get_parameter(Name="/kvtable/KVAppStack/table-name")["Parameter"]["Value"] == "kv-storage-data"


def test_an_export_in_use_cannot_disappear(cf: CloudFormationClient, tmp_path: Path) -> None:
    deploy(cf)
    deploy(cf, template=CONSUMER, stack_name="KVAppStack")

    def drop_table_name_output(template: dict[str, Any]) -> None:
        del template["Outputs"]["TableName"]

    with pytest.raises(
        RefusedError, match="export KVDatabaseStack-TableName would change or disappear, but KVAppStack"
    ):
        deploy(cf, template=edited_template(tmp_path, drop_table_name_output))

    # An export nobody imports may go.
    def drop_gsi_output(template: dict[str, Any]) -> None:
        del template["Outputs"]["GsiName"]

    assert "UPDATE_COMPLETE" in deploy(cf, template=edited_template(tmp_path, drop_gsi_output))


def test_the_loud_option_lets_a_replacement_through(cf: CloudFormationClient) -> None:
    deploy(cf)
    report = deploy(cf, parameters={"TableName": "kv-storage-data-v2"}, allow_table_replacement=True)
    assert "WARNING (plan, allowed by --allow-table-replacement-and-data-loss)" in report
    assert "UPDATE_COMPLETE" in report


def test_a_failing_change_set_is_deleted_and_reported(cf: CloudFormationClient, tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "Resources": {
                    "X": {
                        "Type": "AWS::SSM::Parameter",
                        "Properties": {"Type": "String", "Name": "/x", "Value": {"Fn::ImportValue": "nope"}},
                    }
                }
            }
        )
    )
    with pytest.raises(
        ToolError,
        match=r"deploy of BadStack failed \(ROLLBACK_COMPLETE\); first failure: .*No export named nope",
    ):
        deploy(cf, template=bad, stack_name="BadStack")
    assert stack_status(cf, "BadStack") == "ROLLBACK_COMPLETE"
    # The next deploy finds a failed first create that holds nothing, deletes it and creates anew.
    (tmp_path / "good.json").write_text(
        json.dumps(
            {
                "Resources": {
                    "X": {
                        "Type": "AWS::SSM::Parameter",
                        "Properties": {"Type": "String", "Name": "/x", "Value": "ok"},
                    }
                }
            }
        )
    )
    report = deploy(cf, template=tmp_path / "good.json", stack_name="BadStack")
    assert "holds nothing: deleting it" in report
    assert stack_status(cf, "BadStack") == "CREATE_COMPLETE"


def run_cli(module: Any, argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    return run_main(module.main, argv, capsys)


def test_the_cli_deploys_and_outputs_prints_key_value_lines(
    aws_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run_cli(deploy_cli, ["--poll-seconds", "0", "--tag", "team=storage"], capsys)
    assert code == 0
    assert "CREATE_COMPLETE" in out
    code, out, _ = run_cli(outputs_cli, ["--format", "env"], capsys)
    assert code == 0
    assert "TableName=kv-storage-data\n" in out
    assert "GsiName=GSI1\n" in out
    code, out, _ = run_cli(outputs_cli, [], capsys)
    assert "KVDatabaseStack-ReadWritePolicyArn" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--parameter", "TableName=ab"], "parameter TableName='ab' is invalid"),
        (["--parameter", "TableName=has space"], "parameter TableName='has space' is invalid"),
        (["--parameter", "Nope=1"], "unknown parameter Nope"),
        (["--parameter", "KmsKeyArn=arn:aws:kms:us-east-1:123456789012:alias/k"], "parameter KmsKeyArn="),
        (["--parameter", "TableName"], "must look like KEY=value"),
        (["--stack-name", "9lives"], "stack name '9lives' is invalid"),
        (["--tag", "aws:owner=me"], "reserved by AWS"),
        (["--template", "/no/such/file.yaml"], "argument --template: /no/such/file.yaml does not exist"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    aws_endpoint: str, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run_cli(deploy_cli, argv, capsys)
    assert code == 2
    assert err.startswith("deploy: error: ")
    assert message in err
    assert len(err.strip().splitlines()) == 1


def test_missing_credentials_are_one_line(
    aws_endpoint: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    # Not a loopback endpoint (TEST-NET-1, never reached: signing fails first), so no placeholder
    # credentials: tests/unit/cli/test_cli_aws_settings.py has those.
    code, _, err = run_cli(
        deploy_cli, ["--poll-seconds", "0", "--endpoint-url", "http://192.0.2.1:9"], capsys
    )
    assert code == 2
    assert err.startswith("deploy: error: no AWS credentials found")
    assert len(err.strip().splitlines()) == 1


def test_an_unknown_profile_is_one_line(aws_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(deploy_cli, ["--profile", "nosuchprofile"], capsys)
    assert code == 2
    assert "AWS profile 'nosuchprofile' is not configured" in err


def test_outputs_of_a_missing_stack_is_one_line(
    aws_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(outputs_cli, ["--stack-name", "Nothing", "--region", "eu-west-1"], capsys)
    assert code == 2
    assert err == (
        "outputs: error: stack Nothing does not exist in eu-west-1: check --stack-name, --env and --region, "
        "or deploy it first with: kvtable deploy --stack-name Nothing --region eu-west-1\n"
    )


def test_the_aws_cli_deploys_the_generated_template(cf: CloudFormationClient, aws_endpoint: str) -> None:
    aws = Path(sys.executable).parent / "aws"
    command = [
        str(aws),
        "cloudformation",
        "deploy",
        "--template-file",
        str(DATABASE),
        "--stack-name",
        STACK,
        "--capabilities",
        "CAPABILITY_IAM",
        "--no-fail-on-empty-changeset",
        "--parameter-overrides",
        "TableName=kv-from-cli",
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    assert stack_status(cf) == "CREATE_COMPLETE"
    # Our deploy on top keeps the deployed parameter values and finds nothing to change.
    report = deploy(cf)
    assert "is up to date" in report


def write_environment(directory: Path, text: str) -> Path:
    path = directory / "dev.toml"
    path.write_text(text)
    return path


DEV_FILE = """
stack_name = "KVDatabaseStack-dev"
region = "us-east-1"

[parameters]
TableName = "kv-from-file"

[tags]
environment = "dev"
team = "storage"
"""


def test_deploy_with_an_environment_file_uses_its_parameters_and_tags(
    cf: CloudFormationClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_environment(tmp_path, DEV_FILE)
    argv = ["--env", "dev", "--config-dir", str(tmp_path), "--poll-seconds", "0"]
    code, out, _ = run_cli(deploy_cli, argv, capsys)
    assert code == 0, out
    stack = cf.describe_stacks(StackName="KVDatabaseStack-dev")["Stacks"][0]
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}
    assert parameters["TableName"] == "kv-from-file"
    assert {t["Key"]: t["Value"] for t in stack["Tags"]} == {"environment": "dev", "team": "storage"}
    assert f"Environment dev ({tmp_path / 'dev.toml'}):" in out


def test_plan_with_an_environment_says_which_file_and_values_it_used(
    cf: CloudFormationClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_environment(tmp_path, DEV_FILE)
    argv = ["--plan", "--env", "dev", "--config-dir", str(tmp_path), "--tag", "team=payments"]
    code, out, _ = run_cli(deploy_cli, [*argv, "--parameter", "GsiName=GSI9"], capsys)
    assert code == 0
    lines = [" ".join(line.split()) for line in out.splitlines()]
    assert f"Environment dev ({tmp_path / 'dev.toml'}):" in lines
    assert "stack name KVDatabaseStack-dev from file" in lines
    assert "region us-east-1 from file" in lines
    assert "parameter TableName kv-from-file from file" in lines
    assert "parameter GsiName GSI9 from --parameter" in lines
    assert "tag environment dev from file" in lines
    assert "tag team payments from --tag" in lines
    assert "Plan for stack KVDatabaseStack-dev (create), from the templates:" in lines
    assert cf.describe_stacks()["Stacks"] == []


def test_a_flag_beats_the_file(
    cf: CloudFormationClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_environment(tmp_path, DEV_FILE)
    argv = ["--env", "dev", "--config-dir", str(tmp_path), "--poll-seconds", "0"]
    code, _, _ = run_cli(
        deploy_cli, [*argv, "--stack-name", "KVOther", "--parameter", "TableName=kv-flag"], capsys
    )
    assert code == 0
    stack = cf.describe_stacks(StackName="KVOther")["Stacks"][0]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["TableName"] == "kv-flag"


def test_a_bad_value_in_the_file_calls_nothing(
    cf: CloudFormationClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_environment(tmp_path, DEV_FILE.replace("kv-from-file", "a b"))
    code, _, err = run_cli(deploy_cli, ["--env", "dev", "--config-dir", str(tmp_path)], capsys)
    assert code == 2
    assert err == f"deploy: error: {path}: parameter TableName='a b' is invalid: " + err.split("invalid: ")[1]
    assert cf.describe_stacks()["Stacks"] == []


def test_a_deploy_whose_resource_schema_cannot_be_read_is_refused_and_changes_nothing(
    cf: CloudFormationClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy(cf)

    class SchemaLookupThatFails:
        def get_resource_schema(self, region: str, resource_type: str) -> Any:
            raise KeyError("providers")

    monkeypatch.setattr(plan_module, "PROVIDER_SCHEMA_MANAGER", SchemaLookupThatFails())

    def stream(template: dict[str, Any]) -> None:
        table = template["Resources"]["KVStorageTable"]["Properties"]
        table["StreamSpecification"] = {"StreamViewType": "KEYS_ONLY"}

    with pytest.raises(RefusedError, match=r"resource schema for AWS::DynamoDB::Table could not be read"):
        deploy(cf, template=edited_template(tmp_path, stream))
    assert pending_change_sets(cf) == []
    deployed = parse_template(cf.get_template(StackName=STACK)["TemplateBody"], "deployed")
    assert "StreamSpecification" not in deployed["Resources"]["KVStorageTable"]["Properties"]
