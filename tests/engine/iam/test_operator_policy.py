"""The operators' read-only policy for `kvtable verify`: parliament finds nothing, and the offline IAM
simulator allows every read verify makes and denies every write, on this stack and table only; for a
global table, on each replica in its own region, with the calls verify really makes of them."""

import json
from typing import Any

import boto3
import pytest

from kvtable.aws.names import StackLocation
from kvtable.builders.table_definition import create_table_request
from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.deploy.aws_state import Clients
from kvtable.iam.operator import operator_policy_json
from kvtable.verify.verify import Verifier
from tests.external_checkers import run_parliament
from tests.iam.node import (
    NO_TLS,
    SAMPLE_KEY_ARN,
    SAMPLE_OTHER_TABLE_ARN,
    SAMPLE_TABLE_ARN,
    TLS,
    assert_identity_verdicts,
    identity_request,
    simulate,
)
from tests.paths import REPO_ROOT
from tests.resolve import SAMPLE_ACCOUNT, SAMPLE_REGION, SAMPLE_STACK
from tests.unit.iam.test_operator_policy import WHERE

DOCUMENT = json.loads(operator_policy_json(WHERE))
STACK_ARN = f"arn:aws:cloudformation:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:stack/{SAMPLE_STACK}/1a2b3c4d"
OTHER_STACK = f"arn:aws:cloudformation:{SAMPLE_REGION}:{SAMPLE_ACCOUNT}:stack/OtherStack/1a2b3c4d"
TABLE = SAMPLE_TABLE_ARN
OTHER_TABLE = SAMPLE_OTHER_TABLE_ARN
POLICY = f"arn:aws:iam::{SAMPLE_ACCOUNT}:policy/{SAMPLE_STACK}-ReadPolicy-ZDVTNEZTKYVG"
OTHER_POLICY = f"arn:aws:iam::{SAMPLE_ACCOUNT}:policy/AdministratorAccess-Custom"
KEY = SAMPLE_KEY_ARN

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
    assert_identity_verdicts(
        capsys,
        "operator policy for kvtable verify",
        DOCUMENT,
        rows,
        lambda a, r, c: f"{a:<46} {r.split(':', 5)[-1]:<44} TLS={c['aws:SecureTransport']}",
    )


# A global table: verify reads each replica in its own region, so the policy names every region.
REPLICAS = ("us-east-1", "eu-west-1")
GLOBAL_WHERE = StackLocation("aws", SAMPLE_REGION, SAMPLE_ACCOUNT, SAMPLE_STACK, "kv-storage-data", REPLICAS)
GLOBAL_TEMPLATE = json.loads((REPO_ROOT / "templates" / "global-database.json").read_text())
REPLICA_READS = {
    "dynamodb:DescribeTable",
    "dynamodb:DescribeContinuousBackups",
    "dynamodb:DescribeTimeToLive",
    "dynamodb:GetResourcePolicy",
    "dynamodb:ListTagsOfResource",
    "dynamodb:DescribeContributorInsights",
    "kms:DescribeKey",
}


def recording_clients(endpoint: str, region: str, calls: list[tuple[str, str]]) -> Clients:
    """Clients on moto that record each call as IAM authorizes it: (service:Action, resource ARN)."""

    def client(service: str) -> Any:
        made = boto3.client(service, endpoint_url=endpoint, region_name=region)  # type: ignore[call-overload]

        def answered(model: Any, parsed: dict[str, Any], **_: Any) -> None:
            # IAM authorizes kms:DescribeKey on the key an alias names, known from the answer.
            params = pending.pop()
            resource = (
                parsed.get("KeyMetadata", {}).get("Arn")
                or params.get("ResourceArn")
                or f"arn:aws:dynamodb:{region}:{SAMPLE_ACCOUNT}:table/{params.get('TableName')}"
            )
            calls.append((f"{made.meta.service_model.signing_name}:{model.name}", resource))

        pending: list[dict[str, Any]] = []
        made.meta.events.register("before-parameter-build", lambda params, **_: pending.append(dict(params)))
        made.meta.events.register("after-call", answered)
        return made

    return Clients(
        cloudformation=client("cloudformation"),
        dynamodb=client("dynamodb"),
        iam=client("iam"),
        kms=client("kms"),
        for_region=lambda other: recording_clients(endpoint, other, calls),
    )


def simulated(document: Any, calls: list[tuple[str, str]]) -> list[str]:
    return simulate([identity_request(document, action, resource, TLS) for action, resource in calls])


@pytest.mark.node
def test_the_policy_allows_every_read_verify_makes_of_each_replica(
    aws_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto has no global tables, but it has DynamoDB in every region: a table of the same name in
    # each region stands for a replica, and verify makes the same calls of it as of a real one.
    for region in REPLICAS:
        ddb = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name=region)
        ddb.create_table(**create_table_request())
    calls: list[tuple[str, str]] = []
    context = StackContext(
        SAMPLE_ACCOUNT, SAMPLE_REGION, SAMPLE_STACK, {"ReplicaRegions": ",".join(REPLICAS)}
    )
    verifier = Verifier(recording_clients(aws_endpoint, SAMPLE_REGION, calls), SAMPLE_STACK, GLOBAL_TEMPLATE)
    verifier.replica_checks(
        TemplateEvaluator(GLOBAL_TEMPLATE, context), "KVStorageTable", "kv-storage-data", {}
    )
    made = {(action, resource.split(":")[3]) for action, resource in calls}
    assert made == {(action, region) for action in REPLICA_READS for region in REPLICAS}

    allowed = simulated(json.loads(operator_policy_json(GLOBAL_WHERE)), calls)
    # The policy of the stack's region alone, as it was: every read of the other replica is denied.
    regional = simulated(DOCUMENT, calls)
    lines = ["operator policy for kvtable verify, a global table's replica reads"]
    lines += [
        f"  {a:<17} (stack region only: {r:<17}) {action:<36} {resource.split(':', 3)[-1]}"
        for (action, resource), a, r in zip(calls, allowed, regional, strict=True)
    ]
    with capsys.disabled():
        print("\n" + "\n".join(lines))
    assert set(allowed) == {"Allowed"}
    denied = [
        resource.split(":")[3] for (_, resource), r in zip(calls, regional, strict=True) if r != "Allowed"
    ]
    # Every read of the other replica (Contributor Insights is read for the table and its index).
    assert denied == ["eu-west-1"] * sum(":eu-west-1:" in resource for _, resource in calls)
    assert len(denied) >= len(REPLICA_READS)
    # Another region, not a replica, stays out of reach.
    elsewhere = [(a, r.replace(":eu-west-1:", ":ap-southeast-2:")) for a, r in calls if ":eu-west-1:" in r]
    assert set(simulated(json.loads(operator_policy_json(GLOBAL_WHERE)), elsewhere)) == {"ImplicitlyDenied"}
