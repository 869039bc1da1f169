"""`kvtable restore`'s input checked before any call: a bad time is a usage error. The restore drill on
the local engines is in tests/engine/recovery/test_restore.py."""

import pytest

from kvtable.cli.main import main
from tests.cli_runs import run_main

STACK = "KVDatabaseStack"
TARGET = "kv-storage-data-restored"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    return run_main(main, ["restore", "--stack-name", STACK, "--poll-seconds", "0", *argv], capsys)


def test_a_bad_time_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "--target-table", TARGET, "--time", "yesterday")
    assert code == 2
    assert "'yesterday' is not an ISO 8601 time" in err
