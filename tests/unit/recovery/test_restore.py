"""Restore's pieces a person sees: table names refused before any call, the hints that repeat how the
stack was named, the restorable window, the PITR command, and the wait for the restored table
(DescribeTable through botocore's Stubber, AWS's documented TableDescription)."""

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from botocore.stub import Stubber

from kvtable.cli.main import main
from kvtable.console.errors import ToolError, UsageError
from kvtable.recovery.restore import (
    CommandTarget,
    RestoreOptions,
    TableWaiter,
    check_table_name,
    is_ready,
    pitr_command,
    restorable_window,
    table_progress,
)
from tests.aws_shapes import described_table, offline_dynamodb
from tests.cli_runs import run_main
from tests.unit.deploy.fake_time import SteppedClock

TABLE = "kv-storage-data-restored"


@pytest.mark.parametrize("name", ["ab", "kv storage", "x" * 256, "kv/data"])
def test_a_table_name_dynamodb_would_refuse_is_refused_first(name: str) -> None:
    with pytest.raises(UsageError) as error:
        check_table_name(name)
    assert error.value.exit_code == 2


def test_a_valid_table_name_passes() -> None:
    check_table_name("kv-storage-data.restored_2")


def test_the_environment_file_line_follows_the_adopted_table() -> None:
    path = Path("config/prod.toml")
    assert CommandTarget("--env prod", path, "kv-old").environment_line(TABLE) == (
        f'config/prod.toml: change TableName = "kv-old" to TableName = "{TABLE}" under [parameters]'
    )
    assert CommandTarget("--env prod", path, None).environment_line(TABLE) == (
        f'config/prod.toml: add TableName = "{TABLE}" under [parameters]'
    )
    assert CommandTarget("--env prod", path, TABLE).environment_line(TABLE) is None
    assert CommandTarget("--stack-name S").environment_line(TABLE) is None


def test_without_a_target_the_hints_name_the_stack() -> None:
    assert RestoreOptions("KVDatabaseStack", TABLE).command_target == CommandTarget(
        "--stack-name KVDatabaseStack"
    )


def test_the_window_is_printed_as_times_that_can_be_given_back() -> None:
    earliest = datetime(2026, 12, 1, 8, 0, 0, 400000, tzinfo=UTC)
    latest = datetime(2026, 12, 7, 8, 10, 50, 900000, tzinfo=UTC)
    # The start rounds up and the end down, so both are inside the window.
    assert restorable_window(earliest, latest) == "2026-12-01T08:00:01Z to 2026-12-07T08:10:50Z"


def test_a_window_narrower_than_a_second_is_printed_in_milliseconds() -> None:
    earliest = datetime(2026, 12, 7, 8, 10, 50, 100000, tzinfo=UTC)
    latest = datetime(2026, 12, 7, 8, 10, 50, 900000, tzinfo=UTC)
    assert restorable_window(earliest, latest) == "2026-12-07T08:10:50.100Z to 2026-12-07T08:10:50.900Z"
    assert restorable_window(None, latest) == "unknown to 2026-12-07T08:10:50Z"


def test_the_pitr_command_names_a_local_endpoint_but_not_aws() -> None:
    base = (
        "aws dynamodb update-continuous-backups --table-name kv-storage-data "
        "--point-in-time-recovery-specification PointInTimeRecoveryEnabled=true --region eu-west-1"
    )
    assert pitr_command("kv-storage-data", "eu-west-1", None) == base
    assert pitr_command("kv-storage-data", "eu-west-1", "https://dynamodb.eu-west-1.amazonaws.com") == base
    assert pitr_command("kv-storage-data", "eu-west-1", "http://127.0.0.1:8000") == (
        base + " --endpoint-url http://127.0.0.1:8000"
    )


def restoring(status: str, in_progress: bool, index_status: str) -> dict[str, Any]:
    table: dict[str, Any] = described_table(TABLE, status, indexes=[("GSI1", index_status, False)])["Table"]
    table["RestoreSummary"] = {
        "SourceTableArn": "arn:aws:dynamodb:us-east-1:123456789012:table/kv-storage-data",
        "RestoreDateTime": datetime(2026, 12, 7, tzinfo=UTC),
        "RestoreInProgress": in_progress,
    }
    return {"Table": table}


def test_progress_names_the_table_and_each_index() -> None:
    assert table_progress(restoring("CREATING", True, "CREATING")["Table"]) == (
        "CREATING (restore in progress); GSI1 CREATING"
    )
    assert not is_ready(restoring("ACTIVE", True, "ACTIVE")["Table"])
    assert not is_ready(restoring("ACTIVE", False, "CREATING")["Table"])
    assert is_ready(restoring("ACTIVE", False, "ACTIVE")["Table"])


def test_the_wait_for_a_restored_table_says_what_it_waits_for_and_when_it_ended() -> None:
    client, clock, out = offline_dynamodb(), SteppedClock(), io.StringIO()
    with Stubber(client) as stub:
        for answer in (
            restoring("CREATING", True, "CREATING"),
            restoring("CREATING", True, "CREATING"),
            restoring("ACTIVE", False, "ACTIVE"),
        ):
            stub.add_response("describe_table", answer, {"TableName": TABLE})
        table = TableWaiter(client, out, 20.0, clock.sleep, clock).wait(TABLE, "restore")
    assert table["TableStatus"] == "ACTIVE"
    assert out.getvalue() == (
        f"  restore: {TABLE} CREATING (restore in progress); GSI1 CREATING (0m00s elapsed)\n"
        f"  restore: {TABLE} is ACTIVE; GSI1 ACTIVE after 0m40s\n"
    )


def test_a_restored_table_that_disappears_stops_the_wait() -> None:
    client = offline_dynamodb()
    with Stubber(client) as stub:
        stub.add_client_error(
            "describe_table", "ResourceNotFoundException", "Requested resource not found", 400
        )
        with pytest.raises(ToolError, match=f"^restore: table {TABLE} disappeared while being restored$"):
            TableWaiter(client, io.StringIO(), 20.0, lambda _: None).wait(TABLE, "restore")


STACK = "KVDatabaseStack"
TARGET = "kv-storage-data-restored"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_main(main, ["restore", "--stack-name", STACK, "--poll-seconds", "0", *argv], capsys)


def test_a_bad_time_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--target-table", TARGET, "--time", "yesterday")
    assert code == 2
    assert "'yesterday' is not an ISO 8601 time" in err
