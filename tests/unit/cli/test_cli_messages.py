"""What the stack commands print (issue #25), where no engine is needed to show it: columns as wide as
their content, each refusal said once, help that lists a command's own flags, and hints that repeat
the flags given. The runs against the local CloudFormation are in tests/engine/cli/test_cli_messages.py."""

import io
import re
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from kvtable.cli.hints import command_flags
from kvtable.cli.main import build_parser, main
from kvtable.cli.outputs import format_outputs
from kvtable.cli.settings import resolve_settings
from kvtable.console.errors import RefusedError
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.errors import refused
from kvtable.deploy.options import DeployOptions
from tests.aws_shapes import offline_cloudformation
from tests.cli_runs import run_main
from tests.paths import REPO_ROOT
from tests.shipped import shipped

ROOT = REPO_ROOT
STACK = "KVDatabaseStack"
TABLE = "kv-storage-data"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_main(main, list(argv), capsys)


@pytest.mark.parametrize(
    ("tags", "said"),
    [
        ([{"Key": "aws:cloudformation:stack-name", "Value": STACK}], f"belongs to stack {STACK}, so"),
        ([], "outside any stack, as far as its tags say, so"),
    ],
)
def test_without_describe_stack_resources_the_stack_tag_names_the_owner(
    tags: list[dict[str, str]], said: str
) -> None:
    cf = offline_cloudformation()
    dynamodb = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    arn = f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}"
    with Stubber(cf) as stub, Stubber(dynamodb) as ddb_stub:
        stub.add_client_error(
            "describe_stacks", "ValidationError", "Stack with id NewStack does not exist", 400
        )
        ddb_stub.add_response(
            "describe_table",
            {"Table": {"TableName": TABLE, "TableArn": arn, "TableStatus": "ACTIVE"}},
            {"TableName": TABLE},
        )
        stub.add_client_error("describe_stack_resources", "AccessDenied", "not allowed", 403)
        ddb_stub.add_response(
            "list_tags_of_resource",
            {"Tags": tags},
            {"ResourceArn": arn},
        )
        deployer = Deployer(
            cf,
            DeployOptions(stack_name="NewStack", plan_only=True, template=shipped()),
            io.StringIO(),
            dynamodb=dynamodb,
        )
        with pytest.raises(RefusedError, match=f"{said} creating stack NewStack would fail"):
            deployer.run()
        stub.assert_no_pending_responses()
        ddb_stub.assert_no_pending_responses()


def test_format_outputs_pads_each_column_to_its_widest_cell() -> None:
    arn = "arn:aws:iam::123456789012:policy/KVDatabaseStack-ReadWritePolicy-EGOS28FS2ZNP"
    outputs = [
        {"OutputKey": "ReadWritePolicyArn", "OutputValue": arn, "ExportName": "S-ReadWritePolicyArn"},
        {"OutputKey": "DashboardName", "OutputValue": "S-kvtable"},
    ]
    assert format_outputs(outputs, "table") == (
        f"output              {'value':<{len(arn)}}  export\n"
        f"DashboardName       {'S-kvtable':<{len(arn)}}  -\n"
        f"ReadWritePolicyArn  {arn}  S-ReadWritePolicyArn\n"
    )


def test_a_refusal_error_carries_the_first_reason_and_the_report_the_rest() -> None:
    said: list[str] = []
    error = refused("deploy S", ["one", "two", "three"], said.append, "REFUSED (plan)")
    assert str(error) == "refused to deploy S: one (and 2 more, on the REFUSED (plan) lines above)"
    assert said == ["REFUSED (plan): two", "REFUSED (plan): three"]
    assert str(refused("adopt T", ["only"], said.append)) == "refused to adopt T: only"
    assert len(said) == 2


# ----- 4. help: a command's own flags, each explained ------------------------------------------------

DEPLOY_ONLY = ("--plan", "--allow-table-replacement-and-data-loss", "--no-wait-for-backfill")


def test_plan_lists_only_the_flags_a_plan_uses(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "plan", "--help")
    assert code == 0
    flags = set(re.findall(r"(--[a-z-]+)", out.split("examples:")[0]))
    assert {"--template", "--parameter", "--tag", "--stepwise", "--env", "--stack-name", "--region"} <= flags
    assert not flags & set(DEPLOY_ONLY)
    for argv in (*([flag] for flag in DEPLOY_ONLY), ["--poll-seconds", "1"], ["--index-poll-seconds", "1"]):
        code, _, err = run(capsys, "plan", *argv)
        assert code == 2
        assert "unrecognized arguments" in err
    code, out, _ = run(capsys, "deploy", "--help")
    assert set(DEPLOY_ONLY) <= set(re.findall(r"(--[a-z-]+)", out))


@pytest.mark.parametrize(
    ("command", "table", "index"),
    [
        ("demo", "the table to run the patterns on", "the table's global secondary index"),
        ("local", "the table to create", "its global secondary index"),
    ],
)
def test_the_table_and_index_flags_say_what_they_name(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, command: str, table: str, index: str
) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    text = " ".join(out.split())
    assert f"--table-name TABLE_NAME {table} (default: kv-storage-data)" in text
    assert f"--gsi-name GSI_NAME {index} (default: GSI1)" in text


# ----- 5. hints that run as given --------------------------------------------------------------------


def settings_of(*argv: str) -> Any:
    return resolve_settings(build_parser().parse_args(["outputs", *argv]))


def test_the_flags_a_hint_repeats(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(ROOT)
    assert command_flags(settings_of()) == f"--stack-name {STACK}"
    assert command_flags(settings_of("--env", "dev")) == "--env dev"
    where = tmp_path / "my envs"
    where.mkdir()
    (where / "dev.toml").write_text('stack_name = "KVDev"\n')
    given = ["--stack-name", "KVOther", "--profile", "ops", "--region", "eu-west-1"]
    settings = settings_of("--env", "dev", "--config-dir", str(where), *given, "--endpoint-url", "http://h:1")
    assert command_flags(settings, Path("t.yaml")) == (
        f"--env dev --config-dir '{where}' --stack-name KVOther --profile ops --region eu-west-1 "
        "--endpoint-url http://h:1 --template t.yaml"
    )
