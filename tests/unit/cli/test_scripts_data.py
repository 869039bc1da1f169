"""The demo without credentials on AWS: one line, no engine needed. The demo and `make local` against
DynamoDB Local are in tests/engine/cli/test_scripts_data.py."""

import pytest

from scripts import demo
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


def test_demo_without_credentials_on_aws_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    with pytest.raises(SystemExit) as exit_info:
        demo.main(["--aws", "--gsi-lag-samples", "0"])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("demo: error: no AWS credentials found")
    assert len(err.strip().splitlines()) == 1
