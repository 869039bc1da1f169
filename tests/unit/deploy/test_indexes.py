"""Waiting for a table's indexes after an update: what is still pending, and DescribeTable polled
(botocore's Stubber, AWS's documented TableDescription) until the indexes settle or cannot."""

import io
from typing import Any

import pytest
from botocore.stub import Stubber

from kvtable.console.errors import ToolError
from kvtable.deploy.indexes import IndexWaiter, index_states
from kvtable.deploy.polling import TABLE_WAIT_SECONDS
from tests.aws_shapes import described_table, offline_dynamodb
from tests.unit.deploy.fake_time import SteppedClock

TABLE = "kv-storage-data"


def table(*indexes: tuple[str, str, bool]) -> dict[str, Any]:
    return dict(described_table(TABLE, indexes=list(indexes))["Table"])


def test_settled_indexes_have_nothing_pending() -> None:
    assert index_states(table(("GSI1", "ACTIVE", False), ("GSI2", "ACTIVE", False)), ["GSI1", "GSI2"]) == []


def test_each_unsettled_index_is_one_phrase_in_name_order() -> None:
    live = table(("GSI3", "DELETING", False), ("GSI2", "ACTIVE", True), ("GSI1", "CREATING", False))
    assert index_states(live, ["GSI1", "GSI2", "GSI4"]) == [
        "GSI1 CREATING",
        "GSI2 ACTIVE, backfilling",
        "GSI3 DELETING (being deleted)",
        "GSI4 not there yet",
    ]


def waiter(
    stub_answers: list[dict[str, Any]], clock: SteppedClock, out: io.StringIO, poll_seconds: float = 15.0
) -> tuple[Any, Stubber]:
    client = offline_dynamodb()
    stub = Stubber(client)
    for answer in stub_answers:
        stub.add_response("describe_table", answer, {"TableName": TABLE})
    return IndexWaiter(client, out, poll_seconds, clock.sleep, clock), stub


def test_the_wait_follows_a_backfill_to_the_end_and_says_how_long_it_took() -> None:
    clock, out = SteppedClock(), io.StringIO()
    answers = [
        described_table(TABLE, indexes=[("GSI1", "ACTIVE", False), ("GSI2", "CREATING", False)]),
        described_table(TABLE, indexes=[("GSI1", "ACTIVE", False), ("GSI2", "CREATING", True)]),
        described_table(TABLE, indexes=[("GSI1", "ACTIVE", False), ("GSI2", "ACTIVE", False)]),
    ]
    index_waiter, stub = waiter(answers, clock, out)
    with stub:
        index_waiter.wait(TABLE, ["GSI1", "GSI2"], "step 2 of 2")
        stub.assert_no_pending_responses()
    assert out.getvalue() == (
        "  step 2 of 2: waiting for GSI2 CREATING (0m00s elapsed)\n"
        "  step 2 of 2: waiting for GSI2 CREATING, backfilling (0m15s elapsed)\n"
        "  step 2 of 2: indexes settled (GSI1, GSI2) after 0m30s\n"
    )


def test_an_index_that_vanishes_while_being_created_failed_its_backfill() -> None:
    clock, out = SteppedClock(), io.StringIO()
    answers = [
        described_table(TABLE, indexes=[("GSI1", "ACTIVE", False), ("GSI2", "CREATING", True)]),
        described_table(TABLE, indexes=[("GSI1", "ACTIVE", False)]),
    ]
    index_waiter, stub = waiter(answers, clock, out)
    with stub, pytest.raises(ToolError) as error:
        index_waiter.wait(TABLE, ["GSI1", "GSI2"], "deploy")
    assert str(error.value) == (
        "deploy: index GSI2 disappeared while being created (its backfill failed); see the table and the "
        "stack's events, then deploy again"
    )


def test_a_table_being_deleted_stops_the_wait() -> None:
    index_waiter, stub = waiter([described_table(TABLE, "DELETING")], SteppedClock(), io.StringIO())
    with (
        stub,
        pytest.raises(
            ToolError, match=r"^deploy: table kv-storage-data is DELETING while its indexes change$"
        ),
    ):
        index_waiter.wait(TABLE, ["GSI1"], "deploy")


def test_a_day_without_settling_tells_to_run_the_deploy_again() -> None:
    clock = SteppedClock()
    pending = described_table(TABLE, indexes=[("GSI2", "CREATING", True)])
    # Polled hourly: the looks at 0h..24h find it pending, the one past the day gives up.
    polls = int(TABLE_WAIT_SECONDS / 3600) + 2
    index_waiter, stub = waiter([pending] * polls, clock, io.StringIO(), poll_seconds=3600)
    with stub, pytest.raises(ToolError) as error:
        index_waiter.wait(TABLE, ["GSI2"], "deploy")
        stub.assert_no_pending_responses()
    assert str(error.value) == (
        "deploy: indexes of kv-storage-data did not settle in 24h00m00s; run the same deploy again to keep waiting"
    )
    assert clock.now == TABLE_WAIT_SECONDS + 3600
