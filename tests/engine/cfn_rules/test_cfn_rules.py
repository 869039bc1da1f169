"""The custom cfn-lint rules, tested as cfn-lint tests its own: each case calls one rule on a small
template and compares the exact findings, rule id, path and message; every rule passes the good small
templates and the templates the code builds. Two end-to-end runs prove that cfn-lint loads the rules
with `--append-rules cfn_rules` and reports a finding at the line of the offending key."""

import json
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file

from tests.external_checkers import VARIANTS, resolved_database_template, run_control_tower_rules
from tests.paths import REPO_ROOT
from tests.unit.cfn_rules.test_cfn_rules import RENDERED, RULES_DIR

ROOT = REPO_ROOT


# End to end, through cfn-lint as `make lint` runs it: seconds a template. That every committed template
# passes cfn-lint with these rules is tests/engine/builders/test_template.py's test_cfn_lint_finds_nothing (and `make lint`).


def lint(path: Path) -> list[Any]:
    return list(lint_file(path, {"append_rules": [RULES_DIR], "regions": ["us-east-1"]}))


@pytest.mark.cfn_lint
def test_cfn_lint_with_the_rules_passes_the_customer_managed_key_variant(tmp_path: Path) -> None:
    # A key as the default: cfn-lint's own rules check the parameter's value as well as ours.
    keyed = json.loads(RENDERED["database.json"])
    keyed["Parameters"]["KmsKeyArn"]["Default"] = (
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    path = tmp_path / "database.json"
    path.write_text(json.dumps(keyed))
    assert [str(match) for match in lint(path)] == []


@pytest.mark.cfn_lint
def test_cfn_lint_loads_the_rules_and_reports_the_line_of_the_offending_key(tmp_path: Path) -> None:
    text = (ROOT / "templates" / "database.yaml").read_text()
    assert text.count("BillingMode: PAY_PER_REQUEST") == 1
    broken = tmp_path / "database.yaml"
    broken.write_text(text.replace("BillingMode: PAY_PER_REQUEST", "BillingMode: PROVISIONED"))
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if "BillingMode:" in row)
    ours = [m for m in lint(broken) if m.rule.id.startswith("E9")]
    assert [(m.rule.id, m.path_string, m.linenumber, m.message) for m in ours] == [
        (
            "E9006",
            "Resources/KVStorageTable/Properties/BillingMode",
            line,
            "KVStorageTable: BillingMode must be PAY_PER_REQUEST (found 'PROVISIONED')",
        )
    ]


# AWS Control Tower's proactive controls, as cfn-guard rules bundled by the pinned npm package
# @cdklabs/cdk-validator-cfnguard (tests/external_checkers.py runs them; so does `make lint`).


@pytest.mark.node
def test_control_towers_rules_pass_every_template_and_variant(tmp_path: Path) -> None:
    paths = sorted((ROOT / "templates").glob("*.json")) + sorted((ROOT / "templates").glob("*.yaml"))
    for variant, parameters in VARIANTS.items():
        path = tmp_path / f"database-resolved-{variant}.json"
        path.write_text(json.dumps(resolved_database_template(parameters)))
        paths.append(path)
    assert run_control_tower_rules(paths) == []


@pytest.mark.node
def test_control_tower_cannot_see_encryption_behind_a_condition(tmp_path: Path) -> None:
    # The shape the template had: the whole SSESpecification chosen by Fn::If hides SSEEnabled.
    template = json.loads(RENDERED["database.json"])
    table_props = template["Resources"]["KVStorageTable"]["Properties"]
    table_props["SSESpecification"] = {
        "Fn::If": ["UseCustomerManagedKey", {"SSEEnabled": True, "SSEType": "KMS"}, {"SSEEnabled": True}]
    }
    path = tmp_path / "database.json"
    path.write_text(json.dumps(template))
    assert run_control_tower_rules([path]) == [
        "cfn-guard ct-dynamodb-pr-2.guard/dynamodb_table_encrypted_kms_check failed on database.json"
    ]
