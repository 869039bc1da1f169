"""The database and consumer templates, asserted on what the code builds."""

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from cfnlint.decode import decode_str

import build_template
from kvtable.builders.render import rendered_files, rendered_yaml
from kvtable.cfn import names
from kvtable.schema import key_design as kd
from tests.paths import REPO_ROOT
from tests.resolve import Resolver

ROOT = REPO_ROOT
TEMPLATES = ROOT / "templates"

Template = dict[str, Any]


def built(name: str) -> Template:
    loaded: Template = json.loads(rendered_files()[f"{name}.json"])
    return loaded


@pytest.mark.parametrize("stem", ["database", "global-database", "consumer"])
def test_a_deploy_sends_the_committed_yaml_bytes(stem: str) -> None:
    assert rendered_yaml(stem) == (TEMPLATES / f"{stem}.yaml").read_text(encoding="utf-8")


def test_an_unknown_template_name_is_refused() -> None:
    with pytest.raises(KeyError, match="no template named 'tables'"):
        rendered_yaml("tables")


@pytest.fixture(scope="module")
def database() -> Template:
    return built("database")


@pytest.fixture(scope="module")
def consumer() -> Template:
    return built("consumer")


def table_properties(template: Template) -> dict[str, Any]:
    props: dict[str, Any] = template["Resources"][names.TABLE_RESOURCE]["Properties"]
    return props


@pytest.mark.parametrize("name", ["TableName", "GsiName"])
def test_name_parameters_carry_dynamodb_constraints(database: Template, name: str) -> None:
    parameter = database["Parameters"][name]
    assert parameter["Type"] == "String"
    assert parameter["MinLength"] == 3
    assert parameter["MaxLength"] == 255
    assert parameter["AllowedPattern"] == "^[a-zA-Z0-9_.-]+$"


def test_parameter_defaults_are_the_designs(database: Template) -> None:
    assert database["Parameters"]["TableName"]["Default"] == "kv-storage-data"
    assert database["Parameters"]["GsiName"]["Default"] == "GSI1"


def accepted(parameter: dict[str, Any], value: str) -> bool:
    """Whether CloudFormation takes the value, by the parameter's own constraints."""
    return (
        parameter.get("MinLength", 0) <= len(value) <= parameter.get("MaxLength", 4096)
        and re.fullmatch(parameter["AllowedPattern"], value) is not None
    )


@pytest.mark.parametrize("name", ["TableName", "GsiName"])
@pytest.mark.parametrize("value", ["kv", "a" * 256, "kv storage", "kv/storage", "tábla", "", "kv#1", "kv:1"])
def test_name_constraints_refuse_what_dynamodb_refuses(database: Template, name: str, value: str) -> None:
    assert not accepted(database["Parameters"][name], value)


@pytest.mark.parametrize("name", ["TableName", "GsiName"])
@pytest.mark.parametrize("value", ["kv-storage-data", "abc", "A.b_c-1", "a" * 255])
def test_name_constraints_accept_valid_names(database: Template, name: str, value: str) -> None:
    assert accepted(database["Parameters"][name], value)


@pytest.mark.parametrize(
    "value",
    [
        "not-an-arn",
        "arn:aws:kms:us-east-1:123456789012:alias/my-key",
        "arn:aws:s3:::my-bucket",
        "arn:aws:kms:us-east-1:12345:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws:kms:us-east-1:123456789012:key/",
        "arn:aws:kms:us-east-1:123456789012:key/1234 abcd",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        " arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ],
)
def test_kms_key_constraint_refuses_anything_but_a_key_arn(database: Template, value: str) -> None:
    assert not accepted(database["Parameters"]["KmsKeyArn"], value)


@pytest.mark.parametrize(
    "value",
    [
        "",
        "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        "arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1234abcd12ab34cd56ef1234567890ab",
        "arn:aws-cn:kms:cn-north-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
    ],
)
def test_kms_key_constraint_accepts_empty_or_a_key_arn(database: Template, value: str) -> None:
    assert accepted(database["Parameters"]["KmsKeyArn"], value)


def test_table_key_schema_billing_and_safety(database: Template) -> None:
    resource = database["Resources"][names.TABLE_RESOURCE]
    assert resource["Type"] == "AWS::DynamoDB::Table"
    assert resource["DeletionPolicy"] == "Retain"
    assert resource["UpdateReplacePolicy"] == "Retain"
    props = resource["Properties"]
    assert props["TableName"] == {"Ref": "TableName"}
    assert props["KeySchema"] == [
        {"AttributeName": "PK", "KeyType": "HASH"},
        {"AttributeName": "SK", "KeyType": "RANGE"},
    ]
    assert sorted(props["AttributeDefinitions"], key=lambda a: a["AttributeName"]) == [
        {"AttributeName": name, "AttributeType": "S"} for name in ["GSI1PK", "GSI1SK", "PK", "SK"]
    ]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert "ProvisionedThroughput" not in props
    # The recovery period is a parameter; at its default the key is left out (see below).
    effective = Resolver(database).resource(names.TABLE_RESOURCE)
    assert effective["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert props["DeletionProtectionEnabled"] is True
    assert props["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}


KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def test_encryption_uses_the_aws_managed_key_by_default(database: Template) -> None:
    # SSEEnabled true without a key id is the AWS-managed key; false or absent is AWS-owned.
    assert Resolver(database).resource(names.TABLE_RESOURCE)["SSESpecification"] == {"SSEEnabled": True}


def test_a_customer_managed_key_encrypts_the_table_when_given(database: Template) -> None:
    resolved = Resolver(database, {"KmsKeyArn": KEY_ARN}).resource(names.TABLE_RESOURCE)
    assert resolved["SSESpecification"] == {"SSEEnabled": True, "SSEType": "KMS", "KMSMasterKeyId": KEY_ARN}


@pytest.mark.parametrize(
    ("resource", "actions"),
    [
        (names.READ_POLICY_RESOURCE, ["kms:Decrypt", "kms:DescribeKey"]),
        (
            names.READ_WRITE_POLICY_RESOURCE,
            ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey"],
        ),
    ],
)
def test_with_a_key_the_policies_use_it_only_through_dynamodb(
    database: Template, resource: str, actions: list[str]
) -> None:
    default = Resolver(database).policy_documents()[resource]
    assert [s["Sid"] for s in default["Statement"]] == [default["Statement"][0]["Sid"]]
    keyed = Resolver(database, {"KmsKeyArn": KEY_ARN}).policy_documents()[resource]
    key_statement = keyed["Statement"][1]
    assert key_statement == {
        "Sid": "UseTableKey",
        "Effect": "Allow",
        "Action": actions,
        "Resource": [KEY_ARN],
        "Condition": {
            "StringEquals": {"kms:ViaService": "dynamodb.us-east-1.amazonaws.com"},
            "Bool": {"aws:SecureTransport": "true"},
        },
    }


def test_one_gsi_named_by_parameter_projecting_all(database: Template) -> None:
    (gsi,) = Resolver(database, {"ContributorInsights": "true"}).resource(names.TABLE_RESOURCE)[
        "GlobalSecondaryIndexes"
    ]
    assert gsi == {
        "IndexName": "GSI1",
        "KeySchema": [
            {"AttributeName": "GSI1PK", "KeyType": "HASH"},
            {"AttributeName": "GSI1SK", "KeyType": "RANGE"},
        ],
        "Projection": {"ProjectionType": "ALL"},
        "ContributorInsightsSpecification": {"Enabled": True},
    }


TABLE_ARN = {"Fn::GetAtt": [names.TABLE_RESOURCE, "Arn"]}
INDEX_ARN = {"Fn::Sub": "${KVStorageTable.Arn}/index/${GsiName}"}
SAMPLE_TABLE_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/kv-storage-data"
READ = ["dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query"]
WRITE = [
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
]


@pytest.mark.parametrize(
    ("resource", "actions"),
    [(names.READ_POLICY_RESOURCE, READ), (names.READ_WRITE_POLICY_RESOURCE, READ + WRITE)],
)
def test_policies_grant_exact_actions_on_table_and_index_over_tls(
    database: Template, resource: str, actions: list[str]
) -> None:
    assert database["Resources"][resource]["Type"] == "AWS::IAM::ManagedPolicy"
    for variant in database["Resources"][resource]["Properties"]["PolicyDocument"]["Fn::If"][1:]:
        assert variant["Statement"][0]["Resource"] == [TABLE_ARN, INDEX_ARN]
    document = Resolver(database).policy_documents()[resource]
    assert document["Version"] == "2012-10-17"
    (statement,) = document["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == actions
    assert statement["Resource"] == [SAMPLE_TABLE_ARN, SAMPLE_TABLE_ARN + "/index/GSI1"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "true"}}
    assert "*" not in json.dumps(statement["Action"])


def test_no_policy_grants_scan_describe_or_management(database: Template) -> None:
    text = json.dumps([r for r in database["Resources"].values() if r["Type"] == "AWS::IAM::ManagedPolicy"])
    for action in ["Scan", "DescribeTable", "CreateTable", "DeleteTable", "UpdateTable", "Backup"]:
        assert f"dynamodb:{action}" not in text


def test_outputs_are_exported_under_the_stack_name(database: Template) -> None:
    outputs = {name: o for name, o in database["Outputs"].items() if "Export" in o}
    assert sorted(outputs) == sorted(names.DATABASE_OUTPUTS)
    for name, output in outputs.items():
        assert output["Export"] == {"Name": {"Fn::Sub": "${AWS::StackName}-" + name}}
    assert outputs["TableName"]["Value"] == {"Ref": names.TABLE_RESOURCE}
    assert outputs["TableArn"]["Value"] == TABLE_ARN
    assert outputs["GsiName"]["Value"] == {"Ref": "GsiName"}
    assert outputs["ReadPolicyArn"]["Value"] == {"Ref": names.READ_POLICY_RESOURCE}
    assert outputs["ReadWritePolicyArn"]["Value"] == {"Ref": names.READ_WRITE_POLICY_RESOURCE}


def test_consumer_imports_from_the_named_stack(consumer: Template) -> None:
    assert consumer["Parameters"]["DatabaseStackName"]["Default"] == names.DEFAULT_STACK_NAME
    role = consumer["Resources"]["AppRole"]["Properties"]
    assert role["ManagedPolicyArns"] == [
        {"Fn::ImportValue": {"Fn::Sub": "${DatabaseStackName}-ReadWritePolicyArn"}}
    ]
    setting = consumer["Resources"]["TableNameSetting"]["Properties"]
    assert setting["Value"] == {"Fn::ImportValue": {"Fn::Sub": "${DatabaseStackName}-TableName"}}


def test_key_design_names_reach_the_template(database: Template) -> None:
    props = table_properties(database)
    assert props["TimeToLiveSpecification"]["AttributeName"] == kd.TTL_ATTRIBUTE
    assert {a["AttributeName"] for a in props["AttributeDefinitions"]} == set(kd.KEY_ATTRIBUTES)


def test_yaml_and_json_describe_the_same_template() -> None:
    files = rendered_files()
    for stem in ("database", "consumer"):
        from_yaml, _ = decode_str(files[f"{stem}.yaml"])
        assert json.loads(json.dumps(from_yaml)) == json.loads(files[f"{stem}.json"])


def test_building_twice_is_byte_identical() -> None:
    assert rendered_files() == rendered_files()


def test_committed_templates_equal_what_the_code_builds() -> None:
    assert build_template.main(["--check", "--out", str(TEMPLATES)]) == 0


def test_check_fails_after_a_hand_edit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "templates"
    assert build_template.main(["--out", str(out)]) == 0
    assert build_template.main(["--check", "--out", str(out)]) == 0
    edited = out / "database.yaml"
    edited.write_text(edited.read_text().replace("PAY_PER_REQUEST", "PROVISIONED"))
    assert build_template.main(["--check", "--out", str(out)]) == 1
    assert "database.yaml" in capsys.readouterr().err


def test_check_fails_when_a_template_is_missing(tmp_path: Path) -> None:
    shutil.copytree(TEMPLATES, tmp_path / "t")
    (tmp_path / "t" / "consumer.json").unlink()
    assert build_template.main(["--check", "--out", str(tmp_path / "t")]) == 1


# The cost and readiness parameters (kvtable/builders/throughput.py): at their defaults, the effective
# properties are those the templates had before them; each one given reaches its key.
CAPS = {
    "MaxReadRequestUnits": "400",
    "MaxWriteRequestUnits": "100",
    "GsiMaxReadRequestUnits": "200",
    "GsiMaxWriteRequestUnits": "50",
}
NEW_KEYS = {"OnDemandThroughput", "WarmThroughput", "RecoveryPeriodInDays", "Mode"}


def _keys(value: Any) -> set[str]:
    if isinstance(value, dict):
        return set(value).union(*(_keys(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_keys(v) for v in value))
    return set()


def _table_keys(stem: str, parameters: dict[str, str]) -> set[str]:
    return _keys(Resolver(built(stem), parameters).resource(names.TABLE_RESOURCE))


@pytest.mark.parametrize("stem", ["database", "global-database"])
def test_the_defaults_add_no_key_to_the_table(stem: str) -> None:
    keys = _table_keys(stem, {"ContributorInsights": "true"})
    assert keys & (NEW_KEYS | {"ReadOnDemandThroughputSettings", "WriteOnDemandThroughputSettings"}) == set()


def test_caps_warm_throughput_period_and_mode_reach_the_table_and_its_index(database: Template) -> None:
    given = {
        **CAPS,
        "WarmReadUnitsPerSecond": "15000",
        "RecoveryPeriodInDays": "7",
        "ContributorInsights": "true",
        "ContributorInsightsMode": "THROTTLED_KEYS",
    }
    props = Resolver(database, given).resource(names.TABLE_RESOURCE)
    assert props["OnDemandThroughput"] == {"MaxReadRequestUnits": "400", "MaxWriteRequestUnits": "100"}
    (gsi,) = props["GlobalSecondaryIndexes"]
    assert gsi["OnDemandThroughput"] == {"MaxReadRequestUnits": "200", "MaxWriteRequestUnits": "50"}
    # The other side of warm throughput is AWS's floor, which the table has anyway.
    assert props["WarmThroughput"] == {"ReadUnitsPerSecond": "15000", "WriteUnitsPerSecond": 4000}
    assert props["PointInTimeRecoverySpecification"] == {
        "PointInTimeRecoveryEnabled": True,
        "RecoveryPeriodInDays": "7",
    }
    assert props["ContributorInsightsSpecification"] == {"Enabled": True, "Mode": "THROTTLED_KEYS"}
    assert gsi["ContributorInsightsSpecification"] == {"Enabled": True, "Mode": "THROTTLED_KEYS"}


def test_one_cap_alone_leaves_the_other_out(database: Template) -> None:
    props = Resolver(database, {"MaxWriteRequestUnits": "10"}).resource(names.TABLE_RESOURCE)
    assert props["OnDemandThroughput"] == {"MaxWriteRequestUnits": "10"}
    assert "OnDemandThroughput" not in props["GlobalSecondaryIndexes"][0]


def test_a_global_table_caps_writes_on_the_table_and_reads_in_each_replica() -> None:
    given = {**CAPS, "ReplicaRegions": "us-east-1,eu-west-1", "RecoveryPeriodInDays": "7"}
    props = Resolver(built("global-database"), given).resource(names.TABLE_RESOURCE)
    assert props["WriteOnDemandThroughputSettings"] == {"MaxWriteRequestUnits": "100"}
    assert props["GlobalSecondaryIndexes"][0]["WriteOnDemandThroughputSettings"] == {
        "MaxWriteRequestUnits": "50"
    }
    for replica in props["Replicas"]:
        assert replica["ReadOnDemandThroughputSettings"] == {"MaxReadRequestUnits": "400"}
        assert replica["GlobalSecondaryIndexes"][0]["ReadOnDemandThroughputSettings"] == {
            "MaxReadRequestUnits": "200"
        }
        assert replica["PointInTimeRecoverySpecification"]["RecoveryPeriodInDays"] == "7"


@pytest.mark.parametrize(
    ("name", "accepted", "refused"),
    [
        ("MaxReadRequestUnits", ["", "1", "40000"], ["0", "-1", "01", "1.5"]),
        ("WarmReadUnitsPerSecond", ["", "12000", "12001", "20000", "100000"], ["11999", "4000", "0", "-1"]),
        ("WarmWriteUnitsPerSecond", ["", "4000", "4100", "10000"], ["3999", "1", "0"]),
    ],
)
def test_optional_units_refuse_what_aws_refuses(
    database: Template, name: str, accepted: list[str], refused: list[str]
) -> None:
    pattern = re.compile(database["Parameters"][name]["AllowedPattern"])
    assert [v for v in accepted if not pattern.fullmatch(v)] == []
    assert [v for v in refused if pattern.fullmatch(v)] == []


def test_recovery_period_and_mode_parameters(database: Template) -> None:
    period = database["Parameters"]["RecoveryPeriodInDays"]
    assert (period["Type"], period["Default"], period["MinValue"], period["MaxValue"]) == (
        "Number",
        "35",
        1,
        35,
    )
    mode = database["Parameters"]["ContributorInsightsMode"]
    assert mode["AllowedValues"] == ["ACCESSED_AND_THROTTLED_KEYS", "THROTTLED_KEYS"]
    assert mode["Default"] == "ACCESSED_AND_THROTTLED_KEYS"


def test_sse_enabled_is_visible_outside_any_condition(database: Template) -> None:
    # AWS Control Tower's CT.DYNAMODB.PR.2 reads SSEEnabled statically; an Fn::If around the
    # whole specification hides it.
    assert database["Resources"][names.TABLE_RESOURCE]["Properties"]["SSESpecification"]["SSEEnabled"] is True
