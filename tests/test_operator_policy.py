"""The operators' read-only policy for `kvtable verify`: parliament finds nothing, and the offline IAM
simulator allows every read verify makes and denies every write, on this stack and table only."""

import json
from typing import Any

import pytest

from kvtable.iam.operator import operator_policy_json
from kvtable.verify.location import StackLocation
from tests.external_checkers import run_parliament
from tests.iam.node import DEFAULT_KEY_POLICY, run_node_script
from tests.resolve import SAMPLE_ACCOUNT, SAMPLE_REGION, SAMPLE_STACK

WHERE = StackLocation("aws", SAMPLE_REGION, SAMPLE_ACCOUNT, SAMPLE_STACK, "kv-storage-data")
DOCUMENT = json.loads(operator_policy_json(WHERE))
STACK_ARN = f"arn:aws:cloudformation:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:stack/{SAMPLE_STACK}/1a2b3c4d"
OTHER_STACK = f"arn:aws:cloudformation:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:stack/OtherStack/1a2b3c4d"
TABLE = f"arn:aws:dynamodb:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:table/kv-storage-data"
OTHER_TABLE = f"arn:aws:dynamodb:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:table/other-table"
POLICY = f"arn:aws:iam::{SAMPLE_ACCOUNT}:policy/{SAMPLE_STACK}-ReadPolicy-ZDVTNEZTKYVG"
OTHER_POLICY = f"arn:aws:iam::{SAMPLE_ACCOUNT}:policy/AdministratorAccess-Custom"
KEY = f"arn:aws:kms:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
TLS = {"aws:SecureTransport": "true"}
NO_TLS = {"aws:SecureTransport": "false"}

ALLOWED = [
    ("cloudformation:DescribeStacks", STACK_ARN),
    ("cloudformation:DescribeStackResources", STACK_ARN),
    ("cloudformation:GetTemplate", STACK_ARN),
    ("cloudformation:GetStackPolicy", STACK_ARN),
    ("cloudformation:DetectStackDrift", STACK_ARN),
    ("cloudformation:DescribeStackResourceDrifts", STACK_ARN),
    ("cloudformation:ListExports", "*"),
    ("cloudformation:DescribeStackDriftDetectionStatus", "*"),
    ("dynamodb:DescribeTable", TABLE),
    ("dynamodb:DescribeContinuousBackups", TABLE),
    ("dynamodb:DescribeTimeToLive", TABLE),
    ("dynamodb:ListTagsOfResource", TABLE),
    ("dynamodb:GetResourcePolicy", TABLE),
    ("iam:GetPolicy", POLICY),
    ("iam:GetPolicyVersion", POLICY),
    ("kms:DescribeKey", KEY),
    (
        "cloudwatch:DescribeAlarms",
        f"arn:aws:cloudwatch:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:alarm:{SAMPLE_STACK}-SystemErrors",
    ),
]
DENIED = [
    ("cloudformation:UpdateStack", STACK_ARN),
    ("cloudformation:SetStackPolicy", STACK_ARN),
    ("cloudformation:DeleteStack", STACK_ARN),
    ("cloudformation:GetTemplate", OTHER_STACK),
    ("dynamodb:GetItem", TABLE),
    ("dynamodb:Query", TABLE),
    ("dynamodb:Scan", TABLE),
    ("dynamodb:UpdateTable", TABLE),
    ("dynamodb:UpdateContinuousBackups", TABLE),
    ("dynamodb:UpdateTimeToLive", TABLE),
    ("dynamodb:DeleteTable", TABLE),
    ("dynamodb:DescribeTable", OTHER_TABLE),
    ("iam:CreatePolicyVersion", POLICY),
    ("iam:SetDefaultPolicyVersion", POLICY),
    ("iam:GetPolicyVersion", OTHER_POLICY),
    ("kms:Decrypt", KEY),
    (
        "cloudwatch:PutMetricAlarm",
        f"arn:aws:cloudwatch:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:alarm:{SAMPLE_STACK}-SystemErrors",
    ),
    (
        "cloudwatch:DescribeAlarms",
        f"arn:aws:cloudwatch:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:alarm:Other-SystemErrors",
    ),
]


@pytest.mark.checkers
def test_parliament_finds_nothing_in_the_operator_policy() -> None:
    assert run_parliament({"OperatorPolicy": json.dumps(DOCUMENT)}) == []


@pytest.mark.node
def test_the_simulator_allows_every_read_and_denies_every_write(capsys: pytest.CaptureFixture[str]) -> None:
    rows = [(a, r, TLS, "Allowed") for a, r in ALLOWED]
    rows += [(a, r, TLS, "ImplicitlyDenied") for a, r in DENIED]
    rows += [(a, r, NO_TLS, "ImplicitlyDenied") for a, r in ALLOWED[:3]]
    requests: list[dict[str, Any]] = [
        {
            "policy": DOCUMENT,
            "action": a,
            "resource": r,
            "context": c,
            **({"resourcePolicy": DEFAULT_KEY_POLICY} if a.startswith("kms:") else {}),
        }
        for a, r, c, _ in rows
    ]
    results = run_node_script("simulate.mjs", {"account": SAMPLE_ACCOUNT, "requests": requests})
    lines = ["operator policy for kvtable verify"]
    failures = []
    for (action, resource, context, expected), result in zip(rows, results, strict=True):
        lines.append(
            f"  {result['result']:<17} {action:<46} {resource.split(':', 5)[-1]:<44} TLS={context['aws:SecureTransport']}"
        )
        if result["result"] != expected:
            failures.append(f"{action} on {resource}: expected {expected}, got {result}")
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert failures == []
