"""checkov and parliament on every template and policy: nothing failed, one skip with its reason."""

import json
from pathlib import Path

import pytest

from tests.external_checkers import (
    GLOBAL_VARIANTS,
    TEMPLATES,
    VARIANTS,
    resolved_database_template,
    resolved_policies,
    run_checkov,
    run_parliament,
)

pytestmark = pytest.mark.checkers


def test_checkov_passes_every_template_but_the_one_documented_skip(tmp_path: Path) -> None:
    paths = sorted(TEMPLATES.glob("*.json")) + sorted(TEMPLATES.glob("*.yaml"))
    for variant, parameters in VARIANTS.items():
        path = tmp_path / f"resolved-{variant}.json"
        path.write_text(json.dumps(resolved_database_template(parameters)))
        paths.append(path)
    for variant, parameters in GLOBAL_VARIANTS.items():
        path = tmp_path / f"global-resolved-{variant}.json"
        path.write_text(json.dumps(resolved_database_template(parameters, "global-database")))
        paths.append(path)
    report = run_checkov(paths)
    assert report.failed == []
    assert report.passed >= 30
    assert {check for check, _ in report.skipped} == {"CKV_AWS_119"}
    assert all("AWS-managed KMS key" in reason for _, reason in report.skipped)


def test_checkov_fails_a_table_without_point_in_time_recovery(tmp_path: Path) -> None:
    template = resolved_database_template({})
    template["Resources"]["KVStorageTable"]["Properties"].pop("PointInTimeRecoverySpecification")
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(template))
    assert "CKV_AWS_28" in {check for check, _, _ in run_checkov([path]).failed}


def test_parliament_finds_nothing_in_any_policy() -> None:
    policies = resolved_policies()
    # Two managed policies and the table's resource policy, in each variant; the global table's two
    # policies and one resource policy per replica (1 and 3 regions).
    assert len(policies) == 3 * len(VARIANTS) + (2 + 1) + (2 + 3)
    assert run_parliament(policies) == []


def test_parliament_does_flag_a_bad_policy() -> None:
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": ["dynamodb:GetItems"], "Resource": "*"}],
    }
    issues = {finding["issue"] for finding in run_parliament({"bad": json.dumps(bad)})}
    assert "UNKNOWN_ACTION" in issues
