"""`kvtable verify` against the local CloudFormation (moto's server, with the harness's additions).

moto 5.2.5 creates the stack's table without PITR, TTL, encryption or its resource policy, so
verify must say exactly that; set through DynamoDB's API they hold. Each drift is then induced alone and must be reported
alone, by its named check, and, for the table's settings CloudFormation's drift detection compares
(emulated for the table by tests/harness/stack_drift.py; its other AWS answers are tested in
test_verify_units.py), by drift.detection and drift.KVStorageTable too. moto does not propagate stack tags to the table, so
the tests tag the table through DynamoDB's API where AWS would have done it.
"""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import boto3
import pytest
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.cli import settings as settings_module
from kvtable.cli.main import main
from kvtable.deploy.cloudformation import physical_ids
from tests.cloudformation_fixtures import deploy_stack
from tests.paths import REPO_ROOT
from tests.resolve import deployed_table_policy
from tests.unit.verify.test_verify import exit_code

ROOT = REPO_ROOT
STACK = "KVDatabaseStack"
TABLE = "kv-storage-data"
TAGS = {"team": "storage"}
TEMPLATE = json.loads((ROOT / "templates" / "database.json").read_text())


def deploy(cf: CloudFormationClient, **options: Any) -> None:
    deploy_stack(cf, **{"tags": TAGS, **options})


def verify(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any], str]:
    code = main(["verify", "--stack-name", STACK, "--format", "json", "--poll-seconds", "0", *argv])
    captured = capsys.readouterr()
    return code, json.loads(captured.out) if captured.out else {}, captured.err


def failing(report: dict[str, Any]) -> set[str]:
    return {c["name"] for c in report["checks"] if c["status"] in ("drift", "unchecked")}


def dynamodb(endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name="us-east-1")


def keep_promises_by_hand(endpoint: str) -> None:
    """What moto's CloudFormation leaves off, set through DynamoDB's API; and the stack's tags."""
    ddb = dynamodb(endpoint)
    ddb.update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    ddb.update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
    )
    ddb.update_table(TableName=TABLE, SSESpecification={"Enabled": True, "SSEType": "KMS"})
    arn = ddb.describe_table(TableName=TABLE)["Table"]["TableArn"]
    ddb.tag_resource(ResourceArn=arn, Tags=[{"Key": k, "Value": v} for k, v in TAGS.items()])
    ddb.put_resource_policy(ResourceArn=arn, Policy=deployed_table_policy(TEMPLATE))


def test_verify_reports_exactly_what_moto_leaves_off_then_passes_once_set(
    cf: CloudFormationClient, aws_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy(cf)
    code, report, _ = verify(capsys)
    assert code == 4
    assert failing(report) == {
        "table.pitr",
        "table.ttl",
        "table.encryption",
        "table.tags",
        "table.resource_policy",
        "drift.detection",
        "drift.KVStorageTable",
    }
    by_name = {c["name"]: c for c in report["checks"]}
    assert by_name["table.pitr"] == {
        "name": "table.pitr",
        "expected": "ENABLED",
        "actual": "DISABLED",
        "ok": False,
        "status": "drift",
    }
    # No resource policy is drift, not a read that failed.
    assert (by_name["table.resource_policy"]["status"], by_name["table.resource_policy"]["actual"]) == (
        "drift",
        "none",
    )
    assert (by_name["drift.detection"]["actual"], by_name["drift.detection"]["status"]) == (
        "DRIFTED",
        "drift",
    )
    assert by_name["drift.KVStorageTable"]["actual"] == (
        "MODIFIED: /PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled not_equal; "
        "/TimeToLiveSpecification/Enabled not_equal; /TimeToLiveSpecification/AttributeName remove; "
        "/SSESpecification/SSEEnabled not_equal"
    )
    assert report["ok"] is False
    keep_promises_by_hand(aws_endpoint)
    code, report, _ = verify(capsys)
    assert (code, failing(report)) == (0, set()), report
    assert report["ok"] is True
    assert report["stack"] == STACK
    # 31, and the caps of the table and its GSI, the PITR period, Contributor Insights on both; and the
    # drift detection's two: the stack's and its table's.
    assert len(report["checks"]) == 37


@pytest.fixture
def verified(cf: CloudFormationClient, aws_endpoint: str) -> str:
    """A deployed stack on which every check holds."""
    deploy(cf)
    keep_promises_by_hand(aws_endpoint)
    return aws_endpoint


def _pitr_off(endpoint: str, cf: CloudFormationClient) -> None:
    dynamodb(endpoint).update_continuous_backups(
        TableName=TABLE, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )


def _deletion_protection_off(endpoint: str, cf: CloudFormationClient) -> None:
    dynamodb(endpoint).update_table(TableName=TABLE, DeletionProtectionEnabled=False)


def _ttl_off(endpoint: str, cf: CloudFormationClient) -> None:
    dynamodb(endpoint).update_time_to_live(
        TableName=TABLE, TimeToLiveSpecification={"Enabled": False, "AttributeName": "ttl"}
    )


def _index_by_hand(endpoint: str, cf: CloudFormationClient) -> None:
    dynamodb(endpoint).update_table(
        TableName=TABLE,
        AttributeDefinitions=[{"AttributeName": "email", "AttributeType": "S"}],
        GlobalSecondaryIndexUpdates=[
            {
                "Create": {
                    "IndexName": "ByEmail",
                    "KeySchema": [{"AttributeName": "email", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "KEYS_ONLY"},
                }
            }
        ],
    )


def _stack_policy_replaced(endpoint: str, cf: CloudFormationClient) -> None:
    allow_all = {"Statement": [{"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}]}
    cf.set_stack_policy(StackName=STACK, StackPolicyBody=json.dumps(allow_all))


def _termination_protection_off(endpoint: str, cf: CloudFormationClient) -> None:
    cf.update_termination_protection(StackName=STACK, EnableTerminationProtection=False)


def _policy_widened(endpoint: str, cf: CloudFormationClient) -> None:
    iam = boto3.client("iam", endpoint_url=endpoint, region_name="us-east-1")
    arn = physical_ids(cf, STACK)["ReadPolicy"]
    wider = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}],
    }
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=json.dumps(wider), SetAsDefault=True)


def _older_template(endpoint: str, cf: CloudFormationClient) -> None:
    template = json.loads((ROOT / "templates" / "database.json").read_text())
    template["Outputs"]["Extra"] = {"Value": "from an older build"}
    path = Path(endpoint.replace("http://", "").replace(":", "_") + ".json")
    try:
        path.write_text(json.dumps(template))
        deploy(cf, template_path=path)
    finally:
        path.unlink()


def _tag_removed(endpoint: str, cf: CloudFormationClient) -> None:
    ddb = dynamodb(endpoint)
    ddb.untag_resource(ResourceArn=ddb.describe_table(TableName=TABLE)["Table"]["TableArn"], TagKeys=["team"])


# What CloudFormation's drift detection also finds when a table setting it compares is changed by hand.
DETECTED = ("drift.detection", "drift.KVStorageTable")
DRIFTS: list[tuple[str, Callable[[str, CloudFormationClient], None], set[str]]] = [
    ("PITR off", _pitr_off, {"table.pitr", *DETECTED}),
    ("deletion protection off", _deletion_protection_off, {"table.deletion_protection", *DETECTED}),
    ("TTL off", _ttl_off, {"table.ttl", *DETECTED}),
    ("an index created by hand", _index_by_hand, {"table.indexes", "table.attribute_definitions"}),
    ("the stack policy replaced", _stack_policy_replaced, {"stack.stack_policy"}),
    ("termination protection off", _termination_protection_off, {"stack.termination_protection"}),
    ("a managed policy widened", _policy_widened, {"policy.ReadPolicy"}),
    ("an older template deployed", _older_template, {"stack.template"}),
    ("a stack tag removed from the table", _tag_removed, {"table.tags"}),
]


@pytest.mark.parametrize(("drift", "induce", "reported"), DRIFTS, ids=[d[0] for d in DRIFTS])
def test_each_drift_alone_is_reported_alone_by_its_check(
    verified: str,
    cf: CloudFormationClient,
    capsys: pytest.CaptureFixture[str],
    *,
    drift: str,
    induce: Callable[[str, CloudFormationClient], None],
    reported: set[str],
) -> None:
    induce(verified, cf)
    code, report, _ = verify(capsys)
    assert code == 4, drift
    assert failing(report) == reported


def test_verify_makes_only_read_calls(
    verified: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    original = settings_module.Settings.session

    def recording(self: settings_module.Settings) -> boto3.Session:
        session = original(self)
        session.events.register("before-call", lambda model, **_: calls.append(model.name))
        return session

    monkeypatch.setattr(settings_module.Settings, "session", recording)
    code, _, _ = verify(capsys)
    assert code == 0
    assert {"DescribeStacks", "DescribeTable", "GetPolicyVersion", "DetectStackDrift"} <= set(calls)
    writes = [c for c in calls if not c.startswith(("Describe", "Get", "List")) and c != "DetectStackDrift"]
    assert writes == []


def test_the_table_report_ends_with_a_summary(verified: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["verify", "--stack-name", STACK, "--poll-seconds", "0"])
    out = capsys.readouterr().out
    assert code == 0
    lines = out.splitlines()
    assert lines[0].startswith(f"Verify {STACK} at ")
    assert lines[1].split() == ["check", "expected", "actual", "holds"]
    assert lines[-1] == "37 hold, 0 do not, 0 could not be checked, 0 skipped: every check holds"


def test_a_missing_stack_is_one_line_exit_2(aws_endpoint: str, capsys: pytest.CaptureFixture[str]) -> None:
    code = exit_code(["verify", "--stack-name", "Nothing"])
    err = capsys.readouterr().err
    assert code == 2
    assert err == (
        "kvtable verify: error: stack Nothing does not exist in us-east-1: check --stack-name, --env and "
        "--region, or deploy it first with: kvtable deploy --stack-name Nothing\n"
    )


def test_a_stack_without_the_table_is_one_line_exit_2(
    cf: CloudFormationClient, capsys: pytest.CaptureFixture[str]
) -> None:
    deploy(cf)
    deploy(cf, stack_name="KVAppStack", template_path=ROOT / "templates" / "consumer.json", tags=None)
    code = exit_code(["verify", "--stack-name", "KVAppStack"])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("kvtable verify: error: stack KVAppStack has no DynamoDB table KVStorageTable")


def test_the_operator_policy_is_scoped_to_the_stack(
    verified: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", "--stack-name", STACK, "--operator-policy"]) == 0
    document = json.loads(capsys.readouterr().out)
    resources = {r for s in document["Statement"] for r in s["Resource"]}
    assert resources == {
        f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/*",
        "*",
        f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}",
        f"arn:aws:dynamodb:us-east-1:123456789012:table/{TABLE}/index/*",
        f"arn:aws:iam::123456789012:policy/{STACK}-*",
        "arn:aws:kms:us-east-1:123456789012:key/*",
        f"arn:aws:cloudwatch:us-east-1:123456789012:alarm:{STACK}-*",
    }


def test_the_alarm_variant_deploys_on_moto_and_verify_says_its_alarms_are_missing(
    cf: CloudFormationClient, aws_endpoint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # moto's CloudFormation has no AWS::CloudWatch::Alarm: it lists each without a logical id and
    # creates nothing. The deploy and verify must cope; on AWS the alarms exist.
    topic = "arn:aws:sns:us-east-1:123456789012:kvtable-alarms"
    deploy(cf, parameters={"AlarmTopicArn": topic, "ContributorInsights": "true"})
    assert cf.describe_stacks(StackName=STACK)["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    keep_promises_by_hand(aws_endpoint)
    # moto's CloudFormation leaves Contributor Insights off too; on AWS the stack turns it on.
    for index in ({}, {"IndexName": "GSI1"}):
        dynamodb(aws_endpoint).update_contributor_insights(
            TableName=TABLE, ContributorInsightsAction="ENABLE", **index
        )
    code, report, _ = verify(capsys)
    assert code == 4
    alarms = {c["name"]: c["actual"] for c in report["checks"] if c["name"].startswith("alarm.")}
    assert len(alarms) == 10
    assert set(alarms.values()) == {"missing"}
    assert failing(report) == set(alarms)
