"""Waiting for index backfills, driven by DescribeTable answers in AWS's shape.

moto does not apply stack updates to its table, so it can never show an index CREATING and
backfilling; botocore's Stubber gives those answers here and checks each request and
response against DynamoDB's service model.
"""

import io
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.console.errors import ToolError
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.indexes import IndexWaiter
from kvtable.deploy.options import DeployOptions
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
TABLE = "kv-storage-data"


def table(*indexes: tuple[str, str, bool], status: str = "ACTIVE") -> dict[str, Any]:
    """A DescribeTable answer: the table's status and each (index, status, backfilling)."""
    described: dict[str, Any] = {"TableName": TABLE, "TableStatus": status}
    if indexes:
        described["GlobalSecondaryIndexes"] = [
            {
                "IndexName": name,
                "IndexStatus": index_status,
                **({"Backfilling": True} if backfilling else {}),
                "KeySchema": [{"AttributeName": f"{name}PK", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for name, index_status, backfilling in indexes
        ]
    return {"Table": described}


def dynamodb() -> Any:
    return boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def wait(answers: list[dict[str, Any]], expected: set[str], poll_seconds: float = 30) -> str:
    client = dynamodb()
    out = io.StringIO()
    with Stubber(client) as stub:
        for answer in answers:
            stub.add_response("describe_table", answer, {"TableName": TABLE})
        now = [0.0]  # time passes only while the waiter sleeps, `poll_seconds` a poll

        def sleep(seconds: float) -> None:
            now[0] += seconds

        IndexWaiter(client, out, poll_seconds=poll_seconds, sleep=sleep, clock=lambda: now[0]).wait(
            TABLE, expected, "step 2 of 4"
        )
        stub.assert_no_pending_responses()
    return out.getvalue()


def test_a_new_index_is_waited_for_until_active_and_backfilled() -> None:
    out = wait(
        [
            table(("GSI1", "ACTIVE", False)),
            table(("GSI1", "ACTIVE", False), ("GSI2", "CREATING", True)),
            table(("GSI1", "ACTIVE", False), ("GSI2", "CREATING", False)),
            table(("GSI1", "ACTIVE", False), ("GSI2", "ACTIVE", False)),
        ],
        {"GSI1", "GSI2"},
    )
    assert out.splitlines() == [
        "  step 2 of 4: waiting for GSI2 not there yet (0m00s elapsed)",
        "  step 2 of 4: waiting for GSI2 CREATING, backfilling (0m30s elapsed)",
        "  step 2 of 4: waiting for GSI2 CREATING (1m00s elapsed)",
        "  step 2 of 4: indexes settled (GSI1, GSI2) after 1m30s",
    ]


def test_a_deleted_index_is_waited_for_until_gone() -> None:
    out = wait([table(("GSI1", "DELETING", False)), table()], set())
    assert out.splitlines() == [
        "  step 2 of 4: waiting for GSI1 DELETING (being deleted) (0m00s elapsed)",
        "  step 2 of 4: indexes settled (none) after 0m30s",
    ]


def test_an_index_whose_backfill_failed_is_an_error() -> None:
    with pytest.raises(
        ToolError, match=r"index GSI2 disappeared while being created \(its backfill failed\)"
    ):
        wait([table(("GSI2", "CREATING", True)), table()], {"GSI2"})


def test_a_table_that_becomes_unusable_is_an_error() -> None:
    with pytest.raises(ToolError, match="table kv-storage-data is INACCESSIBLE_ENCRYPTION_CREDENTIALS"):
        wait([table(status="INACCESSIBLE_ENCRYPTION_CREDENTIALS")], {"GSI1"})


def test_indexes_that_never_settle_stop_the_wait_after_a_day() -> None:
    backfilling = table(("GSI1", "ACTIVE", False), ("GSI2", "CREATING", True))
    # Polled every 6 h from 0 h: the look at 30 h is the first past 24 h.
    with pytest.raises(ToolError) as error:
        wait([backfilling] * 6, {"GSI1", "GSI2"}, poll_seconds=6 * 3600)
    assert str(error.value) == (
        "step 2 of 4: indexes of kv-storage-data did not settle in 24h00m00s; "
        "run the same deploy again to keep waiting"
    )


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
    Deployer(cf, DeployOptions(**settings), out, sleep=lambda _: None, dynamodb=client).run()
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
