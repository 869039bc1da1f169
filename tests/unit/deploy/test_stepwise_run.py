"""The stepwise orchestration (StepwiseRun): each step's plan checked, applied as its own update, and
the indexes (or replicas) waited for between steps, over botocore's Stubber in AWS's documented shapes."""

import copy
import io
from typing import Any

import pytest
from botocore.stub import Stubber

from kvtable.console.errors import RefusedError
from kvtable.deploy.options import DeployOptions
from kvtable.deploy.plan import IndexOperation
from kvtable.deploy.stepwise_run import StepwiseRun
from kvtable.deploy.stepwise_steps import Step, stepwise_steps
from tests.aws_shapes import (
    STACK,
    WHEN,
    described_stack,
    described_table,
    offline_cloudformation,
    offline_dynamodb,
)
from tests.shipped import default_parameters, shipped
from tests.unit.deploy.fake_time import SteppedClock

DEPLOYED = shipped()[1]
PARAMETERS = default_parameters()
TABLE = "kv-storage-data"


def steps() -> list[Step]:
    """Replace GSI1 by GSI2: delete GSI1, then create GSI2 (the new template)."""
    new = copy.deepcopy(DEPLOYED)
    properties = new["Resources"]["KVStorageTable"]["Properties"]
    properties["GlobalSecondaryIndexes"] = [
        {
            "IndexName": "GSI2",
            "KeySchema": [{"AttributeName": "GSI2PK", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
        }
    ]
    properties["AttributeDefinitions"] = [
        {"AttributeName": name, "AttributeType": "S"} for name in ("PK", "SK", "GSI2PK")
    ]
    return stepwise_steps(
        STACK,
        deployed=DEPLOYED,
        deployed_parameters=PARAMETERS,
        new_body="new",
        new=new,
        new_parameters=PARAMETERS,
        operations=[
            IndexOperation("KVStorageTable", "delete", "GSI1"),
            IndexOperation("KVStorageTable", "create", "GSI2"),
        ],
    )


class Recorder:
    """The front's apply and verdict, recording each call."""

    def __init__(self) -> None:
        self.applied: list[dict[str, Any]] = []
        self.verdicts: list[tuple[list[str], str]] = []

    def apply(self, **request: Any) -> bool:
        self.applied.append(request)
        return True

    def refuse_or_warn(self, refusals: list[str], source: str) -> None:
        self.verdicts.append((refusals, source))
        if refusals:
            raise RefusedError(refusals[0])


def run_of(cf: Any, dynamodb: Any, recorder: Recorder, out: io.StringIO, **options: Any) -> StepwiseRun:
    clock = SteppedClock()
    settings = DeployOptions(
        stack_name=STACK, poll_seconds=0, index_poll_seconds=15.0, tags={"t": "1"}, **options
    )
    return StepwiseRun(
        cf, settings, out, recorder.apply, recorder.refuse_or_warn, clock.sleep, clock, dynamodb
    )


def resources() -> dict[str, Any]:
    """DescribeStackResources for the stack's table (API_StackResource.html)."""
    return {
        "StackResources": [
            {
                "StackName": STACK,
                "LogicalResourceId": "KVStorageTable",
                "PhysicalResourceId": TABLE,
                "ResourceType": "AWS::DynamoDB::Table",
                "Timestamp": WHEN,
                "ResourceStatus": "UPDATE_COMPLETE",
            }
        ]
    }


def test_the_steps_are_announced_one_line_each() -> None:
    out = io.StringIO()
    run_of(None, None, Recorder(), out).print_steps(steps())
    assert out.getvalue() == (
        "Stepwise: 2 updates, one index operation each (deletions first):\n"
        "  step 1 of 2: delete GSI1, with the deployed template; then indexes: none\n"
        "  step 2 of 2: create GSI2, with the full new template; then indexes: GSI2\n"
    )


def test_each_step_is_its_own_update_waiting_for_the_indexes_between() -> None:
    cf, dynamodb, recorder, out = offline_cloudformation(), offline_dynamodb(), Recorder(), io.StringIO()
    with Stubber(cf) as cf_stub, Stubber(dynamodb) as ddb_stub:
        for step_indexes, after in (
            ([("GSI1", "ACTIVE", False)], []),
            ([], [("GSI2", "CREATING", True), ("GSI2", "ACTIVE", False)]),
        ):
            cf_stub.add_response("describe_stack_resources", resources(), {"StackName": STACK})
            ddb_stub.add_response("describe_table", described_table(TABLE, indexes=step_indexes))
            cf_stub.add_response(
                "describe_stacks", described_stack(parameters=PARAMETERS), {"StackName": STACK}
            )
            cf_stub.add_response("describe_stack_resources", resources(), {"StackName": STACK})
            # After the step: the table's indexes, one answer a poll.
            for indexes in [[index] for index in after] or [[]]:
                ddb_stub.add_response("describe_table", described_table(TABLE, indexes=indexes))
        run_of(cf, dynamodb, recorder, out).run_index_steps(steps(), DEPLOYED, PARAMETERS, ["KVStorageTable"])
        cf_stub.assert_no_pending_responses()
        ddb_stub.assert_no_pending_responses()
    first, last = recorder.applied
    assert (first["parameters"], first["tags"], first["table_ids"]) == (PARAMETERS, None, ["KVStorageTable"])
    # Only the last step carries the tags: the ones between keep the stack as it was.
    assert (last["body"], last["tags"]) == ("new", {"t": "1"})
    assert [source for _, source in recorder.verdicts] == ["plan, step 1 of 2", "plan, step 2 of 2"]
    assert out.getvalue().splitlines() == [
        "  step 1 of 2: indexes settled (GSI1) after 0m00s",
        "Step 1 of 2: delete GSI1",
        "  step 1 of 2: indexes settled (none) after 0m00s",
        "  step 2 of 2: indexes settled (none) after 0m00s",
        "Step 2 of 2: create GSI2",
        "  step 2 of 2: waiting for GSI2 CREATING, backfilling (0m00s elapsed)",
        "  step 2 of 2: indexes settled (GSI2) after 0m15s",
    ]


def test_without_a_dynamodb_client_the_run_says_it_does_not_wait() -> None:
    out = io.StringIO()
    run_of(None, None, Recorder(), out).wait_for_indexes("KVStorageTable", ("GSI1",), "step 1 of 2")
    assert out.getvalue() == "  step 1 of 2: not waiting for the indexes (no DynamoDB client given)\n"


def test_with_no_wait_for_backfill_nothing_is_read_or_said() -> None:
    out = io.StringIO()
    run = run_of(None, offline_dynamodb(), Recorder(), out, wait_for_backfill=False)
    run.wait_for_indexes("KVStorageTable", ("GSI1",), "deploy")
    run.wait_for_replicas("KVStorageTable", ["us-east-1"], "deploy")
    assert out.getvalue() == ""


def test_replica_steps_send_the_new_template_with_the_regions_of_each_moment() -> None:
    cf, recorder, out = offline_cloudformation(), Recorder(), io.StringIO()
    with Stubber(cf) as stub:
        for _ in range(2):
            stub.add_response("describe_stacks", described_stack(), {"StackName": STACK})
        run_of(cf, None, recorder, out, wait_for_backfill=False).run_replica_steps(
            [["us-east-1"], ["us-east-1", "eu-west-1"]],
            "global body",
            {"TableName": TABLE},
            {"ReplicaRegions": "us-east-1,ap-south-1"},
            ["KVStorageTable"],
        )
    assert [(a["body"], a["parameters"]["ReplicaRegions"], a["tags"]) for a in recorder.applied] == [
        ("global body", "us-east-1", None),
        ("global body", "us-east-1,eu-west-1", {"t": "1"}),
    ]
    assert (
        out.getvalue()
        == "Step 1 of 2: replicas in us-east-1\nStep 2 of 2: replicas in us-east-1, eu-west-1\n"
    )


def test_a_step_whose_plan_refuses_is_not_applied() -> None:
    cf, dynamodb, recorder = offline_cloudformation(), offline_dynamodb(), Recorder()
    refused_steps = steps()
    # The first step would rename the table: its own plan refuses it before it is applied.
    first = refused_steps[0]
    renamed = Step(first.operation, first.body, first.template, {**PARAMETERS, "TableName": "other"}, ())
    with pytest.raises(RefusedError, match="table would be replaced"):
        run_of(cf, dynamodb, recorder, io.StringIO(), wait_for_backfill=False).run_index_steps(
            [renamed, refused_steps[1]], DEPLOYED, PARAMETERS, ["KVStorageTable"]
        )
    assert recorder.applied == []
