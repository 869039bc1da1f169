"""The global-table variant, offline: its template, the plan's replica refusals and the region rule.
The policies per region (IAM simulator) and the home-region guard on DynamoDB Local are in
tests/engine/builders/test_global_table.py."""

import io
import json
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from kvtable.console.errors import RefusedError, UsageError
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from kvtable.deploy.plan import compute_plan, replica_steps
from kvtable.deploy.rules import check_rules
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
