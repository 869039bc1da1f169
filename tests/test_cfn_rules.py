"""The custom cfn-lint rules: each fails a template that breaks its invariant; the real ones pass."""

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import lint_file

from kvtable.cfn.render import rendered_files

# Each test runs cfn-lint over a whole template (about a second): too slow for `make unit`.
pytestmark = pytest.mark.cfn_lint

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "cfn_rules")
DATABASE: dict[str, Any] = json.loads(rendered_files()["database.json"])
GLOBAL: dict[str, Any] = json.loads(rendered_files()["global-database.json"])
Edit = Callable[[dict[str, Any]], None]


def rule_ids(tmp_path: Path, template: dict[str, Any]) -> set[str]:
    path = tmp_path / "template.json"
    path.write_text(json.dumps(template))
    matches = lint_file(path, {"append_rules": [RULES], "regions": ["us-east-1"]})
    return {match.rule.id for match in matches}


def table(template: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = template["Resources"]["KVStorageTable"]
    return resource


def props(template: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = table(template)["Properties"]
    return properties


def read_statement(template: dict[str, Any]) -> dict[str, Any]:
    # The default (AWS-managed key) branch of the read policy's document.
    statement: dict[str, Any] = template["Resources"]["ReadPolicy"]["Properties"]["PolicyDocument"]["Fn::If"][
        2
    ]["Statement"][0]
    return statement


def alarm(template: dict[str, Any], logical_id: str) -> dict[str, Any]:
    properties: dict[str, Any] = template["Resources"][logical_id]["Properties"]
    return properties


def key_branch_statement(template: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = template["Resources"]["ReadWritePolicy"]["Properties"]["PolicyDocument"][
        "Fn::If"
    ][1]["Statement"][1]
    return statement


BREAKS: list[tuple[str, str, Edit]] = [
    (
        "E9001",
        "PITR off",
        lambda t: props(t)["PointInTimeRecoverySpecification"].update(PointInTimeRecoveryEnabled=False),
    ),
    ("E9001", "PITR missing", lambda t: props(t).pop("PointInTimeRecoverySpecification")),
    (
        "E9002",
        "SSE off in the default branch",
        lambda t: props(t)["SSESpecification"]["Fn::If"][2].update(SSEEnabled=False),
    ),
    ("E9002", "SSE missing", lambda t: props(t).pop("SSESpecification")),
    (
        "E9003",
        "TTL on another attribute",
        lambda t: props(t)["TimeToLiveSpecification"].update(AttributeName="expires"),
    ),
    ("E9003", "TTL disabled", lambda t: props(t)["TimeToLiveSpecification"].update(Enabled=False)),
    ("E9004", "deletion protection off", lambda t: props(t).update(DeletionProtectionEnabled=False)),
    ("E9005", "DeletionPolicy Delete", lambda t: table(t).update(DeletionPolicy="Delete")),
    ("E9005", "no UpdateReplacePolicy", lambda t: table(t).pop("UpdateReplacePolicy")),
    (
        "E9006",
        "provisioned billing",
        lambda t: props(t).update(
            BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
        ),
    ),
    (
        "E9007",
        "alarm on a table named by hand",
        lambda t: alarm(t, "ReadThrottleEventsAlarm")["Dimensions"][0].update(Value="kv-other-table"),
    ),
    (
        "E9007",
        "alarm on another stack's table",
        lambda t: alarm(t, "SystemErrorsAlarm")["Dimensions"][0].update(
            Value={"Fn::ImportValue": "OtherStack-TableName"}
        ),
    ),
    ("E9007", "alarm without a table", lambda t: alarm(t, "WriteThrottleEventsAlarm").update(Dimensions=[])),
    (
        "E9007",
        "alarm on an index named by hand",
        lambda t: alarm(t, "IndexReadThrottleEventsAlarm")["Dimensions"][1].update(Value="GSI9"),
    ),
    ("E9101", "dynamodb:* action", lambda t: read_statement(t).update(Action=["dynamodb:*"])),
    ("E9101", "dynamodb:Get* action", lambda t: read_statement(t)["Action"].append("dynamodb:Get*")),
    ("E9101", "NotAction", lambda t: read_statement(t).update(NotAction=["dynamodb:Scan"])),
    ("E9102", "resource *", lambda t: read_statement(t).update(Resource=["*"])),
    (
        "E9102",
        "another table",
        lambda t: read_statement(t)["Resource"].append("arn:aws:dynamodb:us-east-1:123456789012:table/other"),
    ),
    ("E9102", "any key in the KMS branch", lambda t: key_branch_statement(t).update(Resource=["*"])),
    ("E9103", "no TLS condition", lambda t: read_statement(t).pop("Condition")),
    (
        "E9103",
        "TLS condition false",
        lambda t: read_statement(t).update(Condition={"Bool": {"aws:SecureTransport": "false"}}),
    ),
]


@pytest.mark.parametrize(("rule", "what", "edit"), BREAKS, ids=[f"{r}-{w}" for r, w, _ in BREAKS])
def test_each_rule_fails_a_template_that_breaks_it(tmp_path: Path, rule: str, what: str, edit: Edit) -> None:
    broken = copy.deepcopy(DATABASE)
    edit(broken)
    assert rule in rule_ids(tmp_path, broken), what


def test_the_alarm_rule_points_at_the_offending_dimension(tmp_path: Path) -> None:
    broken = copy.deepcopy(DATABASE)
    alarm(broken, "IndexReadThrottleEventsAlarm")["Dimensions"][1].update(Value="GSI9")
    path = tmp_path / "template.json"
    path.write_text(json.dumps(broken))
    matches = [
        m
        for m in lint_file(path, {"append_rules": [RULES], "regions": ["us-east-1"]})
        if m.rule.id == "E9007"
    ]
    assert [(m.path_string, m.message) for m in matches] == [
        (
            "Resources/IndexReadThrottleEventsAlarm/Properties/Dimensions/1/Value",
            "IndexReadThrottleEventsAlarm: GlobalSecondaryIndexName dimension 'GSI9' is not one of this template's "
            "indexes",
        )
    ]


@pytest.mark.parametrize("name", sorted(rendered_files()))
def test_the_real_templates_pass_every_rule(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text(rendered_files()[name])
    matches = lint_file(path, {"append_rules": [RULES], "regions": ["us-east-1"]})
    assert [str(m) for m in matches] == []


def test_the_customer_managed_key_variant_passes_every_rule(tmp_path: Path) -> None:
    keyed = copy.deepcopy(DATABASE)
    keyed["Parameters"]["KmsKeyArn"]["Default"] = (
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
    )
    assert rule_ids(tmp_path, keyed) == set()


def first_replica(template: dict[str, Any]) -> dict[str, Any]:
    replica: dict[str, Any] = props(template)["Replicas"][0]
    return replica


GLOBAL_BREAKS: list[tuple[str, str, Edit]] = [
    (
        "E9001",
        "a replica without PITR",
        lambda t: first_replica(t)["PointInTimeRecoverySpecification"].update(
            PointInTimeRecoveryEnabled=False
        ),
    ),
    ("E9002", "no encryption", lambda t: props(t)["SSESpecification"].update(SSEEnabled=False)),
    ("E9003", "no TTL", lambda t: props(t).pop("TimeToLiveSpecification")),
    (
        "E9004",
        "a replica without deletion protection",
        lambda t: first_replica(t).pop("DeletionProtectionEnabled"),
    ),
    ("E9005", "DeletionPolicy Delete", lambda t: table(t).update(DeletionPolicy="Delete")),
    ("E9006", "provisioned billing", lambda t: props(t).update(BillingMode="PROVISIONED")),
    ("E9008", "no stream", lambda t: props(t).pop("StreamSpecification")),
    (
        "E9008",
        "keys-only stream",
        lambda t: props(t)["StreamSpecification"].update(StreamViewType="KEYS_ONLY"),
    ),
    (
        "E9102",
        "every region",
        lambda t: read_global_statement(t).update(Resource=["arn:aws:dynamodb:*:*:table/*"]),
    ),
]


def read_global_statement(template: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = template["Resources"]["ReadPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ][0]
    return statement


@pytest.mark.parametrize(
    ("rule", "what", "edit"), GLOBAL_BREAKS, ids=[f"{r}-{w}" for r, w, _ in GLOBAL_BREAKS]
)
def test_each_rule_fails_a_global_template_that_breaks_it(
    tmp_path: Path, rule: str, what: str, edit: Edit
) -> None:
    broken = copy.deepcopy(GLOBAL)
    edit(broken)
    assert rule in rule_ids(tmp_path, broken), what
