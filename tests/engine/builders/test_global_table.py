"""The global-table variant: its template, the plan's replica refusals, the region rule, the
policies per region (IAM simulator), and the home-region guard on DynamoDB Local.

moto 5.2.5 has no CloudFormation support for AWS::DynamoDB::GlobalTable and DynamoDB Local has
one region: what only AWS can show is listed in docs/operations.md.
"""

import io
import json
from typing import Any

import boto3
import pytest
from mypy_boto3_cloudformation import CloudFormationClient
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.builders.table_definition import create_table_request
from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.console.errors import UsageError
from kvtable.contract.store import KvTable
from kvtable.deploy.aws_state import Clients
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from kvtable.local.dynamodb_local import local_dynamodb_client
from kvtable.schema.errors import NotHomeRegionError
from kvtable.verify.verify import Verifier
from tests.iam.node import TLS, Row, assert_identity_verdicts
from tests.paths import REPO_ROOT
from tests.resolve import SAMPLE_ACCOUNT, Resolver
from tests.unit.builders.test_global_table import GLOBAL

ROOT = REPO_ROOT


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


@pytest.mark.node
def test_the_policies_allow_every_replica_region_and_no_other(capsys: pytest.CaptureFixture[str]) -> None:
    reader = Resolver(GLOBAL, {"ReplicaRegions": "us-east-1,eu-west-1"}).policy_documents()["ReadPolicy"]
    arn = f"arn:aws:dynamodb:{{}}:{SAMPLE_ACCOUNT}:table/kv-storage-data"
    rows: list[Row] = [
        ("dynamodb:GetItem", arn.format("us-east-1"), TLS, "Allowed"),
        ("dynamodb:GetItem", arn.format("eu-west-1"), TLS, "Allowed"),
        ("dynamodb:Query", arn.format("eu-west-1") + "/index/GSI1", TLS, "Allowed"),
        ("dynamodb:GetItem", arn.format("ap-southeast-2"), TLS, "ImplicitlyDenied"),
        ("dynamodb:Query", arn.format("us-west-2") + "/index/GSI1", TLS, "ImplicitlyDenied"),
        ("dynamodb:PutItem", arn.format("eu-west-1"), TLS, "ImplicitlyDenied"),
    ]
    assert_identity_verdicts(
        capsys,
        "global read policy, replicas us-east-1 and eu-west-1",
        reader,
        rows,
        lambda a, r, _: f"{a:<18} {r.split(':')[3]}",
    )


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
