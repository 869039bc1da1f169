"""Waiting for index backfills, driven by DescribeTable answers in AWS's shape.

moto does not apply stack updates to its table, so it can never show an index CREATING and
backfilling; botocore's Stubber gives those answers here and checks each request and
response against DynamoDB's service model.
"""

import io
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from kvtable.console.errors import ToolError
from kvtable.deploy.indexes import IndexWaiter
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
