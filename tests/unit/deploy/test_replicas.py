"""Waiting for a global table's replicas (DescribeTable through botocore's Stubber, AWS's documented
ReplicaDescription): ACTIVE in exactly the regions asked, removals included, and failures said."""

import io
from typing import Any

import pytest
from botocore.stub import Stubber

from kvtable.console.errors import ToolError
from kvtable.deploy.replicas import ReplicaWaiter
from tests.aws_shapes import described_table, offline_dynamodb
from tests.unit.deploy.fake_time import SteppedClock

TABLE = "kv-storage-data"


def wait(answers: list[dict[str, Any]], regions: list[str]) -> tuple[str, SteppedClock]:
    client, clock, out = offline_dynamodb(), SteppedClock(), io.StringIO()
    with Stubber(client) as stub:
        for answer in answers:
            stub.add_response("describe_table", answer, {"TableName": TABLE})
        ReplicaWaiter(client, out, 15.0, clock.sleep, clock).wait(TABLE, regions, "step 1 of 2")
        stub.assert_no_pending_responses()
    return out.getvalue(), clock


def test_a_new_replica_is_waited_for_until_active() -> None:
    report, clock = wait(
        [
            described_table(TABLE, replicas={"us-east-1": "ACTIVE", "eu-west-1": "CREATING"}),
            described_table(TABLE, replicas={"us-east-1": "ACTIVE", "eu-west-1": "ACTIVE"}),
        ],
        ["us-east-1", "eu-west-1"],
    )
    assert report == (
        "  step 1 of 2: waiting for eu-west-1 CREATING (0m00s elapsed)\n"
        "  step 1 of 2: replicas ACTIVE in eu-west-1, us-east-1 after 0m15s\n"
    )
    assert clock.slept == [15.0]


def test_a_removed_replica_is_waited_for_until_gone() -> None:
    report, _ = wait(
        [
            described_table(TABLE, replicas={"us-east-1": "ACTIVE", "eu-west-1": "DELETING"}),
            described_table(TABLE, replicas={"us-east-1": "ACTIVE"}),
        ],
        ["us-east-1"],
    )
    assert "waiting for eu-west-1 DELETING (being removed)" in report
    assert report.endswith("replicas ACTIVE in us-east-1 after 0m15s\n")


def test_a_table_that_is_not_global_is_its_one_region() -> None:
    report, clock = wait([described_table(TABLE)], ["us-east-1"])
    assert report == "  step 1 of 2: replicas ACTIVE in us-east-1 after 0m00s\n"
    assert clock.slept == []


def test_a_replica_that_failed_stops_the_wait_naming_it() -> None:
    failed = described_table(TABLE, replicas={"us-east-1": "ACTIVE", "eu-west-1": "CREATION_FAILED"})
    with pytest.raises(ToolError) as error:
        wait([failed], ["us-east-1", "eu-west-1"])
    assert str(error.value) == "step 1 of 2: replica eu-west-1 is CREATION_FAILED"


def test_a_table_not_yet_global_is_waited_for_when_more_regions_are_asked() -> None:
    report, clock = wait(
        [
            described_table(TABLE),
            described_table(TABLE, replicas={"us-east-1": "ACTIVE", "eu-west-1": "ACTIVE"}),
        ],
        ["us-east-1", "eu-west-1"],
    )
    assert report.splitlines()[0] == (
        "  step 1 of 2: waiting for eu-west-1 not there yet; us-east-1 not there yet (0m00s elapsed)"
    )
    assert clock.slept == [15.0]
