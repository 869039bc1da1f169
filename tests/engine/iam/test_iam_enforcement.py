"""What the policies allow, proven by evaluating them with an offline IAM simulator.

moto's IAM enforcement cannot do this (measured on moto 5.2.5: it authorizes every DynamoDB
request against resource `*`, so a policy scoped to a table ARN is always denied). The
simulator, @cloud-copilot/iam-simulate, evaluates actions, resource ARNs and condition keys as
AWS documents; it is a test-time tool only (AGPL), never shipped or imported by the product.
"""

import json

import pytest

from tests.iam.node import (
    NO_TLS,
    SAMPLE_KEY_ARN,
    SAMPLE_OTHER_TABLE_ARN,
    SAMPLE_TABLE_ARN,
    TLS,
    Row,
    assert_identity_verdicts,
)
from tests.paths import REPO_ROOT
from tests.resolve import SAMPLE_REGION, Resolver

pytestmark = pytest.mark.node

ROOT = REPO_ROOT
TEMPLATE = json.loads((ROOT / "templates" / "database.json").read_text())
KEY = SAMPLE_KEY_ARN
TABLE = SAMPLE_TABLE_ARN
INDEX = f"{TABLE}/index/GSI1"
OTHER_TABLE = SAMPLE_OTHER_TABLE_ARN
OTHER_INDEX = f"{TABLE}/index/OTHER"
VIA_DYNAMODB = {**TLS, "kms:ViaService": f"dynamodb.{SAMPLE_REGION}.amazonaws.com"}
READS = [
    ("dynamodb:GetItem", TABLE),
    ("dynamodb:BatchGetItem", TABLE),
    ("dynamodb:Query", TABLE),
    ("dynamodb:Query", INDEX),
]
WRITES = [
    ("dynamodb:PutItem", TABLE),
    ("dynamodb:UpdateItem", TABLE),
    ("dynamodb:DeleteItem", TABLE),
    ("dynamodb:BatchWriteItem", TABLE),
    ("dynamodb:ConditionCheckItem", TABLE),
]
NEVER = [
    ("dynamodb:Scan", TABLE),
    ("dynamodb:Scan", INDEX),
    ("dynamodb:DescribeTable", TABLE),
    ("dynamodb:CreateTable", TABLE),
    ("dynamodb:UpdateTable", TABLE),
    ("dynamodb:DeleteTable", TABLE),
    ("dynamodb:UpdateTimeToLive", TABLE),
    ("dynamodb:CreateBackup", TABLE),
    ("dynamodb:RestoreTableFromBackup", TABLE),
    ("dynamodb:RestoreTableToPointInTime", TABLE),
    ("dynamodb:UpdateContinuousBackups", TABLE),
    ("dynamodb:TagResource", TABLE),
    ("dynamodb:GetItem", OTHER_TABLE),
    ("dynamodb:PutItem", OTHER_TABLE),
    ("dynamodb:Query", OTHER_INDEX),
]


def matrix(policy: str, parameters: dict[str, str] | None = None) -> list[Row]:
    """(action, resource, context, expected) rows for one policy."""
    writer = policy == "ReadWritePolicy"
    rows = [(a, r, TLS, "Allowed") for a, r in READS]
    rows += [(a, r, TLS, "Allowed" if writer else "ImplicitlyDenied") for a, r in WRITES]
    rows += [(a, r, TLS, "ImplicitlyDenied") for a, r in NEVER]
    rows += [(a, r, NO_TLS, "ImplicitlyDenied") for a, r in READS + WRITES]
    if parameters and parameters.get("KmsKeyArn"):
        rows += [
            ("kms:Decrypt", KEY, VIA_DYNAMODB, "Allowed"),
            ("kms:DescribeKey", KEY, VIA_DYNAMODB, "Allowed"),
        ]
        for action in ("kms:Encrypt", "kms:GenerateDataKey"):
            rows.append((action, KEY, VIA_DYNAMODB, "Allowed" if writer else "ImplicitlyDenied"))
        rows += [
            (
                "kms:Decrypt",
                KEY,
                {**TLS, "kms:ViaService": f"s3.{SAMPLE_REGION}.amazonaws.com"},
                "ImplicitlyDenied",
            ),
            ("kms:Decrypt", KEY, TLS, "ImplicitlyDenied"),
            ("kms:Decrypt", KEY, {**VIA_DYNAMODB, **NO_TLS}, "ImplicitlyDenied"),
            ("kms:Decrypt", KEY.replace("1234abcd", "9999abcd"), VIA_DYNAMODB, "ImplicitlyDenied"),
            ("kms:CreateGrant", KEY, VIA_DYNAMODB, "ImplicitlyDenied"),
            ("kms:ScheduleKeyDeletion", KEY, VIA_DYNAMODB, "ImplicitlyDenied"),
        ]
    else:
        rows.append(("kms:Decrypt", KEY, VIA_DYNAMODB, "ImplicitlyDenied"))
    return rows


@pytest.mark.parametrize("policy", ["ReadPolicy", "ReadWritePolicy"])
@pytest.mark.parametrize(
    "parameters", [{}, {"KmsKeyArn": KEY}], ids=["aws-managed-key", "customer-managed-key"]
)
def test_every_verdict_of_the_matrix(
    policy: str, parameters: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    document = Resolver(TEMPLATE, parameters).policy_documents()[policy]
    rows = matrix(policy, parameters)
    key = "customer-managed key" if parameters else "AWS-managed key"
    assert_identity_verdicts(
        capsys,
        f"{policy} ({key})",
        document,
        rows,
        lambda a, r, c: (
            f"{a:<34} {r.split(':', 5)[-1]:<40} TLS={c['aws:SecureTransport']:<5} "
            f"via={c.get('kms:ViaService', '-').split('.')[0]}"
        ),
    )
