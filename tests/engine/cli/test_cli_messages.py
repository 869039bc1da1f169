"""What the stack commands print (issue #25), asserted on real runs against the local CloudFormation
(moto's server with the harness's additions) where one can show it: one answer for a stack that is
not there, a plan that sees a table name already taken, columns as wide as their content, each
refusal said once, help that lists a command's own flags, and hints that run as given."""

import io
import re
import shlex
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.builders.table_definition import create_table_request
from kvtable.cli.hints import command_flags
from kvtable.cli.main import build_parser, main
from kvtable.cli.outputs import format_outputs
from kvtable.cli.settings import resolve_settings
from kvtable.console.errors import RefusedError
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.errors import refused
from kvtable.deploy.options import DeployOptions
from tests.aws_shapes import offline_cloudformation
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
STACK = "KVDatabaseStack"
TABLE = "kv-storage-data"
POLL = ("--poll-seconds", "0")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(list(argv)))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def deploy_stack(cf: CloudFormationClient, **options: Any) -> str:
    out = io.StringIO()
    settings: dict[str, Any] = {"stack_name": STACK, "poll_seconds": 0, **options}
    Deployer(cf, DeployOptions(**settings), out, sleep=lambda _: None).run()
    return out.getvalue()


@pytest.fixture
def ddb(aws_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")


# ----- 1. a stack that is not there: one answer, exit 2 --------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["outputs"],
        ["verify"],
        ["verify", "--operator-policy"],
        ["restore", "--target-table", "kv-restored"],
        ["adopt", "--as-global-table", "--regions", "eu-west-1"],
    ],
    ids=lambda argv: " ".join(argv[:2]),
)
def test_every_command_answers_a_missing_stack_alike_with_exit_2(
    aws_endpoint: str, capsys: pytest.CaptureFixture[str], argv: list[str]
) -> None:
    code, _, err = run(capsys, *argv, "--stack-name", "Nothing", "--region", "eu-west-1")
    assert code == 2
    assert err == (
        f"kvtable {argv[0]}: error: stack Nothing does not exist in eu-west-1: check --stack-name, --env and "
        "--region, or deploy it first with: kvtable deploy --stack-name Nothing --region eu-west-1\n"
    )


def test_the_deploy_a_missing_stack_names_runs_as_given(
    aws_endpoint: str, cf: CloudFormationClient, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "dev.toml").write_text('stack_name = "KVDev"\nregion = "us-east-1"\n')
    env = ["--env", "dev", "--config-dir", str(tmp_path), "--endpoint-url", aws_endpoint]
    code, _, err = run(capsys, "outputs", *env)
    assert code == 2
    hint = err.split("deploy it first with: ")[1].strip()
    assert hint == f"kvtable deploy --env dev --config-dir {tmp_path} --endpoint-url {aws_endpoint}"
    code, out, _ = run(capsys, *shlex.split(hint)[1:], *POLL)
    assert code == 0, out
    code, out, _ = run(capsys, "outputs", *env, "--format", "env")
    assert code == 0
    assert "TableName=kv-storage-data\n" in out


# ----- 2. a plan that sees the table name taken ----------------------------------------------------


def test_plan_refuses_a_table_that_exists_outside_any_stack_naming_the_adopt(
    cf: CloudFormationClient, ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ddb.create_table(**create_table_request("kv-other"))
    code, out, err = run(capsys, "plan", "--stack-name", "NewStack", "--parameter", "TableName=kv-other")
    assert code == 3
    assert "Plan for stack NewStack (create), from the templates:" in out
    assert err == (
        "kvtable plan: error: table kv-other already exists, outside any stack, so creating stack NewStack "
        "would fail on it and roll back: to make it this stack's table, run: kvtable adopt --stack-name "
        "NewStack --table kv-other; or choose another TableName\n"
    )
    adopt = err.split("run: ")[1].split(";")[0]
    code, out, _ = run(capsys, *shlex.split(adopt)[1:], "--plan")
    assert code == 0, out
    assert "Adopt kv-other into stack NewStack: next step: import into a new stack" in out
    assert cf.describe_stacks()["Stacks"] == []


def test_deploy_refuses_a_table_of_another_stack_before_any_change_set(
    cf: CloudFormationClient, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    deploy_stack(cf)
    (tmp_path / "dev.toml").write_text('stack_name = "KVDev"\nregion = "us-east-1"\n')
    code, out, err = run(capsys, "deploy", "--env", "dev", "--config-dir", str(tmp_path), *POLL)
    assert code == 3
    assert "Change set" not in out
    assert err == (
        f"kvtable deploy: error: table {TABLE} already exists and belongs to stack {STACK}, so creating stack "
        f"KVDev would fail on it and roll back: to deploy that stack, name it (--stack-name {STACK}); to move "
        f"the table here, remove it from {STACK} (it is retained), then run: kvtable adopt --env dev "
        f"--config-dir {tmp_path} --table {TABLE}; or choose another TableName\n"
    )
    assert [s["StackName"] for s in cf.describe_stacks()["Stacks"]] == [STACK]


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
            cf, DeployOptions(stack_name="NewStack", plan_only=True), io.StringIO(), dynamodb=dynamodb
        )
        with pytest.raises(RefusedError, match=f"{said} creating stack NewStack would fail"):
            deployer.run()
        stub.assert_no_pending_responses()
        ddb_stub.assert_no_pending_responses()


# ----- 3. columns as wide as their content; each refusal said once ---------------------------------


def cell_starts(line: str) -> list[int]:
    return [m.start() for m in re.finditer(r"\S+", line)]


def rows_under(report: str, title: str) -> list[str]:
    lines = report.splitlines()
    start = lines.index(title) + 1
    rows = []
    for line in lines[start:]:
        if not line.startswith("  "):
            break
        rows.append(line)
    return rows


def test_long_ids_and_arns_keep_every_column_aligned(
    cf: CloudFormationClient, capsys: pytest.CaptureFixture[str]
) -> None:
    report = deploy_stack(cf)
    change_set = rows_under(report, "Change set, from CloudFormation:")
    assert "  Add  TransactWriteItemsLatencyAlarm  AWS::CloudWatch::Alarm      replacement: -" in change_set
    outputs = rows_under(report, f"Outputs of {STACK}:")
    # The events' logical ids take the width of the longest the change set names.
    executing = next(line for line in report.splitlines() if line.startswith("Executing change set "))
    events = rows_under(report, executing)
    widest = max(len(row.split()[1]) for row in change_set)
    assert events and all(row.index("CREATE_") == len("  hh:mm:ss  ") + widest + 1 for row in events), events
    for rows in (
        change_set,
        outputs,
        rows_under(report, f"Plan for stack {STACK} (create), from the templates:"),
    ):
        assert len({tuple(cell_starts(row)) for row in rows}) == 1, rows
    code, out, _ = run(capsys, "outputs", "--stack-name", STACK)
    assert code == 0
    table = out.splitlines()
    assert table[0].split() == ["output", "value", "export"]
    assert len({tuple(cell_starts(row)) for row in table}) == 1, table
    assert any(len(row) > 100 for row in table)  # the policies' ARNs are longer than the old fixed widths


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


def test_several_refusals_are_each_said_once(ddb: Any, capsys: pytest.CaptureFixture[str]) -> None:
    request = create_table_request(TABLE)
    definitions = [a for a in request["AttributeDefinitions"] if a["AttributeName"] != "SK"]
    key_only = [{"AttributeName": "PK", "KeyType": "HASH"}]
    ddb.create_table(**{**request, "KeySchema": key_only, "AttributeDefinitions": definitions})
    ddb.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires"}
    )
    code, out, err = run(capsys, "adopt", "--stack-name", STACK, "--table", TABLE, "--plan")
    assert code == 3
    ttl = [line for line in out.splitlines() if line.startswith("REFUSED")]
    assert len(ttl) == 1
    assert ttl[0].startswith(f"REFUSED: TTL of {TABLE} is on attribute expires, the template's on ttl")
    assert err == (
        f"kvtable adopt: error: refused to adopt {TABLE}: {TABLE}'s key schema is PK (HASH), the template's "
        "PK (HASH), SK (RANGE): an update would replace the table (and 1 more, on the REFUSED line above)\n"
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


def test_restore_names_the_adopt_with_the_flags_it_was_given_and_it_runs(
    cf: CloudFormationClient,
    ddb: Any,
    aws_endpoint: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    deploy_stack(cf)
    ddb.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    target = "kv-storage-data-restored"
    where = ["--stack-name", STACK, "--region", "us-east-1", "--endpoint-url", aws_endpoint]
    code, out, _ = run(capsys, "restore", *where, *POLL, "--target-table", target)
    assert code == 0, out
    adopt = f"kvtable adopt {shlex.join(where)} --table {target}"
    assert f"'{adopt}'" in out
    code, out, _ = run(capsys, *shlex.split(adopt)[1:], *POLL)
    assert code == 0, out
    assert f"{target} is now the table of {STACK}, and keeps every promise of the template" in out
