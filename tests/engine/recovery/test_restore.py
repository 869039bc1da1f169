"""The restore drill on the local engines: moto's CloudFormation and DynamoDB (with the harness).

moto 5.2.5 restores tables (`RestoreTableToPointInTime` with `SourceTableName`) with their items,
and implements continuous backups, TTL and tags, so the whole drill runs end to end here. Its
restorable window is a single instant (earliest = latest), and it ignores the restore's
SSE override, which the restore then re-applies as it would any missing setting.
"""

import json
import re
import shlex
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.cli.main import main
from kvtable.cli.sample_data import load_sample_data
from kvtable.contract.store import KvTable
from tests.cloudformation_fixtures import deploy_stack
from tests.unit.recovery.test_restore import STACK, TARGET, run

SOURCE = "kv-storage-data"
TAGS = {"team": "storage", "environment": "test"}


def every_item(ddb: Any, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for page in ddb.get_paginator("scan").paginate(TableName=table):
        items += page["Items"]
    return sorted(items, key=lambda item: json.dumps(item, sort_keys=True))


@pytest.fixture
def ddb(aws_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="us-east-1")


@pytest.fixture
def deployed(cf: CloudFormationClient, ddb: Any) -> None:
    """The deployed stack, with PITR on (moto's CloudFormation leaves it off)."""
    deploy_stack(cf, tags=TAGS)
    ddb.update_continuous_backups(
        TableName=SOURCE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )


@pytest.fixture
def source(deployed: None, ddb: Any) -> list[dict[str, Any]]:
    """The design's sample data and a thousand keys in the stack's table; returns every item."""
    store = KvTable(ddb, SOURCE)
    load_sample_data(store)
    assert store.load_keys("drill", ((f"key:{i:04d}", {"n": i}) for i in range(1000))) == 1000
    return every_item(ddb, SOURCE)


def test_the_restore_drill_brings_back_every_item_with_every_setting(
    source: list[dict[str, Any]], ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run(capsys, "--target-table", TARGET)
    assert (code, err) == (0, "")
    assert every_item(ddb, TARGET) == source
    assert len(source) > 1000
    table = ddb.describe_table(TableName=TARGET)["Table"]
    assert table["RestoreSummary"]["SourceTableArn"].endswith(f":table/{SOURCE}")
    assert table["DeletionProtectionEnabled"] is True
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert table["SSEDescription"]["Status"] == "ENABLED"
    backups = ddb.describe_continuous_backups(TableName=TARGET)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "ENABLED"
    ttl = ddb.describe_time_to_live(TableName=TARGET)["TimeToLiveDescription"]
    assert (ttl["TimeToLiveStatus"], ttl["AttributeName"]) == ("ENABLED", "ttl")
    tags = {t["Key"]: t["Value"] for t in ddb.list_tags_of_resource(ResourceArn=table["TableArn"])["Tags"]}
    assert tags == TAGS
    assert "17 hold, 0 do not, 0 could not be checked, 0 skipped: every check holds" in out
    assert f"kvtable adopt --stack-name {STACK} --table {TARGET}" in out
    # The source is untouched.
    assert every_item(ddb, SOURCE) == source


def test_an_interrupted_restore_completes_when_run_again(
    source: list[dict[str, Any]], ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "--target-table", TARGET, "--no-wait")
    assert code == 0
    assert "not waiting (--no-wait); run the same command again" in out
    backups = ddb.describe_continuous_backups(TableName=TARGET)["ContinuousBackupsDescription"]
    assert backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"] == "DISABLED"
    code, out, _ = run(capsys, "--target-table", TARGET, "--resume")
    assert code == 0
    assert f"{TARGET} was already restored from {SOURCE}: continuing where it stopped" in out
    assert "  point-in-time recovery   set" in out
    assert every_item(ddb, TARGET) == source
    # A third run finds nothing left to do.
    code, out, _ = run(capsys, "--target-table", TARGET)
    assert code == 0
    assert "set\n" not in out


def test_a_source_without_pitr_is_refused_with_the_command_that_turns_it_on(
    cf: CloudFormationClient, ddb: Any, aws_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy_stack(cf)
    code, _, err = run(capsys, "--target-table", TARGET)
    command = (
        f"aws dynamodb update-continuous-backups --table-name {SOURCE} --point-in-time-recovery-specification "
        f"PointInTimeRecoveryEnabled=true --region us-east-1 --endpoint-url {aws_endpoint}"
    )
    assert (code, err) == (
        2,
        f"kvtable restore: error: point-in-time recovery is off on {SOURCE}, so there is no restorable time; "
        f"nothing was restored; turn it on, then restore to a time after that: {command}\n",
    )
    assert TARGET not in ddb.list_tables()["TableNames"]
    # The command as printed turns it on (its words given to the same API), and the restore then runs.
    words = shlex.split(command)
    assert (
        words[words.index("--point-in-time-recovery-specification") + 1] == "PointInTimeRecoveryEnabled=true"
    )
    ddb.update_continuous_backups(
        TableName=words[words.index("--table-name") + 1],
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    assert run(capsys, "--target-table", TARGET, "--no-wait")[0] == 0


def test_a_time_outside_the_window_is_refused_naming_the_window(
    deployed: None, ddb: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run(capsys, "--target-table", TARGET, "--time", "2020-01-01T00:00:00Z")
    assert code == 2
    # moto's window is one instant with a fraction of a second: no whole second is inside it, so milliseconds.
    window = re.fullmatch(
        f"kvtable restore: error: 2020-01-01T00:00:00Z is outside the restorable window of {SOURCE}, "
        r"(\S+) to (\S+); nothing was restored\n",
        err,
    )
    assert window is not None, err
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3})?Z", time) for time in window.groups()
    ), err
    assert TARGET not in ddb.list_tables()["TableNames"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--target-table", "ab"], "table name 'ab' is invalid"),
        (["--target-table", "has space"], "table name 'has space' is invalid"),
        (["--target-table", SOURCE], f"table {SOURCE} already exists and was not restored from {SOURCE}"),
        (["--target-table", TARGET, "--time", "2999-01-01T00:00:00Z"], "is in the future"),
        (
            ["--target-table", TARGET, "--source-table", "nope"],
            "table nope (--source-table) does not exist in http://127.0.0.1:",
        ),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_is_restored(
    deployed: None, ddb: Any, capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, _, err = run(capsys, *argv)
    assert code == 2
    assert message in err
    assert len(err.splitlines()) == 1
    assert sorted(ddb.list_tables()["TableNames"]) == [SOURCE]


@pytest.fixture
def india_time(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's local zone is +05:30, where botocore's datetimes would show it."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_the_restorable_window_is_shown_in_utc_whatever_the_local_zone(
    deployed: None, india_time: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert time.strftime("%z") == "+0530"
    code, _, err = run(capsys, "--target-table", TARGET, "--time", "2020-01-01T00:00:00Z")
    assert code == 2
    window = err.split(f"outside the restorable window of {SOURCE}, ")[1].split("; ")[0]
    earliest, latest = window.split(" to ")
    now = datetime.now(UTC)
    for shown in (earliest, latest):
        assert shown.endswith("Z"), err
        assert abs(datetime.fromisoformat(shown) - now) < timedelta(minutes=10), (
            err
        )  # UTC, not +05:30 read as UTC
    assert "+05:30" not in err


def test_restore_then_adopt_with_an_environment_file(
    deployed: None, ddb: Any, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "dev.toml").write_text(
        f'stack_name = "{STACK}"\nregion = "us-east-1"\n\n[parameters]\nTableName = "{SOURCE}"\n'
    )
    env = ["--env", "dev", "--config-dir", str(tmp_path), "--poll-seconds", "0"]
    assert main(["restore", *env, "--target-table", TARGET]) == 0
    out = capsys.readouterr().out
    assert f"'kvtable adopt --env dev --config-dir {tmp_path} --table {TARGET}'" in out
    line = (
        f'{tmp_path / "dev.toml"}: change TableName = "{SOURCE}" to TableName = "{TARGET}" under [parameters]'
    )
    assert f"Then, in the environment file: {line}" in out
    assert "--stack-name" not in out
    assert main(["adopt", *env, "--table", TARGET]) == 0
    out = capsys.readouterr().out
    assert f"Next: {line}" in out
    assert f"{TARGET} is now the table of {STACK}, and keeps every promise of the template" in out
    assert main(["verify", "--stack-name", STACK, "--poll-seconds", "0"]) == 0, capsys.readouterr().out
