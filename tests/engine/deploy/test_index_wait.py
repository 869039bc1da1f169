"""Waiting for index backfills, driven by DescribeTable answers in AWS's shape.

moto does not apply stack updates to its table, so it can never show an index CREATING and
backfilling; botocore's Stubber gives those answers here and checks each request and
response against DynamoDB's service model.
"""

import io
import json
from pathlib import Path
from typing import Any

from botocore.stub import Stubber
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from tests.paths import REPO_ROOT
from tests.shipped import with_shipped_template
from tests.unit.deploy.test_index_wait import dynamodb, table

ROOT = REPO_ROOT


def add_gsi2(tmp_path: Path) -> Path:
    template = json.loads((ROOT / "templates" / "database.json").read_text())
    props = template["Resources"]["KVStorageTable"]["Properties"]
    props["AttributeDefinitions"].append({"AttributeName": "GSI2PK", "AttributeType": "S"})
    props["GlobalSecondaryIndexes"].append(
        {
            "IndexName": "GSI2",
            "KeySchema": [{"AttributeName": "GSI2PK", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "ALL"},
        }
    )
    path = tmp_path / "with-gsi2.json"
    path.write_text(json.dumps(template))
    return path


def run_deploy(cf: CloudFormationClient, client: Any, **options: Any) -> str:
    out = io.StringIO()
    settings = {"stack_name": "KVDatabaseStack", "poll_seconds": 0.0, "index_poll_seconds": 0.0, **options}
    Deployer(
        cf, DeployOptions(**with_shipped_template(settings)), out, sleep=lambda _: None, dynamodb=client
    ).run()
    return out.getvalue()


def test_a_plain_deploy_that_adds_an_index_waits_for_its_backfill(
    cf: CloudFormationClient, tmp_path: Path
) -> None:
    client = dynamodb()
    with Stubber(client) as stub:
        # The first create: the table's name is free, and the table comes with its index (no wait).
        stub.add_client_error(
            "describe_table", "ResourceNotFoundException", "Requested resource not found", 400
        )
        run_deploy(cf, client)
        stub.add_response("describe_table", table(("GSI1", "ACTIVE", False), ("GSI2", "CREATING", True)))
        stub.add_response("describe_table", table(("GSI1", "ACTIVE", False), ("GSI2", "ACTIVE", False)))
        report = run_deploy(cf, client, template_path=add_gsi2(tmp_path))
        stub.assert_no_pending_responses()
    assert "  deploy: waiting for GSI2 CREATING, backfilling" in report
    assert "  deploy: indexes settled (GSI1, GSI2)" in report


def test_no_wait_for_backfill_makes_no_describe_table_call(cf: CloudFormationClient, tmp_path: Path) -> None:
    client = dynamodb()
    with Stubber(client) as stub:  # any DescribeTable call but the first create's would fail
        stub.add_client_error(
            "describe_table", "ResourceNotFoundException", "Requested resource not found", 400
        )
        run_deploy(cf, client)
        report = run_deploy(cf, client, template_path=add_gsi2(tmp_path), wait_for_backfill=False)
    assert "UPDATE_COMPLETE" in report
    assert "waiting for" not in report
