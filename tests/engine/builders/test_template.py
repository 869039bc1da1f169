"""The database and consumer templates, asserted on what the code builds."""

from pathlib import Path

import pytest
from cfnlint.api import lint_file

from kvtable.builders.render import rendered_files
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT


@pytest.mark.cfn_lint
@pytest.mark.parametrize("name", sorted(rendered_files()))
def test_cfn_lint_finds_nothing(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(rendered_files()[name], encoding="utf-8")
    # cfn-lint's own rules and ours (cfn_rules/), as `make lint` runs them.
    matches = lint_file(path, {"append_rules": [str(ROOT / "cfn_rules")], "regions": ["us-east-1"]})
    assert [str(m) for m in matches] == []
