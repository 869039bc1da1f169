"""The table's resource policy, evaluated with identity policies by the offline IAM simulator.

The resource policy allows nothing and denies three things to every principal: a request without
TLS, DeleteTable, and any principal of another account (unless the TrustedAccountIds parameter
names it). Our read policy and CloudFormation's updates must keep working.
"""

import json
from typing import Any

import pytest

from tests.iam.node import assert_verdicts
from tests.paths import REPO_ROOT
from tests.resolve import SAMPLE_ACCOUNT, SAMPLE_REGION, Resolver

pytestmark = pytest.mark.node

ROOT = REPO_ROOT
TEMPLATE = json.loads((ROOT / "templates" / "database.json").read_text())
TABLE = f"arn:aws:dynamodb:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:table/kv-storage-data"
INDEX = f"{TABLE}/index/GSI1"
OTHER_ACCOUNT, TRUSTED_ACCOUNT = "999988887777", "111122223333"
ALLOW_EVERYTHING = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}],
}
TLS, NO_TLS = {"aws:SecureTransport": "true"}, {"aws:SecureTransport": "false"}


def role(account: str, name: str) -> str:
    return f"arn:aws:iam::{account}:role/{name}"


def rows(parameters: dict[str, str]) -> list[tuple[str, dict[str, Any], str, str, dict[str, str], str, str]]:
    """(who, identity policy, action, resource, context, principal, expected)."""
    reader = Resolver(TEMPLATE, parameters).policy_documents()["ReadPolicy"]
    me, admin, deployer = (
        role(SAMPLE_ACCOUNT, "app"),
        role(SAMPLE_ACCOUNT, "admin"),
        role(SAMPLE_ACCOUNT, "cfn"),
    )
    stranger, friend = role(OTHER_ACCOUNT, "intruder"), role(TRUSTED_ACCOUNT, "partner")
    table = [
        ("reader", reader, "dynamodb:GetItem", TABLE, TLS, me, "Allowed"),
        ("reader", reader, "dynamodb:Query", INDEX, TLS, me, "Allowed"),
        ("reader", reader, "dynamodb:PutItem", TABLE, TLS, me, "ImplicitlyDenied"),
        ("reader", reader, "dynamodb:GetItem", TABLE, NO_TLS, me, "ExplicitlyDenied"),
        ("admin", ALLOW_EVERYTHING, "dynamodb:DeleteTable", TABLE, TLS, admin, "ExplicitlyDenied"),
        ("admin", ALLOW_EVERYTHING, "dynamodb:GetItem", TABLE, NO_TLS, admin, "ExplicitlyDenied"),
        ("admin", ALLOW_EVERYTHING, "dynamodb:Scan", INDEX, NO_TLS, admin, "ExplicitlyDenied"),
        ("admin", ALLOW_EVERYTHING, "dynamodb:PutItem", TABLE, TLS, admin, "Allowed"),
        ("cloudformation", ALLOW_EVERYTHING, "dynamodb:UpdateTable", TABLE, TLS, deployer, "Allowed"),
        (
            "cloudformation",
            ALLOW_EVERYTHING,
            "dynamodb:UpdateContinuousBackups",
            TABLE,
            TLS,
            deployer,
            "Allowed",
        ),
        ("other account", ALLOW_EVERYTHING, "dynamodb:GetItem", TABLE, TLS, stranger, "ExplicitlyDenied"),
        ("other account", ALLOW_EVERYTHING, "dynamodb:Query", INDEX, TLS, stranger, "ExplicitlyDenied"),
    ]
    # A trusted account is not denied, but the policy grants it nothing either.
    trusted = "ImplicitlyDenied" if parameters.get("TrustedAccountIds") else "ExplicitlyDenied"
    table.append(("trusted account", ALLOW_EVERYTHING, "dynamodb:GetItem", TABLE, TLS, friend, trusted))
    return table


@pytest.mark.parametrize(
    "parameters",
    [{}, {"TrustedAccountIds": TRUSTED_ACCOUNT}],
    ids=["this-account-only", "one-trusted-account"],
)
def test_every_verdict_of_the_resource_policy_matrix(
    parameters: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    resource_policy = Resolver(TEMPLATE, parameters).resource("KVStorageTable")["ResourcePolicy"][
        "PolicyDocument"
    ]
    matrix = rows(parameters)
    requests = [
        {
            "policy": identity,
            "action": action,
            "resource": resource,
            "context": {**context, "aws:PrincipalAccount": principal.split(":")[4]},
            "principal": principal,
            "resourcePolicy": resource_policy,
        }
        for _, identity, action, resource, context, principal, _ in matrix
    ]
    cases = [
        (
            f"{who:<16} {action:<36} {resource.split(':', 5)[-1]:<32} TLS={context['aws:SecureTransport']}",
            expected,
        )
        for who, _, action, resource, context, _, expected in matrix
    ]
    trusting = "trusting " + parameters["TrustedAccountIds"] if parameters else "this account only"
    assert_verdicts(capsys, f"table resource policy ({trusting})", requests, cases)


def test_the_resource_policy_stays_far_under_dynamodbs_limit() -> None:
    # DynamoDB counts whitespace against its 20 KB limit on a resource policy.
    for parameters in ({}, {"TrustedAccountIds": ",".join([TRUSTED_ACCOUNT] * 50)}):
        document = Resolver(TEMPLATE, parameters).resource("KVStorageTable")["ResourcePolicy"][
            "PolicyDocument"
        ]
        assert len(json.dumps(document, indent=2)) < 20 * 1024
