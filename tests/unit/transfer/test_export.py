"""`kvtable export`'s bad input: one line and exit 2 before any call."""

import pytest

from kvtable.cli.main import main


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        ([], "give --to s3://bucket/prefix: where to export"),
        (
            ["--to", "s3://bkt/p", "--from", "2026-12-07T00:00:00Z"],
            "--from and a --to time go with --incremental",
        ),
        (["--to", "s3://bkt/p", "--incremental"], "--incremental needs --from"),
        (["--to", "s3://Bad_Bucket/p"], "is not an S3 bucket name"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(["export", *argv]))
    err = capsys.readouterr().err
    assert exit_info.value.code == 2
    assert message in err and err.count("\n") == 1
