"""Every wait's deadline, run out on a fake clock that moves only when the wait sleeps.

The deploy injects both `sleep` and `clock`, so a deadline of hours is reached in a few polls of
AWS-shaped answers (botocore's Stubber), with no real waiting.
"""

import io
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber
from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.builders.render import load_built_template
from kvtable.console.errors import ToolError
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from kvtable.deploy.polling import Poller
from kvtable.deploy.replicas import ReplicaWaiter
from tests.aws_shapes import STACK, STACK_ID, WHEN, offline_cloudformation, stack_event
from tests.shipped import shipped

CHANGE_SET_ARN = f"arn:aws:cloudformation:us-east-1:123456789012:changeSet/kvtable-20261126-000000/{STACK}"
STACK_TYPE = "AWS::CloudFormation::Stack"


@dataclass
class FakeTime:
    """A monotonic clock that moves only when the code under test sleeps."""

    now: float = 1000.0
    slept: list[float] = field(default_factory=list)

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds

    def clock(self) -> float:
        return self.now


def change_set(status: str) -> dict[str, Any]:
    """A DescribeChangeSet answer for a first create of the stack, in `status`."""
    return {
        "ChangeSetName": "kvtable-20261126-000000",
        "ChangeSetId": CHANGE_SET_ARN,
        "StackId": STACK_ID,
        "StackName": STACK,
        "CreationTime": WHEN,
        "ExecutionStatus": "AVAILABLE" if status == "CREATE_COMPLETE" else "UNAVAILABLE",
        "Status": status,
        "Changes": [],
    }


def stack(status: str) -> dict[str, Any]:
    """A DescribeStacks answer for the test stack in `status`."""
    return {
        "Stacks": [{"StackName": STACK, "StackId": STACK_ID, "CreationTime": WHEN, "StackStatus": status}]
    }


def deploy_until_error(cf: CloudFormationClient, time: FakeTime, poll_seconds: float) -> tuple[str, str]:
    """Run a deploy on the stubbed client and fake time; return the error it stops with and its report."""
    out = io.StringIO()
    options = DeployOptions(stack_name=STACK, poll_seconds=poll_seconds, template=shipped())
    with pytest.raises(ToolError) as error:
        Deployer(cf, options, out, sleep=time.sleep, clock=time.clock).run()
    return str(error.value), out.getvalue()


def first_create(stub: Stubber) -> None:
    """No stack yet, and the CREATE change set the deploy asks for."""
    stub.add_client_error(
        "describe_stacks",
        "ValidationError",
        f"Stack with id {STACK} does not exist",
        expected_params={"StackName": STACK},
    )
    request = {"StackName": STACK, "ChangeSetName": ANY, "TemplateBody": ANY, "ChangeSetType": "CREATE"}
    request |= {"Parameters": ANY, "Capabilities": ["CAPABILITY_IAM"], "Description": "kvtable deploy"}
    stub.add_response("create_change_set", {"Id": CHANGE_SET_ARN, "StackId": STACK_ID}, request)


def test_a_change_set_never_ready_stops_after_ten_minutes_and_is_discarded() -> None:
    cf, time = offline_cloudformation(), FakeTime()
    with Stubber(cf) as stub:
        first_create(stub)
        # Polled every 10 s from 0 s: the look at 610 s is the first past the deadline.
        for _ in range(62):
            stub.add_response(
                "describe_change_set", change_set("CREATE_IN_PROGRESS"), {"ChangeSetName": CHANGE_SET_ARN}
            )
        stub.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET_ARN})
        stub.add_response("delete_stack", {}, {"StackName": STACK})
        message, _ = deploy_until_error(cf, time, poll_seconds=10)
        stub.assert_no_pending_responses()
    assert message == f"change set {CHANGE_SET_ARN} was not ready after 600s"
    assert time.now == 1000.0 + 610


def test_a_stack_that_never_settles_stops_after_three_hours() -> None:
    cf, time = offline_cloudformation(), FakeTime()
    review = stack_event(1, STACK, STACK_TYPE, "REVIEW_IN_PROGRESS", "User Initiated")
    creating = stack_event(2, STACK, STACK_TYPE, "CREATE_IN_PROGRESS", "User Initiated")
    with Stubber(cf) as stub:
        first_create(stub)
        stub.add_response(
            "describe_change_set", change_set("CREATE_COMPLETE"), {"ChangeSetName": CHANGE_SET_ARN}
        )
        stub.add_response("describe_stack_events", {"StackEvents": [review]}, {"StackName": STACK})
        stub.add_response("execute_change_set", {}, {"ChangeSetName": CHANGE_SET_ARN})
        # Polled every hour from 0 h: the stack starts creating, then nothing new until 4 h, past 3 h.
        for _ in range(5):
            stub.add_response(
                "describe_stack_events", {"StackEvents": [creating, review]}, {"StackName": STACK}
            )
        message, report = deploy_until_error(cf, time, poll_seconds=3600)
        stub.assert_no_pending_responses()
    assert message == f"stack {STACK} did not settle in 10800s"
    assert report.count("CREATE_IN_PROGRESS") == 1
    assert time.slept == [3600] * 4


def test_an_empty_stack_that_is_never_deleted_stops_after_ten_minutes() -> None:
    cf, time = offline_cloudformation(), FakeTime()
    with Stubber(cf) as stub:
        # Every parameter at its default, as the failed first create left them.
        failed = stack("ROLLBACK_COMPLETE")
        failed["Stacks"][0]["Parameters"] = [
            {"ParameterKey": name, "ParameterValue": str(spec.get("Default", ""))}
            for name, spec in load_built_template()[1]["Parameters"].items()
        ]
        stub.add_response("describe_stacks", failed, {"StackName": STACK})
        stub.add_response("list_stack_resources", {"StackResourceSummaries": []}, {"StackName": STACK})
        stub.add_response("delete_stack", {}, {"StackName": STACK_ID})
        # Polled every minute from 0 s: the look at 660 s is the first past the deadline.
        for _ in range(12):
            stub.add_response("describe_stacks", stack("DELETE_IN_PROGRESS"), {"StackName": STACK_ID})
        message, report = deploy_until_error(cf, time, poll_seconds=60)
        stub.assert_no_pending_responses()
    assert message == f"could not delete the empty stack {STACK} (DELETE_IN_PROGRESS); delete it by hand"
    assert (
        f"stack {STACK} is ROLLBACK_COMPLETE after a failed first create and holds nothing: deleting it"
        in report
    )
    assert time.now == 1000.0 + 660


def test_replicas_that_never_settle_stop_after_a_day() -> None:
    dynamodb = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x"
    )
    time, out = FakeTime(), io.StringIO()
    creating = {
        "Table": {
            "TableName": "kv-storage-data",
            "TableStatus": "ACTIVE",
            "Replicas": [
                {"RegionName": "eu-west-1", "ReplicaStatus": "CREATING"},
                {"RegionName": "us-east-1", "ReplicaStatus": "ACTIVE"},
            ],
        }
    }
    with Stubber(dynamodb) as stub:
        # Polled every 8 h from 0 h: the look at 32 h is the first past 24 h.
        for _ in range(5):
            stub.add_response("describe_table", creating, {"TableName": "kv-storage-data"})
        waiter = ReplicaWaiter(dynamodb, out, poll_seconds=8 * 3600, sleep=time.sleep, clock=time.clock)
        with pytest.raises(ToolError) as error:
            waiter.wait("kv-storage-data", ["us-east-1", "eu-west-1"], "replica eu-west-1")
        stub.assert_no_pending_responses()
    assert (
        str(error.value)
        == "replica eu-west-1: replicas did not settle; run the same command again to keep waiting"
    )
    assert (
        out.getvalue().splitlines()[-1]
        == "  replica eu-west-1: waiting for eu-west-1 CREATING (32h00m00s elapsed)"
    )


def test_the_poller_looks_until_nothing_is_pending_and_says_how_long_that_took() -> None:
    time, out = FakeTime(), io.StringIO()
    looks = iter([["GSI2 CREATING, backfilling"], ["GSI2 CREATING, backfilling"], ["GSI2 CREATING"], []])
    elapsed = Poller(out, 30, time.sleep, time.clock).until_settled(
        lambda: next(looks), "step 1 of 2", 3600, "-"
    )
    assert elapsed == 90
    assert time.slept == [30, 30, 30]
    # A line when the state changes, not every poll.
    assert out.getvalue().splitlines() == [
        "  step 1 of 2: waiting for GSI2 CREATING, backfilling (0m00s elapsed)",
        "  step 1 of 2: waiting for GSI2 CREATING (1m00s elapsed)",
    ]


def test_the_poller_stops_past_its_limit_with_the_callers_message() -> None:
    time, out = FakeTime(), io.StringIO()
    seen: list[float] = []

    def look() -> list[str]:
        seen.append(time.clock())
        return ["eu-west-1 CREATING"]

    with pytest.raises(ToolError, match=r"^replicas did not settle$"):
        Poller(out, 600, time.sleep, time.clock).until_settled(
            look, "replica", 1800, "replicas did not settle"
        )
    # Looks at 0, 10, 20 and 30 minutes (at the limit, not past it), then at 40, past it.
    assert seen == [1000.0 + 600 * n for n in range(5)]
    assert out.getvalue().splitlines()[-1] == "  replica: waiting for eu-west-1 CREATING (40m00s elapsed)"


def test_a_look_that_raises_ends_the_wait_at_once() -> None:
    time = FakeTime()

    def look() -> list[str]:
        raise ToolError("table kv-storage-data is ARCHIVED")

    with pytest.raises(ToolError, match="is ARCHIVED"):
        Poller(io.StringIO(), 30, time.sleep, time.clock).until_settled(look, "step 1 of 1", 60, "-")
    assert time.slept == []
