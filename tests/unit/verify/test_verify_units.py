"""What only AWS can show verify, driven by responses in AWS's documented shape.

moto has no CloudFormation drift detection, so its answers are given here through
botocore's Stubber, which checks every request and response against the service model.
"""

from datetime import UTC, datetime
from typing import Any, cast

import boto3
import pytest
from botocore.stub import Stubber

from kvtable.builders.render import load_built_template
from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.cfn.templates import resources_of_type
from kvtable.deploy.aws_state import Clients, normalized_policy
from kvtable.verify.report import Check, Report
from kvtable.verify.table_checks import replica_properties
from kvtable.verify.verify import Verifier

STACK = "KVDatabaseStack"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{STACK}/1a2b3c4d"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def clients() -> Clients:
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    return Clients(
        cloudformation=session.client("cloudformation"),
        dynamodb=session.client("dynamodb"),
        iam=session.client("iam"),
        kms=session.client("kms"),
    )


def verifier(given: Clients) -> Verifier:
    _, template = load_built_template()
    return Verifier(given, STACK, template, poll_seconds=0, sleep=lambda _: None, clock=lambda: NOW)


def drift_status(status: str, drift: str | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "StackId": STACK_ID,
        "StackDriftDetectionId": "b78ac9b0-dec1-11e7-a451-503a3example",
        "DetectionStatus": status,
        "Timestamp": NOW,
    }
    if drift:
        response["StackDriftStatus"] = drift
    return response


def resource_drift(logical_id: str, resource_type: str, status: str, **extra: Any) -> dict[str, Any]:
    return {
        "StackId": STACK_ID,
        "LogicalResourceId": logical_id,
        "ResourceType": resource_type,
        "StackResourceDriftStatus": status,
        "Timestamp": NOW,
        **extra,
    }


def test_drift_detection_is_waited_for_and_each_resource_verdict_reported() -> None:
    given = clients()
    run = verifier(given)
    with Stubber(given.cloudformation) as cf:
        cf.add_response(
            "detect_stack_drift",
            {"StackDriftDetectionId": "b78ac9b0-dec1-11e7-a451-503a3example"},
            {"StackName": STACK},
        )
        cf.add_response("describe_stack_drift_detection_status", drift_status("DETECTION_IN_PROGRESS"))
        cf.add_response(
            "describe_stack_drift_detection_status", drift_status("DETECTION_COMPLETE", "DRIFTED")
        )
        cf.add_response(
            "describe_stack_resource_drifts",
            {
                "StackResourceDrifts": [
                    resource_drift(
                        "KVStorageTable",
                        "AWS::DynamoDB::Table",
                        "MODIFIED",
                        PropertyDifferences=[
                            {
                                "PropertyPath": "/PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled",
                                "ExpectedValue": "true",
                                "ActualValue": "false",
                                "DifferenceType": "NOT_EQUAL",
                            }
                        ],
                    ),
                    resource_drift("ReadPolicy", "AWS::IAM::ManagedPolicy", "IN_SYNC"),
                ]
            },
            {"StackName": STACK},
        )
        run._drift_checks()
        cf.assert_no_pending_responses()
    assert run.checks == [
        Check("drift.detection", "IN_SYNC", "DRIFTED", "drift"),
        Check(
            "drift.KVStorageTable",
            "IN_SYNC",
            "MODIFIED: /PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled not_equal",
            "drift",
        ),
        Check("drift.ReadPolicy", "IN_SYNC", "IN_SYNC", "ok"),
    ]


@pytest.mark.parametrize(
    ("code", "status", "reason"),
    [
        ("AccessDenied", "unchecked", "not checked: DetectStackDrift was denied: no"),
        ("NotImplemented", "skipped", "not checked: this endpoint has no DetectStackDrift"),
    ],
)
def test_drift_detection_denied_is_unchecked_and_missing_is_skipped(
    code: str, status: str, reason: str
) -> None:
    given = clients()
    run = verifier(given)
    with Stubber(given.cloudformation) as cf:
        cf.add_client_error("detect_stack_drift", service_error_code=code, service_message="no")
        run._drift_checks()
    assert run.checks == [Check("drift.detection", "IN_SYNC", reason, status)]  # type: ignore[arg-type]


def test_a_customer_key_named_by_alias_is_resolved_before_comparing() -> None:
    given = clients()
    run = verifier(given)
    table = {"SSEDescription": {"Status": "ENABLED", "SSEType": "KMS", "KMSMasterKeyArn": KEY_ARN}}
    with Stubber(given.kms) as kms:
        kms.add_response(
            "describe_key",
            {"KeyMetadata": {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab", "Arn": KEY_ARN}},
            {"KeyId": "alias/kv-table"},
        )
        run._tables().encryption(
            {"SSESpecification": {"SSEEnabled": True, "KMSMasterKeyId": "alias/kv-table"}}, table
        )
    assert run.checks == [Check("table.encryption", f"KMS with {KEY_ARN}", f"KMS with {KEY_ARN}", "ok")]


def test_a_key_that_does_not_exist_is_drift_not_a_missing_check() -> None:
    given = clients()
    run = verifier(given)
    with Stubber(given.kms) as kms:
        kms.add_client_error("describe_key", service_error_code="NotFoundException", service_message="gone")
        run._tables().encryption({"SSESpecification": {"SSEEnabled": True}}, {})
    (check,) = run.checks
    assert check.status == "drift"
    assert check.expected == "KMS with alias/aws/dynamodb (no such key in this account and region)"
    assert check.actual == "AWS owned key (no SSEDescription)"


def test_exit_code_is_4_for_drift_or_an_unchecked_check_and_0_when_only_skipped() -> None:
    ok = Check("a", "x", "x", "ok")
    skipped = Check("b", "x", "not checked", "skipped")
    assert Report(STACK, NOW, (ok, skipped)).exit_code == 0
    assert Report(STACK, NOW, (ok, Check("c", "x", "not checked: denied", "unchecked"))).exit_code == 4
    assert Report(STACK, NOW, (ok, Check("d", "x", "y", "drift"))).exit_code == 4


def test_policy_documents_compare_whatever_their_spelling() -> None:
    live = "%7B%22Statement%22%3A%5B%7B%22Action%22%3A%22dynamodb%3AGetItem%22%2C%22Resource%22%3A%22arn%22%7D%5D%7D"
    assert normalized_policy(live) == normalized_policy(
        {"Statement": [{"Action": ["dynamodb:GetItem"], "Resource": ["arn"]}]}
    )
    assert normalized_policy({"Action": ["b", "a"]}) == normalized_policy({"Action": ["a", "b"]})
    assert normalized_policy({"Action": ["a"]}) != normalized_policy({"Action": ["a", "b"]})


def test_an_alarm_is_checked_against_the_template_in_aws_shape() -> None:
    given = clients()
    session = boto3.Session(region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    cloudwatch = session.client("cloudwatch")
    given = Clients(given.cloudformation, given.dynamodb, given.iam, given.kms, cloudwatch)
    run = verifier(given)
    template = run.expected
    parameters = {
        "AlarmTopicArn": "arn:aws:sns:us-east-1:123456789012:alarms",
        "TableName": "kv-storage-data",
    }
    evaluator = TemplateEvaluator(template, StackContext("123456789012", "us-east-1", STACK, parameters))
    index_dimension = {"Name": "GlobalSecondaryIndexName", "Value": "GSI1"}
    alarm: dict[str, Any] = {
        "AlarmName": f"{STACK}-IndexReadThrottleEvents",
        "Namespace": "AWS/DynamoDB",
        "MetricName": "ReadThrottleEvents",
        "Dimensions": [{"Name": "TableName", "Value": "kv-storage-data"}, index_dimension],
        "Statistic": "Sum",
        "Threshold": 1.0,
        "EvaluationPeriods": 5,
    }
    wrong_table = {
        **alarm,
        "Dimensions": [{"Name": "TableName", "Value": "kv-other"}, index_dimension],
    }
    answers = {"IndexReadThrottleEventsAlarm": [alarm], "IndexWriteThrottleEventsAlarm": [wrong_table]}
    with Stubber(cloudwatch) as stub:
        for logical_id in resources_of_type(template, "AWS::CloudWatch::Alarm"):
            name = f"{STACK}-{logical_id.removesuffix('Alarm')}"
            stub.add_response(
                "describe_alarms", {"MetricAlarms": answers.get(logical_id, [])}, {"AlarmNames": [name]}
            )
        run._alarm_checks(evaluator, {})
        stub.assert_no_pending_responses()
    by_name = {c.name: c for c in run.checks}
    assert len(run.checks) == 10  # four throttle alarms, system errors, five operations' latency
    assert by_name["alarm.IndexReadThrottleEventsAlarm"].status == "ok"
    assert by_name["alarm.IndexWriteThrottleEventsAlarm"].status == "drift"
    assert "TableName=kv-other" in by_name["alarm.IndexWriteThrottleEventsAlarm"].actual
    assert by_name["alarm.SystemErrorsAlarm"].actual == "missing"


def test_without_a_topic_there_are_no_alarms_to_check() -> None:
    run = verifier(clients())
    evaluator = TemplateEvaluator(run.expected, StackContext("123456789012", "us-east-1", STACK, {}))
    run._alarm_checks(evaluator, {})
    assert run.checks == []


# The cost and readiness settings (kvtable/builders/throughput.py), each checked on the live table in the
# shapes AWS documents for DescribeTable, DescribeContinuousBackups and DescribeContributorInsights.
TABLE_NAME = "kv-storage-data"
CAPPED = {
    "OnDemandThroughput": {"MaxReadRequestUnits": 400, "MaxWriteRequestUnits": 100},
    "WarmThroughput": {"ReadUnitsPerSecond": 15000, "WriteUnitsPerSecond": 4000},
    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
    "ContributorInsightsSpecification": {"Enabled": True, "Mode": "THROTTLED_KEYS"},
    "GlobalSecondaryIndexes": [
        {
            "IndexName": "GSI1",
            "OnDemandThroughput": {"MaxWriteRequestUnits": 50},
            "ContributorInsightsSpecification": {"Enabled": True, "Mode": "THROTTLED_KEYS"},
        }
    ],
}


def described_table(given: Clients, table: dict[str, Any]) -> dict[str, Any]:
    """DescribeTable's Table, through the Stubber: the answer must be in AWS's shape."""
    with Stubber(given.dynamodb) as ddb:
        ddb.add_response("describe_table", {"Table": table}, {"TableName": TABLE_NAME})
        answer = given.dynamodb.describe_table(TableName=TABLE_NAME)["Table"]
    return cast(dict[str, Any], answer)


def live_index(**extra: Any) -> dict[str, Any]:
    return {"IndexName": "GSI1", "IndexStatus": "ACTIVE", **extra}


def test_caps_and_warm_throughput_are_checked_on_the_table_and_its_index() -> None:
    given = clients()
    run = verifier(given)
    live = described_table(
        given,
        {
            "TableName": TABLE_NAME,
            "OnDemandThroughput": {"MaxReadRequestUnits": 400, "MaxWriteRequestUnits": -1},
            # DynamoDB may have raised it: more than the template asks for holds.
            "WarmThroughput": {"ReadUnitsPerSecond": 20000, "WriteUnitsPerSecond": 4000, "Status": "ACTIVE"},
            "GlobalSecondaryIndexes": [live_index(OnDemandThroughput={"MaxWriteRequestUnits": 50})],
        },
    )
    run._tables().capacity(CAPPED, live)
    assert run.checks == [
        # -1 is the API's "no cap": the write cap the template asks for is missing.
        Check(
            "table.on_demand_throughput",
            "MaxReadRequestUnits=400, MaxWriteRequestUnits=100",
            "MaxReadRequestUnits=400",
            "drift",
        ),
        Check(
            "table.index.GSI1.on_demand_throughput",
            "MaxWriteRequestUnits=50",
            "MaxWriteRequestUnits=50",
            "ok",
        ),
        Check(
            "table.warm_throughput",
            '{"ReadUnitsPerSecond":">= 15000","WriteUnitsPerSecond":">= 4000"}',
            '{"ReadUnitsPerSecond":20000,"WriteUnitsPerSecond":4000}',
            "ok",
        ),
    ]


def test_no_cap_in_the_template_is_no_cap_or_minus_one_on_the_table_and_no_warm_check() -> None:
    given = clients()
    run = verifier(given)
    live = described_table(
        given,
        {
            "TableName": TABLE_NAME,
            "OnDemandThroughput": {"MaxReadRequestUnits": -1, "MaxWriteRequestUnits": -1},
            "GlobalSecondaryIndexes": [live_index()],
        },
    )
    run._tables().capacity({"GlobalSecondaryIndexes": [{"IndexName": "GSI1"}]}, live)
    assert run.checks == [
        Check("table.on_demand_throughput", "no cap", "no cap", "ok"),
        Check("table.index.GSI1.on_demand_throughput", "no cap", "no cap", "ok"),
    ]


@pytest.mark.parametrize(("live_days", "status"), [(7, "ok"), (35, "drift")])
def test_the_recovery_period_is_checked_when_pitr_is_on(live_days: int, status: str) -> None:
    given = clients()
    run = verifier(given)
    with Stubber(given.dynamodb) as ddb:
        ddb.add_response(
            "describe_continuous_backups",
            {
                "ContinuousBackupsDescription": {
                    "ContinuousBackupsStatus": "ENABLED",
                    "PointInTimeRecoveryDescription": {
                        "PointInTimeRecoveryStatus": "ENABLED",
                        "RecoveryPeriodInDays": live_days,
                    },
                }
            },
            {"TableName": TABLE_NAME},
        )
        run._tables().point_in_time_recovery(CAPPED, TABLE_NAME)
    assert run.checks == [
        Check("table.pitr", "ENABLED", "ENABLED", "ok"),
        Check("table.pitr_period", "7", str(live_days), status),  # type: ignore[arg-type]
    ]


def insights(mode: str | None, status: str = "ENABLED", index: str | None = None) -> dict[str, Any]:
    answer: dict[str, Any] = {"TableName": TABLE_NAME, "ContributorInsightsStatus": status}
    if index:
        answer["IndexName"] = index
    if mode:
        answer["ContributorInsightsMode"] = mode
    return answer


def test_contributor_insights_and_its_mode_are_checked_on_the_table_and_its_index() -> None:
    given = clients()
    run = verifier(given)
    with Stubber(given.dynamodb) as ddb:
        ddb.add_response(
            "describe_contributor_insights", insights("THROTTLED_KEYS"), {"TableName": TABLE_NAME}
        )
        ddb.add_response(
            "describe_contributor_insights",
            insights("ACCESSED_AND_THROTTLED_KEYS", index="GSI1"),
            {"TableName": TABLE_NAME, "IndexName": "GSI1"},
        )
        run._tables().contributor_insights(CAPPED, TABLE_NAME)
        ddb.assert_no_pending_responses()
    assert run.checks == [
        Check("table.contributor_insights", "ENABLED (THROTTLED_KEYS)", "ENABLED (THROTTLED_KEYS)", "ok"),
        Check(
            "table.index.GSI1.contributor_insights",
            "ENABLED (THROTTLED_KEYS)",
            "ENABLED (ACCESSED_AND_THROTTLED_KEYS)",
            "drift",
        ),
    ]


def test_contributor_insights_off_is_checked_and_an_endpoint_without_it_skips() -> None:
    given = clients()
    run = verifier(given)
    with Stubber(given.dynamodb) as ddb:
        ddb.add_response(
            "describe_contributor_insights", insights(None, status="DISABLED"), {"TableName": TABLE_NAME}
        )
        ddb.add_client_error(
            "describe_contributor_insights",
            service_error_code="UnknownOperationException",
            service_message="no",
        )
        run._tables().contributor_insights({"GlobalSecondaryIndexes": [{"IndexName": "GSI1"}]}, TABLE_NAME)
    assert run.checks == [
        Check("table.contributor_insights", "DISABLED", "DISABLED", "ok"),
        Check(
            "table.index.GSI1.contributor_insights",
            "DISABLED",
            "not checked: this endpoint has no DescribeContributorInsights",
            "skipped",
        ),
    ]


def test_a_replica_promises_its_own_read_caps_insights_and_recovery_period() -> None:
    table = {
        "WriteOnDemandThroughputSettings": {"MaxWriteRequestUnits": 100},
        "GlobalSecondaryIndexes": [
            {"IndexName": "GSI1", "WriteOnDemandThroughputSettings": {"MaxWriteRequestUnits": 50}}
        ],
    }
    replica = {
        "Region": "eu-west-1",
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
        "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 400},
        "ContributorInsightsSpecification": {"Enabled": True},
        "GlobalSecondaryIndexes": [
            {"IndexName": "GSI1", "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 200}}
        ],
    }
    merged = replica_properties(table, replica)
    assert merged["ReadOnDemandThroughputSettings"] == {"MaxReadRequestUnits": 400}
    assert merged["ContributorInsightsSpecification"] == {"Enabled": True}
    assert merged["PointInTimeRecoverySpecification"]["RecoveryPeriodInDays"] == 7
    assert merged["GlobalSecondaryIndexes"] == [
        {
            "IndexName": "GSI1",
            "WriteOnDemandThroughputSettings": {"MaxWriteRequestUnits": 50},
            "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 200},
        }
    ]
