"""What the stack commands print (issue #25), asserted on real runs against the local CloudFormation
(moto's server with the harness's additions) where one can show it: one answer for a stack that is
not there, a plan that sees a table name already taken, columns as wide as their content, each
refusal said once, help that lists a command's own flags, and hints that run as given."""

import re
import shlex
from pathlib import Path
from typing import Any

import boto3
import pytest
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.builders.table_definition import create_table_request
from tests.cloudformation_fixtures import deploy_stack
from tests.paths import REPO_ROOT
from tests.unit.cli.test_cli_messages import STACK, TABLE, run

ROOT = REPO_ROOT
POLL = ("--poll-seconds", "0")


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
