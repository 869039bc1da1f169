"""The global-table variant: its template, the plan's replica refusals, the region rule, the
policies per region (IAM simulator), and the home-region guard on DynamoDB Local.

moto 5.2.5 has no CloudFormation support for AWS::DynamoDB::GlobalTable and DynamoDB Local has
one region: what only AWS can show is listed in docs/operations.md.
"""

import io
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from mypy_boto3_cloudformation import CloudFormationClient
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.builders.table_definition import create_table_request
from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.console.errors import RefusedError, UsageError
from kvtable.contract.store import KvTable
from kvtable.deploy.aws_state import Clients
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from kvtable.deploy.plan import compute_plan, replica_steps
from kvtable.deploy.rules import check_rules
from kvtable.local.dynamodb_local import local_dynamodb_client
from kvtable.schema.errors import NotHomeRegionError
from kvtable.verify.verify import Verifier
from tests.iam.node import assert_verdicts
from tests.paths import REPO_ROOT
from tests.resolve import SAMPLE_ACCOUNT, Resolver

ROOT = REPO_ROOT
GLOBAL = json.loads((ROOT / "templates" / "global-database.json").read_text())
SINGLE = json.loads((ROOT / "templates" / "database.json").read_text())
THREE = "us-east-1,eu-west-1,ap-southeast-2"


def table(regions: str) -> dict[str, Any]:
    return Resolver(GLOBAL, {"ReplicaRegions": regions}).resource("KVStorageTable")


@pytest.mark.parametrize(
    "regions", ["us-east-1", THREE, "us-east-1,us-east-2,us-west-2,eu-west-1,eu-central-1"]
)
def test_one_replica_per_region_each_with_pitr_deletion_protection_and_its_own_resource_policy(
    regions: str,
) -> None:
    replicas = table(regions)["Replicas"]
    assert [r["Region"] for r in replicas] == regions.split(",")
    for replica in replicas:
        assert replica["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
        assert replica["DeletionProtectionEnabled"] is True
        statements = replica["ResourcePolicy"]["PolicyDocument"]["Statement"]
        arn = f"arn:aws:dynamodb:{replica['Region']}:{SAMPLE_ACCOUNT}:table/kv-storage-data"
        assert statements[1] == {
            "Action": ["dynamodb:DeleteTable"],
            "Effect": "Deny",
            "Principal": "*",
            "Resource": [arn],
            "Sid": "DenyDeleteTable",
        }


def test_the_global_table_keeps_the_designs_keys_billing_stream_ttl_and_retain() -> None:
    properties = table("us-east-1")
    resource = GLOBAL["Resources"]["KVStorageTable"]
    assert resource["Type"] == "AWS::DynamoDB::GlobalTable"
    assert (resource["DeletionPolicy"], resource["UpdateReplacePolicy"]) == ("Retain", "Retain")
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["StreamSpecification"] == {"StreamViewType": "NEW_AND_OLD_IMAGES"}
    assert properties["TimeToLiveSpecification"] == {"AttributeName": "ttl", "Enabled": True}
    assert properties["SSESpecification"] == {"SSEEnabled": True}
    single = Resolver(SINGLE).resource("KVStorageTable")
    assert properties["KeySchema"] == single["KeySchema"]
    assert properties["AttributeDefinitions"] == single["AttributeDefinitions"]


def test_the_same_exports_as_the_single_region_stack_plus_the_regions() -> None:
    def exports(template: dict[str, Any]) -> dict[str, Any]:
        return {name: o["Export"] for name, o in template["Outputs"].items() if "Export" in o}

    assert exports(GLOBAL) == exports(SINGLE)
    assert GLOBAL["Outputs"]["ReplicaRegions"]["Value"] == {"Fn::Join": [",", {"Ref": "ReplicaRegions"}]}


def test_the_stacks_own_region_must_be_a_replica() -> None:
    check_rules(GLOBAL, {"ReplicaRegions": THREE}, "eu-west-1", "KVDatabaseStack")
    with pytest.raises(UsageError, match="ReplicaRegions must include the region the stack is deployed in"):
        check_rules(GLOBAL, {"ReplicaRegions": "eu-west-1,ap-southeast-2"}, "us-east-1", "KVDatabaseStack")


def test_a_deploy_outside_the_replica_regions_is_refused_before_any_change(
    cf: CloudFormationClient, capsys: pytest.CaptureFixture[str]
) -> None:
    options = DeployOptions(
        stack_name="KVGlobal",
        template_path=ROOT / "templates" / "global-database.json",
        parameters={"ReplicaRegions": "eu-west-1"},
        poll_seconds=0,
    )
    with pytest.raises(UsageError, match="ReplicaRegions must include"):
        Deployer(cf, options, io.StringIO(), sleep=lambda _: None).run()
    assert cf.describe_stacks()["Stacks"] == []


def plan(before: dict[str, str], after: dict[str, str], edit: Any = None) -> list[str]:
    new = json.loads(json.dumps(GLOBAL))
    if edit:
        edit(new["Resources"]["KVStorageTable"]["Properties"])
    defaults = {"TableName": "kv-storage-data", "GsiName": "GSI1"}
    return compute_plan("KVGlobal", GLOBAL, {**defaults, **before}, new, {**defaults, **after}).all_refusals


def test_one_replica_added_or_removed_per_update() -> None:
    assert plan({"ReplicaRegions": "us-east-1"}, {"ReplicaRegions": "us-east-1,eu-west-1"}) == []
    assert plan({"ReplicaRegions": "us-east-1,eu-west-1"}, {"ReplicaRegions": "us-east-1"}) == []
    (refusal,) = plan({"ReplicaRegions": "us-east-1"}, {"ReplicaRegions": THREE})
    assert "adds or removes 2 replicas" in refusal
    assert "add ap-southeast-2; then add eu-west-1" in refusal
    assert "the same deploy with --stepwise added runs them one per update" in refusal


def test_billing_and_stream_changes_are_refused() -> None:
    def provisioned(props: dict[str, Any]) -> None:
        props["BillingMode"] = "PROVISIONED"

    def keys_only(props: dict[str, Any]) -> None:
        props["StreamSpecification"]["StreamViewType"] = "KEYS_ONLY"

    two = {"ReplicaRegions": "us-east-1,eu-west-1"}
    assert any("billing mode would change" in r for r in plan(two, two, provisioned))
    assert any(
        "stream would change while the table has more than one replica" in r
        for r in plan(two, two, keys_only)
    )
    one = {"ReplicaRegions": "us-east-1"}
    assert not any("stream" in r for r in plan(one, one, keys_only))


@pytest.mark.node
def test_the_policies_allow_every_replica_region_and_no_other(capsys: pytest.CaptureFixture[str]) -> None:
    reader = Resolver(GLOBAL, {"ReplicaRegions": "us-east-1,eu-west-1"}).policy_documents()["ReadPolicy"]
    arn = f"arn:aws:dynamodb:{{}}:{SAMPLE_ACCOUNT}:table/kv-storage-data"
    rows = [
        ("dynamodb:GetItem", arn.format("us-east-1"), "Allowed"),
        ("dynamodb:GetItem", arn.format("eu-west-1"), "Allowed"),
        ("dynamodb:Query", arn.format("eu-west-1") + "/index/GSI1", "Allowed"),
        ("dynamodb:GetItem", arn.format("ap-southeast-2"), "ImplicitlyDenied"),
        ("dynamodb:Query", arn.format("us-west-2") + "/index/GSI1", "ImplicitlyDenied"),
        ("dynamodb:PutItem", arn.format("eu-west-1"), "ImplicitlyDenied"),
    ]
    requests = [
        {"policy": reader, "action": a, "resource": r, "context": {"aws:SecureTransport": "true"}}
        for a, r, _ in rows
    ]
    cases = [(f"{a:<18} {r.split(':')[3]}", expected) for a, r, expected in rows]
    assert_verdicts(capsys, "global read policy, replicas us-east-1 and eu-west-1", requests, cases)


def test_creations_outside_the_home_region_are_refused(dynamodb_endpoint: Any, table_name: str) -> None:
    home = KvTable(
        local_dynamodb_client(dynamodb_endpoint.url, "us-east-1"), table_name, home_region="us-east-1"
    )
    away_client: DynamoDBClient = local_dynamodb_client(dynamodb_endpoint.url, "eu-west-1")
    away = KvTable(away_client, table_name, home_region="us-east-1")
    with pytest.raises(
        NotHomeRegionError, match="only in the home region us-east-1, and this client is in eu-west-1"
    ):
        away.create_user("u1", "u1@example.com", "key-one")
    assert away_client.scan(TableName=table_name)["Count"] == 0
    home.create_user("u1", "u1@example.com", "key-one")
    home.create_namespace("u1", "ns1")
    with pytest.raises(NotHomeRegionError):
        away.create_namespace("u1", "ns2")
    with pytest.raises(NotHomeRegionError):
        away.rotate_api_key("u1", "key-two")
    # Everything else works in any region.
    away.put_key("ns1", "k", {"v": 1})
    assert away.get_key("ns1", "k")["value"] == {"v": 1}
    assert away.get_user_by_api_key("key-one")["PK"] == "USER#u1"


def regional_clients(endpoint: str, region: str) -> Clients:
    def client(service: str) -> Any:
        return boto3.client(service, endpoint_url=endpoint, region_name=region)  # type: ignore[call-overload]

    return Clients(
        cloudformation=client("cloudformation"),
        dynamodb=client("dynamodb"),
        iam=client("iam"),
        kms=client("kms"),
        cloudwatch=client("cloudwatch"),
        for_region=lambda other: regional_clients(endpoint, other),
    )


def test_verify_checks_every_replica_in_its_own_region(aws_endpoint: str) -> None:
    # moto has no global tables, but it has DynamoDB in every region: a table of the same name in
    # each region stands for the replicas, each set up as the template promises.
    regions = "us-east-1,eu-west-1"
    context = StackContext(SAMPLE_ACCOUNT, "us-east-1", "KVGlobal", {"ReplicaRegions": regions})
    evaluator = TemplateEvaluator(GLOBAL, context)
    replicas = evaluator.resource_properties("KVStorageTable")["Replicas"]
    for replica in replicas:
        ddb = boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name=replica["Region"])
        ddb.create_table(**create_table_request())
        ddb.update_continuous_backups(
            TableName="kv-storage-data", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
        )
        ddb.update_time_to_live(
            TableName="kv-storage-data", TimeToLiveSpecification={"Enabled": True, "AttributeName": "ttl"}
        )
        ddb.update_table(TableName="kv-storage-data", SSESpecification={"Enabled": True, "SSEType": "KMS"})
        arn = ddb.describe_table(TableName="kv-storage-data")["Table"]["TableArn"]
        ddb.put_resource_policy(
            ResourceArn=arn, Policy=json.dumps(replica["ResourcePolicy"]["PolicyDocument"])
        )
    verifier = Verifier(regional_clients(aws_endpoint, "us-east-1"), "KVGlobal", GLOBAL)
    verifier.replica_checks(evaluator, "KVStorageTable", "kv-storage-data", {})
    names = {c.name for c in verifier.checks}
    assert {
        "replica.us-east-1.table.pitr",
        "replica.eu-west-1.table.pitr",
        "replica.eu-west-1.table.resource_policy",
    } <= names
    assert [c.name for c in verifier.checks if c.status != "ok"] == []

    boto3.client("dynamodb", endpoint_url=aws_endpoint, region_name="eu-west-1").update_continuous_backups(
        TableName="kv-storage-data", PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False}
    )
    again = Verifier(regional_clients(aws_endpoint, "us-east-1"), "KVGlobal", GLOBAL)
    again.replica_checks(evaluator, "KVStorageTable", "kv-storage-data", {})
    assert [c.name for c in again.checks if c.status != "ok"] == ["replica.eu-west-1.table.pitr"]


def test_replica_changes_step_one_region_at_a_time_removals_first() -> None:
    assert replica_steps(["us-east-1"], ["us-east-1", "eu-west-1", "ap-southeast-2"]) == [
        ["us-east-1", "eu-west-1"],
        ["us-east-1", "eu-west-1", "ap-southeast-2"],
    ]
    assert replica_steps(["us-east-1", "eu-west-1"], ["us-east-1", "ap-southeast-2"]) == [
        ["us-east-1"],
        ["us-east-1", "ap-southeast-2"],
    ]


def test_stepwise_plans_one_replica_per_update_on_an_aws_shaped_stack() -> None:
    cf = boto3.client(
        "cloudformation", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    body = (ROOT / "templates" / "global-database.json").read_text()
    deployed = {"TableName": "kv-storage-data", "GsiName": "GSI1", "ReplicaRegions": "us-east-1"}
    parameters = [{"ParameterKey": k, "ParameterValue": v} for k, v in deployed.items()]
    parameters += [
        {"ParameterKey": k, "ParameterValue": str(spec.get("Default", ""))}
        for k, spec in GLOBAL["Parameters"].items()
        if k not in deployed
    ]
    stack = {
        "StackName": "KVGlobal",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/KVGlobal/1",
        "CreationTime": datetime(2026, 11, 26, tzinfo=UTC),
        "StackStatus": "UPDATE_COMPLETE",
        "Parameters": parameters,
    }
    out = io.StringIO()
    options = DeployOptions(
        stack_name="KVGlobal",
        template_path=ROOT / "templates" / "global-database.json",
        parameters={"ReplicaRegions": THREE},
        plan_only=True,
        stepwise=True,
    )
    with Stubber(cf) as stub:
        stub.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": "KVGlobal"})
        stub.add_response(
            "get_template", {"TemplateBody": body}, {"StackName": "KVGlobal", "TemplateStage": "Original"}
        )
        Deployer(cf, options, out, sleep=lambda _: None).run()
    report = out.getvalue()
    assert "Stepwise: 2 updates, one replica change each (removals first):" in report
    assert "  step 1 of 2: replicas in us-east-1, eu-west-1" in report
    assert "  step 2 of 2: replicas in us-east-1, eu-west-1, ap-southeast-2" in report
    options_without = DeployOptions(**{**options.__dict__, "stepwise": False})
    with Stubber(cf) as stub:
        stub.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": "KVGlobal"})
        stub.add_response(
            "get_template", {"TemplateBody": body}, {"StackName": "KVGlobal", "TemplateStage": "Original"}
        )
        with pytest.raises(
            RefusedError, match="the same deploy with --stepwise added runs them one per update"
        ):
            Deployer(cf, options_without, io.StringIO(), sleep=lambda _: None).run()
