"""The custom cfn-lint rules, tested as cfn-lint tests its own: each case calls one rule on a small
template and compares the exact findings, rule id, path and message; every rule passes the good small
templates and the templates the code builds, and loads without kvtable's dependencies. The end-to-end
cfn-lint runs are in tests/engine/cfn_rules/test_cfn_rules.py."""

import copy
import json
import os
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import pytest
from cfnlint.decode import decode_str
from cfnlint.helpers import load_plugins
from cfnlint.rules import CloudFormationLintRule
from cfnlint.template import Template

from cfn_rules.alarm_rules import AlarmWatchesThisTable
from cfn_rules.policy_rules import NoWildcardAction, ResourcesInsideTable, SecureTransportOnly
from cfn_rules.table_rules import (
    DeletionProtection,
    GlobalTableStream,
    OnDemandBilling,
    OnDemandCapsArePositive,
    PointInTimeRecovery,
    RecoveryPeriodInRange,
    RetainTable,
    ServerSideEncryption,
    TimeToLive,
    WarmThroughputAtLeastTheFloor,
)
from kvtable.builders.render import rendered_files
from kvtable.cfn.names import ALARM_TYPE, GLOBAL_TABLE_TYPE, MANAGED_POLICY_TYPE, TABLE_TYPE
from kvtable.schema.key_design import TTL_ATTRIBUTE
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
RULES_DIR = str(ROOT / "cfn_rules")
RULES: list[CloudFormationLintRule] = [
    PointInTimeRecovery(),
    ServerSideEncryption(),
    TimeToLive(),
    DeletionProtection(),
    RetainTable(),
    OnDemandBilling(),
    AlarmWatchesThisTable(),
    GlobalTableStream(),
    OnDemandCapsArePositive(),
    WarmThroughputAtLeastTheFloor(),
    RecoveryPeriodInRange(),
    NoWildcardAction(),
    ResourcesInsideTable(),
    SecureTransportOnly(),
]
RULE = {rule.id: rule for rule in RULES}

Edit = Callable[[dict[str, Any]], object]
KeyPath = list[str | int]
Finding = tuple[str, KeyPath, str]
# A rule id, what the case breaks, how, and every finding the rule must report: nothing more.
Case = tuple[str, str, Edit, list[Finding]]

KEY_CONDITION = "UseCustomerManagedKey"
CAP_CONDITION = "CapReads"
SECOND_REPLICA_CONDITION = "HasSecondReplica"
NO_VALUE = {"Ref": "AWS::NoValue"}
READ_ACTIONS = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"]


def findings(rule: CloudFormationLintRule, template: dict[str, Any]) -> list[Finding]:
    """What cfn-lint reports for one rule on the template, in order: the rule is called directly."""
    cfn = Template("template.json", template, ["us-east-1"])
    return [(match.rule.id, match.path, match.message) for match in rule.matchall("template.json", cfn)]


def every_finding(template: dict[str, Any]) -> list[Finding]:
    return [finding for rule in RULES for finding in findings(rule, template)]


def key_statement() -> dict[str, Any]:
    """The statement the customer-managed key adds: its key, through DynamoDB only."""
    return {
        "Sid": "UseTableKey",
        "Effect": "Allow",
        "Action": ["kms:Decrypt", "kms:DescribeKey"],
        "Resource": [{"Ref": "KmsKeyArn"}],
        "Condition": {
            "Bool": {"aws:SecureTransport": "true"},
            "StringEquals": {"kms:ViaService": {"Fn::Sub": "dynamodb.${AWS::Region}.amazonaws.com"}},
        },
    }


def read_statement(resources: list[Any]) -> dict[str, Any]:
    """The read statement: the design's read actions on the resources, over TLS only."""
    return {
        "Sid": "ReadItems",
        "Effect": "Allow",
        "Action": list(READ_ACTIONS),
        "Resource": copy.deepcopy(resources),
        "Condition": {"Bool": {"aws:SecureTransport": "true"}},
    }


def dimension(name: str, value: Any) -> dict[str, Any]:
    return {"Name": name, "Value": value}


def alarm(*dimensions: dict[str, Any]) -> dict[str, Any]:
    return {"Type": ALARM_TYPE, "Properties": {"Namespace": "AWS/DynamoDB", "Dimensions": list(dimensions)}}


def string_parameters(**defaults: str) -> dict[str, Any]:
    return {name: {"Type": "String", "Default": default} for name, default in defaults.items()}


def given(parameter: str) -> dict[str, Any]:
    """A condition: the parameter is not empty."""
    return {"Fn::Not": [{"Fn::Equals": [{"Ref": parameter}, ""]}]}


def retained_table(table_type: str, **properties: Any) -> dict[str, Any]:
    """A table with what both designs keep alike: Retain, its name parameter, on demand, TTL."""
    return {
        "Type": table_type,
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {
            "TableName": {"Ref": "TableName"},
            "BillingMode": "PAY_PER_REQUEST",
            "TimeToLiveSpecification": {"AttributeName": TTL_ATTRIBUTE, "Enabled": True},
            **properties,
        },
    }


# The single-region design in miniature: the table with every invariant, the read policy with the
# key's branch (as the built template has it), an alarm on the table and one on its index.
TABLE_ARNS = [{"Fn::GetAtt": ["Table", "Arn"]}, {"Fn::Sub": "${Table.Arn}/index/${GsiName}"}]
DATABASE: dict[str, Any] = {
    "Parameters": string_parameters(TableName="kv-storage-data", GsiName="GSI1", KmsKeyArn="", MaxRead=""),
    "Conditions": {KEY_CONDITION: given("KmsKeyArn"), CAP_CONDITION: given("MaxRead")},
    "Resources": {
        "Table": retained_table(
            TABLE_TYPE,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 7},
            SSESpecification={
                "Fn::If": [
                    KEY_CONDITION,
                    {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": {"Ref": "KmsKeyArn"}},
                    {"SSEEnabled": True},
                ]
            },
            DeletionProtectionEnabled=True,
            # A read cap when its parameter is given (empty by default: no cap), as the design has it.
            OnDemandThroughput={
                "Fn::If": [CAP_CONDITION, {"MaxReadRequestUnits": {"Ref": "MaxRead"}}, NO_VALUE]
            },
            WarmThroughput={"ReadUnitsPerSecond": 12000, "WriteUnitsPerSecond": 4000},
            GlobalSecondaryIndexes=[
                {"IndexName": {"Ref": "GsiName"}, "OnDemandThroughput": {"MaxWriteRequestUnits": 100}}
            ],
        ),
        "ReadPolicy": {
            "Type": MANAGED_POLICY_TYPE,
            "Properties": {
                "PolicyDocument": {
                    "Fn::If": [
                        KEY_CONDITION,
                        {"Statement": [read_statement(TABLE_ARNS), key_statement()]},
                        {"Statement": [read_statement(TABLE_ARNS)]},
                    ]
                }
            },
        },
        "TableAlarm": alarm(dimension("TableName", {"Ref": "Table"})),
        "IndexAlarm": alarm(
            dimension("TableName", {"Ref": "Table"}),
            dimension("GlobalSecondaryIndexName", {"Ref": "GsiName"}),
        ),
    },
}

# The global design in miniature: two replicas, the second only when its region is given.
REGIONAL_ARN = "arn:${AWS::Partition}:dynamodb:${Region}:${AWS::AccountId}:table/${TableName}"
REPLICA = {
    "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True, "RecoveryPeriodInDays": 35},
    "DeletionProtectionEnabled": True,
    "ReadOnDemandThroughputSettings": {"MaxReadRequestUnits": 500},
}
GLOBAL: dict[str, Any] = {
    "Parameters": string_parameters(TableName="kv-storage-data", SecondRegion=""),
    "Conditions": {SECOND_REPLICA_CONDITION: given("SecondRegion")},
    "Resources": {
        "Table": retained_table(
            GLOBAL_TABLE_TYPE,
            SSESpecification={"SSEEnabled": True},
            StreamSpecification={"StreamViewType": "NEW_AND_OLD_IMAGES"},
            WriteOnDemandThroughputSettings={"MaxWriteRequestUnits": 100},
            Replicas=[
                {"Region": {"Ref": "AWS::Region"}, **copy.deepcopy(REPLICA)},
                {
                    "Fn::If": [
                        SECOND_REPLICA_CONDITION,
                        {"Region": {"Ref": "SecondRegion"}, **copy.deepcopy(REPLICA)},
                        NO_VALUE,
                    ]
                },
            ],
        ),
        "ReadPolicy": {
            "Type": MANAGED_POLICY_TYPE,
            "Properties": {
                "PolicyDocument": {
                    "Statement": [
                        read_statement(
                            [
                                {"Fn::Sub": [REGIONAL_ARN, {"Region": {"Ref": "AWS::Region"}}]},
                                {
                                    "Fn::If": [
                                        SECOND_REPLICA_CONDITION,
                                        {"Fn::Sub": [REGIONAL_ARN, {"Region": {"Ref": "SecondRegion"}}]},
                                        NO_VALUE,
                                    ]
                                },
                            ]
                        )
                    ]
                }
            },
        },
    },
}


def table(template: dict[str, Any]) -> dict[str, Any]:
    resource: dict[str, Any] = template["Resources"]["Table"]
    return resource


def props(template: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = table(template)["Properties"]
    return properties


def policy_branch(template: dict[str, Any], branch: int) -> list[dict[str, Any]]:
    """The read policy's statements with the customer-managed key (1) or with the AWS-managed one (2)."""
    statements: list[dict[str, Any]] = template["Resources"]["ReadPolicy"]["Properties"]["PolicyDocument"][
        "Fn::If"
    ][branch]["Statement"]
    return statements


def read(template: dict[str, Any]) -> dict[str, Any]:
    """The read statement of the default (AWS-managed key) branch."""
    return policy_branch(template, 2)[0]


def dimensions(template: dict[str, Any], logical_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = template["Resources"][logical_id]["Properties"]["Dimensions"]
    return listed


def replica(template: dict[str, Any], index: int) -> dict[str, Any]:
    """A replica of the global table; the second is the true branch of its Fn::If."""
    listed = props(template)["Replicas"][index]
    found: dict[str, Any] = listed["Fn::If"][1] if "Fn::If" in listed else listed
    return found


def global_read(template: dict[str, Any]) -> dict[str, Any]:
    statement: dict[str, Any] = template["Resources"]["ReadPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ][0]
    return statement


TABLE: KeyPath = ["Resources", "Table", "Properties"]
READ: KeyPath = ["Resources", "ReadPolicy", "Properties", "PolicyDocument", "Fn::If", 2, "Statement", 0]
KEY_STATEMENT: KeyPath = [
    "Resources",
    "ReadPolicy",
    "Properties",
    "PolicyDocument",
    "Fn::If",
    1,
    "Statement",
    1,
]
GLOBAL_READ: KeyPath = ["Resources", "ReadPolicy", "Properties", "PolicyDocument", "Statement", 0]
PITR = "Table: point-in-time recovery must be enabled"
SSE = "Table: server-side encryption with KMS (SSESpecification.SSEEnabled: true) is required"
TTL = f"Table: TTL must be enabled on attribute '{TTL_ATTRIBUTE}'"
PROTECTION = "Table: deletion protection (DeletionProtectionEnabled: true) is required"
BILLING = "Table: BillingMode must be PAY_PER_REQUEST"
STREAM = "Table: the stream must be NEW_AND_OLD_IMAGES"
TABLE_ALARM: KeyPath = ["Resources", "TableAlarm", "Properties"]
NO_TABLE_DIMENSION = "TableAlarm: a DynamoDB alarm needs a TableName dimension"
IMPORTED_TABLE = {"Fn::ImportValue": "OtherStack-TableName"}
OTHER_REGIONAL_TABLE = {
    "Fn::Sub": [REGIONAL_ARN.replace("${TableName}", "other"), {"Region": {"Ref": "SecondRegion"}}]
}


def out_of_range(key: str, allowed: str, found: object, advice: str = "") -> str:
    return f"Table: {key} must be {allowed}{advice} (found {found!r})"


NO_CAP = "; leave the key out for no cap"
NO_TLS = "ReadItems allows requests without TLS; add Bool aws:SecureTransport 'true'"


def not_this_table(value: object) -> str:
    return f"TableAlarm: TableName dimension {value!r} is not a Ref to this template's table"


def outside(resource: object) -> str:
    return f"resource {resource!r} is outside this template's table and its indexes"


# Cases the single-region and the global table share (the resource attributes are the same).
BOTH_CASES: list[Case] = [
    (
        "E9005",
        "DeletionPolicy Delete",
        lambda t: table(t).update(DeletionPolicy="Delete"),
        [
            (
                "E9005",
                ["Resources", "Table", "DeletionPolicy"],
                "Table: DeletionPolicy must be Retain (found 'Delete')",
            )
        ],
    ),
]

CASES: list[Case] = [
    (
        "E9001",
        "PITR off",
        lambda t: props(t)["PointInTimeRecoverySpecification"].update(PointInTimeRecoveryEnabled=False),
        [
            (
                "E9001",
                [*TABLE, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"],
                f"{PITR} (found False)",
            )
        ],
    ),
    (
        "E9001",
        "PITR missing",
        lambda t: props(t).pop("PointInTimeRecoverySpecification"),
        [("E9001", TABLE, PITR)],
    ),
    (
        "E9002",
        "SSE off in the default branch",
        lambda t: props(t)["SSESpecification"]["Fn::If"][2].update(SSEEnabled=False),
        [("E9002", [*TABLE, "SSESpecification", "Fn::If", 2, "SSEEnabled"], f"{SSE} (found False)")],
    ),
    (
        "E9002",
        "SSE left out in the default branch",
        lambda t: props(t)["SSESpecification"]["Fn::If"].__setitem__(2, NO_VALUE),
        [("E9002", [*TABLE, "SSESpecification", "Fn::If", 2], SSE)],
    ),
    ("E9002", "SSE missing", lambda t: props(t).pop("SSESpecification"), [("E9002", TABLE, SSE)]),
    (
        "E9003",
        "TTL on another attribute",
        lambda t: props(t)["TimeToLiveSpecification"].update(AttributeName="expires"),
        [("E9003", [*TABLE, "TimeToLiveSpecification", "AttributeName"], f"{TTL} (found 'expires')")],
    ),
    (
        "E9003",
        "TTL disabled",
        lambda t: props(t)["TimeToLiveSpecification"].update(Enabled=False),
        [("E9003", [*TABLE, "TimeToLiveSpecification", "Enabled"], f"{TTL} (found False)")],
    ),
    (
        "E9004",
        "deletion protection off",
        lambda t: props(t).update(DeletionProtectionEnabled=False),
        [("E9004", [*TABLE, "DeletionProtectionEnabled"], f"{PROTECTION} (found False)")],
    ),
    (
        "E9004",
        "deletion protection as the string 'true'",
        lambda t: props(t).update(DeletionProtectionEnabled="true"),
        [("E9004", [*TABLE, "DeletionProtectionEnabled"], f"{PROTECTION} (found 'true')")],
    ),
    (
        "E9005",
        "no UpdateReplacePolicy",
        lambda t: table(t).pop("UpdateReplacePolicy"),
        [("E9005", ["Resources", "Table"], "Table: UpdateReplacePolicy must be Retain")],
    ),
    (
        "E9006",
        "provisioned billing",
        lambda t: props(t).update(
            BillingMode="PROVISIONED", ProvisionedThroughput={"ReadCapacityUnits": 1, "WriteCapacityUnits": 1}
        ),
        [("E9006", [*TABLE, "BillingMode"], f"{BILLING} (found 'PROVISIONED')")],
    ),
    ("E9006", "no billing mode", lambda t: props(t).pop("BillingMode"), [("E9006", TABLE, BILLING)]),
    (
        "E9007",
        "alarm on a table named by hand",
        lambda t: dimensions(t, "TableAlarm")[0].update(Value="kv-other-table"),
        [("E9007", [*TABLE_ALARM, "Dimensions", 0, "Value"], not_this_table("kv-other-table"))],
    ),
    (
        "E9007",
        "alarm on another stack's table",
        lambda t: dimensions(t, "TableAlarm")[0].update(Value=IMPORTED_TABLE),
        [("E9007", [*TABLE_ALARM, "Dimensions", 0, "Value"], not_this_table(IMPORTED_TABLE))],
    ),
    (
        "E9007",
        "alarm without a table",
        lambda t: dimensions(t, "TableAlarm").clear(),
        [("E9007", [*TABLE_ALARM, "Dimensions"], NO_TABLE_DIMENSION)],
    ),
    (
        "E9007",
        "alarm without dimensions",
        lambda t: t["Resources"]["TableAlarm"]["Properties"].pop("Dimensions"),
        [("E9007", TABLE_ALARM, NO_TABLE_DIMENSION)],
    ),
    (
        "E9007",
        "alarm on an index named by hand",
        lambda t: dimensions(t, "IndexAlarm")[1].update(Value="GSI9"),
        [
            (
                "E9007",
                ["Resources", "IndexAlarm", "Properties", "Dimensions", 1, "Value"],
                "IndexAlarm: GlobalSecondaryIndexName dimension 'GSI9' is not one of this template's indexes",
            )
        ],
    ),
    (
        "E9009",
        "the API's -1 for no cap on the table",
        lambda t: props(t)["OnDemandThroughput"]["Fn::If"].__setitem__(1, {"MaxReadRequestUnits": -1}),
        [
            (
                "E9009",
                [*TABLE, "OnDemandThroughput", "Fn::If", 1, "MaxReadRequestUnits"],
                out_of_range("MaxReadRequestUnits", "at least 1", -1, NO_CAP),
            )
        ],
    ),
    (
        "E9009",
        "a parameter whose default is 0",
        lambda t: t["Parameters"]["MaxRead"].update(Default="0"),
        [
            (
                "E9009",
                [*TABLE, "OnDemandThroughput", "Fn::If", 1, "MaxReadRequestUnits"],
                out_of_range("MaxReadRequestUnits", "at least 1", {"Ref": "MaxRead"}, NO_CAP),
            )
        ],
    ),
    (
        "E9009",
        "a zero cap on the GSI",
        lambda t: props(t)["GlobalSecondaryIndexes"][0]["OnDemandThroughput"].update(
            MaxWriteRequestUnits="0"
        ),
        [
            (
                "E9009",
                [*TABLE, "GlobalSecondaryIndexes", 0, "OnDemandThroughput", "MaxWriteRequestUnits"],
                out_of_range("MaxWriteRequestUnits", "at least 1", "0", NO_CAP),
            )
        ],
    ),
    (
        "E9010",
        "warm reads below the on-demand floor",
        lambda t: props(t)["WarmThroughput"].update(ReadUnitsPerSecond=1000),
        [
            (
                "E9010",
                [*TABLE, "WarmThroughput", "ReadUnitsPerSecond"],
                out_of_range("ReadUnitsPerSecond", "at least 12000", 1000),
            )
        ],
    ),
    (
        "E9010",
        "warm writes below the on-demand floor",
        lambda t: props(t)["WarmThroughput"].update(WriteUnitsPerSecond=3999),
        [
            (
                "E9010",
                [*TABLE, "WarmThroughput", "WriteUnitsPerSecond"],
                out_of_range("WriteUnitsPerSecond", "at least 4000", 3999),
            )
        ],
    ),
    (
        "E9011",
        "36 days of recovery",
        lambda t: props(t)["PointInTimeRecoverySpecification"].update(RecoveryPeriodInDays=36),
        [
            (
                "E9011",
                [*TABLE, "PointInTimeRecoverySpecification", "RecoveryPeriodInDays"],
                out_of_range("RecoveryPeriodInDays", "1 to 35", 36),
            )
        ],
    ),
    (
        "E9011",
        "no day of recovery",
        lambda t: props(t)["PointInTimeRecoverySpecification"].update(RecoveryPeriodInDays=0),
        [
            (
                "E9011",
                [*TABLE, "PointInTimeRecoverySpecification", "RecoveryPeriodInDays"],
                out_of_range("RecoveryPeriodInDays", "1 to 35", 0),
            )
        ],
    ),
    (
        "E9101",
        "dynamodb:* action",
        lambda t: read(t).update(Action=["dynamodb:*"]),
        [("E9101", [*READ, "Action", 0], "action 'dynamodb:*' is a wildcard; name each action")],
    ),
    (
        "E9101",
        "dynamodb:Get* action",
        lambda t: read(t)["Action"].append("dynamodb:Get*"),
        [("E9101", [*READ, "Action", 3], "action 'dynamodb:Get*' is a wildcard; name each action")],
    ),
    (
        "E9101",
        "NotAction",
        lambda t: read(t).update(NotAction=["dynamodb:Scan"]),
        [("E9101", [*READ, "NotAction"], "NotAction grants every other action; name actions instead")],
    ),
    (
        "E9102",
        "resource *",
        lambda t: read(t).update(Resource=["*"]),
        [("E9102", [*READ, "Resource", 0], outside("*"))],
    ),
    (
        "E9102",
        "another table",
        lambda t: read(t)["Resource"].append("arn:aws:dynamodb:us-east-1:123456789012:table/other"),
        [("E9102", [*READ, "Resource", 2], outside("arn:aws:dynamodb:us-east-1:123456789012:table/other"))],
    ),
    (
        "E9102",
        "any key in the KMS branch",
        lambda t: policy_branch(t, 1)[1].update(Resource=["*"]),
        [("E9102", [*KEY_STATEMENT, "Resource", 0], outside("*"))],
    ),
    ("E9103", "no TLS condition", lambda t: read(t).pop("Condition"), [("E9103", READ, NO_TLS)]),
    (
        "E9103",
        "TLS condition false",
        lambda t: read(t).update(Condition={"Bool": {"aws:SecureTransport": "false"}}),
        [("E9103", [*READ, "Condition", "Bool", "aws:SecureTransport"], NO_TLS)],
    ),
    (
        "E9103",
        "a condition without Bool",
        lambda t: read(t).update(Condition={"StringEquals": {"aws:PrincipalAccount": "123456789012"}}),
        [("E9103", [*READ, "Condition"], NO_TLS)],
    ),
]

GLOBAL_CASES: list[Case] = [
    (
        "E9001",
        "a replica without PITR",
        lambda t: replica(t, 0)["PointInTimeRecoverySpecification"].update(PointInTimeRecoveryEnabled=False),
        [
            (
                "E9001",
                [*TABLE, "Replicas", 0, "PointInTimeRecoverySpecification", "PointInTimeRecoveryEnabled"],
                f"{PITR} (found False)",
            )
        ],
    ),
    (
        "E9001",
        "the conditional replica without PITR",
        lambda t: replica(t, 1).pop("PointInTimeRecoverySpecification"),
        [("E9001", [*TABLE, "Replicas", 1, "Fn::If", 1], PITR)],
    ),
    (
        "E9001",
        "no replica",
        lambda t: props(t).update(Replicas=[]),
        [("E9001", [*TABLE, "Replicas"], PITR)],
    ),
    (
        "E9002",
        "no encryption",
        lambda t: props(t)["SSESpecification"].update(SSEEnabled=False),
        [("E9002", [*TABLE, "SSESpecification", "SSEEnabled"], f"{SSE} (found False)")],
    ),
    ("E9003", "no TTL", lambda t: props(t).pop("TimeToLiveSpecification"), [("E9003", TABLE, TTL)]),
    (
        "E9004",
        "a replica without deletion protection",
        lambda t: replica(t, 0).pop("DeletionProtectionEnabled"),
        [("E9004", [*TABLE, "Replicas", 0], PROTECTION)],
    ),
    (
        "E9006",
        "provisioned billing",
        lambda t: props(t).update(BillingMode="PROVISIONED"),
        [("E9006", [*TABLE, "BillingMode"], f"{BILLING} (found 'PROVISIONED')")],
    ),
    ("E9008", "no stream", lambda t: props(t).pop("StreamSpecification"), [("E9008", TABLE, STREAM)]),
    (
        "E9009",
        "the conditional replica's read cap at -1",
        lambda t: replica(t, 1)["ReadOnDemandThroughputSettings"].update(MaxReadRequestUnits=-1),
        [
            (
                "E9009",
                [*TABLE, "Replicas", 1, "Fn::If", 1, "ReadOnDemandThroughputSettings", "MaxReadRequestUnits"],
                out_of_range("MaxReadRequestUnits", "at least 1", -1, NO_CAP),
            )
        ],
    ),
    (
        "E9009",
        "the table's write cap at 0",
        lambda t: props(t)["WriteOnDemandThroughputSettings"].update(MaxWriteRequestUnits=0),
        [
            (
                "E9009",
                [*TABLE, "WriteOnDemandThroughputSettings", "MaxWriteRequestUnits"],
                out_of_range("MaxWriteRequestUnits", "at least 1", 0, NO_CAP),
            )
        ],
    ),
    (
        "E9011",
        "a replica keeping 40 days",
        lambda t: replica(t, 0)["PointInTimeRecoverySpecification"].update(RecoveryPeriodInDays=40),
        [
            (
                "E9011",
                [*TABLE, "Replicas", 0, "PointInTimeRecoverySpecification", "RecoveryPeriodInDays"],
                out_of_range("RecoveryPeriodInDays", "1 to 35", 40),
            )
        ],
    ),
    (
        "E9008",
        "keys-only stream",
        lambda t: props(t)["StreamSpecification"].update(StreamViewType="KEYS_ONLY"),
        [("E9008", [*TABLE, "StreamSpecification", "StreamViewType"], f"{STREAM} (found 'KEYS_ONLY')")],
    ),
    (
        "E9102",
        "every region",
        lambda t: global_read(t).update(Resource=["arn:aws:dynamodb:*:*:table/*"]),
        [("E9102", [*GLOBAL_READ, "Resource", 0], outside("arn:aws:dynamodb:*:*:table/*"))],
    ),
    (
        "E9102",
        "the conditional replica's ARN names another table",
        lambda t: global_read(t)["Resource"][1]["Fn::If"].__setitem__(1, OTHER_REGIONAL_TABLE),
        [("E9102", [*GLOBAL_READ, "Resource", 1, "Fn::If", 1], outside(OTHER_REGIONAL_TABLE))],
    ),
]


BASES = {"database": DATABASE, "global": GLOBAL}
ALL_CASES = [("database", *case) for case in [*BOTH_CASES, *CASES]] + [
    ("global", *case) for case in [*BOTH_CASES, *GLOBAL_CASES]
]


@pytest.mark.parametrize(
    ("base", "rule_id", "what", "edit", "expected"),
    ALL_CASES,
    ids=[f"{b}-{r}-{w}" for b, r, w, _, _ in ALL_CASES],
)
def test_each_rule_reports_what_breaks_it_at_the_key(
    base: str, rule_id: str, what: str, edit: Edit, expected: list[Finding]
) -> None:
    broken = copy.deepcopy(BASES[base])
    edit(broken)
    assert findings(RULE[rule_id], broken) == expected, what


@pytest.mark.parametrize("base", sorted(BASES))
def test_every_rule_passes_the_small_templates(base: str) -> None:
    assert every_finding(BASES[base]) == []


# Built once: building every template takes about half a second.
RENDERED = rendered_files()


def rendered(name: str) -> dict[str, Any]:
    """A template the code builds, decoded as cfn-lint decodes a file (YAML keeps its line marks)."""
    template, errors = decode_str(RENDERED[name])
    assert errors == []
    decoded: dict[str, Any] = template
    return decoded


@pytest.mark.parametrize("name", sorted(RENDERED))
def test_every_rule_passes_the_templates_the_code_builds(name: str) -> None:
    assert every_finding(rendered(name)) == []


def test_cfn_lint_finds_exactly_the_rules_tested_here() -> None:
    # What `--append-rules cfn_rules` loads: a rule added there without a case here fails this test.
    assert sorted(rule.id for rule in load_plugins(RULES_DIR)) == sorted(RULE)


def test_the_rules_load_without_kvtables_dependencies() -> None:
    # cfn_rules take the table types and the TTL attribute from kvtable (see cfn_rules/common.py):
    # in a fresh interpreter, loading the rules imports nothing cfn-lint has not, but kvtable's own
    # modules of names, so cfn-lint needs none of boto3, troposphere or awacs to load them.
    script = (
        "import json, sys; import cfnlint.rules, cfnlint.template; before = set(sys.modules); "
        "import cfn_rules.table_rules, cfn_rules.alarm_rules, cfn_rules.policy_rules; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    run = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(run.stdout) == [
        "cfn_rules",
        "cfn_rules.alarm_rules",
        "cfn_rules.common",
        "cfn_rules.policy_rules",
        "cfn_rules.table_rules",
        "kvtable",
        "kvtable.cfn",
        "kvtable.cfn.names",
        "kvtable.schema",
        "kvtable.schema.errors",
        "kvtable.schema.key_design",
        "kvtable.version",
    ]
