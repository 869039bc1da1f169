"""`kvtable verify`'s input checked before any call: a bad format is exit 2. Verify against the local
CloudFormation is in tests/engine/verify/test_verify.py; its reading of AWS's answers in test_verify_units.py."""

import pytest

from kvtable.cli.main import main
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


def exit_code(argv: list[str]) -> int:
    with pytest.raises(SystemExit) as exit_info:
        raise SystemExit(main(argv))
    return int(exit_info.value.code or 0)


def test_a_bad_format_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert exit_code(["verify", "--format", "yaml"]) == 2
    assert "invalid choice: 'yaml'" in capsys.readouterr().err
