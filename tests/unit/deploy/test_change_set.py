"""One change set's lifecycle (ChangeSetRun) over a real CloudFormation client answered by botocore's
Stubber in AWS's documented shapes: empty, failed, refused, executed, discarded."""

import io
from typing import Any

import pytest
from botocore.stub import Stubber

from kvtable.console.errors import RefusedError, ToolError
from kvtable.deploy.change_set import ChangeSetRun
from kvtable.deploy.cloudformation import DeployedStack
from kvtable.deploy.options import DeployOptions
from tests.aws_shapes import (
    CHANGE_SET,
    STACK,
    STACK_ID,
    change_set_request,
    described_change_set,
    offline_cloudformation,
    resource_change,
    stack_event,
)
from tests.shipped import shipped

STACK_NOW = DeployedStack(STACK, STACK_ID, "UPDATE_COMPLETE", {}, {}, [], True)


class Front:
    """What the deploy's front gives a change set, recording what it was asked."""

    def __init__(self) -> None:
        self.verdicts: list[tuple[list[str], str]] = []
        self.protected: list[tuple[str, list[str], DeployedStack | None]] = []

    def refuse_or_warn(self, refusals: list[str], source: str) -> None:
        self.verdicts.append((refusals, source))
        if refusals:
            raise RefusedError(refusals[0])

    def ensure_protection(self, stack_name: str, table_ids: list[str], stack: DeployedStack | None) -> None:
        self.protected.append((stack_name, table_ids, stack))


def run(cf: Any, out: io.StringIO, front: Front) -> ChangeSetRun:
    options = DeployOptions(stack_name=STACK, poll_seconds=0, template=shipped())
    return ChangeSetRun(cf, options, out, front.refuse_or_warn, front.ensure_protection, lambda _: None)


def test_a_change_set_is_named_after_the_time_and_its_arn_returned() -> None:
    cf, front = offline_cloudformation(), Front()
    with Stubber(cf) as stub:
        stub.add_response(
            "create_change_set",
            {"Id": CHANGE_SET, "StackId": STACK_ID},
            change_set_request("CREATE", "{}", []),
        )
        name, arn = run(cf, io.StringIO(), front).create("{}", {}, None, "CREATE", None)
    assert arn == CHANGE_SET
    assert name.startswith("kvtable-") and len(name) == len("kvtable-20261207-120000")


def test_an_empty_change_set_is_discarded_and_the_stack_kept_protected() -> None:
    cf, out, front = offline_cloudformation(), io.StringIO(), Front()
    empty = described_change_set("FAILED", reason="The submitted information didn't contain changes.")
    with Stubber(cf) as stub:
        stub.add_response("describe_change_set", empty, {"ChangeSetName": CHANGE_SET})
        stub.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET})
        applied = run(cf, out, front).check(CHANGE_SET, STACK_NOW, ["KVStorageTable"], False)
        stub.assert_no_pending_responses()
    assert applied is False
    assert out.getvalue() == f"stack {STACK} is up to date: CloudFormation found nothing to change\n"
    assert front.protected == [(STACK, ["KVStorageTable"], STACK_NOW)]


def test_a_change_set_cloudformation_could_not_create_says_why() -> None:
    cf, front = offline_cloudformation(), Front()
    failed = described_change_set("FAILED", reason="Template error: unresolved resource dependencies [Nope]")
    with Stubber(cf) as stub:
        stub.add_response("describe_change_set", failed, {"ChangeSetName": CHANGE_SET})
        with pytest.raises(ToolError) as error:
            run(cf, io.StringIO(), front).check(CHANGE_SET, STACK_NOW, ["KVStorageTable"], False)
    assert str(error.value) == (
        "CloudFormation could not create the change set: Template error: unresolved resource dependencies [Nope]"
    )
    assert error.value.exit_code == 1


def replacing() -> dict[str, Any]:
    return described_change_set(
        changes=[
            resource_change("KVStorageTable", "AWS::DynamoDB::Table", "Modify", "True"),
            resource_change("ReadPolicy", "AWS::IAM::ManagedPolicy", "Modify", "False"),
        ]
    )


def test_a_change_set_that_replaces_the_table_is_printed_then_refused() -> None:
    cf, out, front = offline_cloudformation(), io.StringIO(), Front()
    with Stubber(cf) as stub:
        stub.add_response("describe_change_set", replacing(), {"ChangeSetName": CHANGE_SET})
        with pytest.raises(RefusedError) as error:
            run(cf, out, front).check(CHANGE_SET, STACK_NOW, ["KVStorageTable"], False)
    assert error.value.exit_code == 3
    assert front.verdicts == [
        (["KVStorageTable: the change set says the table is replaced (Replacement: True)"], "change set")
    ]
    assert out.getvalue() == (
        "Change set, from CloudFormation:\n"
        "  Modify  KVStorageTable  AWS::DynamoDB::Table     replacement: True\n"
        "  Modify  ReadPolicy      AWS::IAM::ManagedPolicy  replacement: False\n"
    )


def test_a_detaching_change_set_removes_the_table_without_a_verdict() -> None:
    cf, front = offline_cloudformation(), Front()
    removing = described_change_set(
        changes=[resource_change("KVStorageTable", "AWS::DynamoDB::Table", "Remove")]
    )
    with Stubber(cf) as stub:
        stub.add_response("describe_change_set", removing, {"ChangeSetName": CHANGE_SET})
        assert run(cf, io.StringIO(), front).check(CHANGE_SET, STACK_NOW, ["KVStorageTable"], True) is True
    assert front.verdicts == []


def test_executing_follows_the_events_and_a_failure_names_the_first_one() -> None:
    cf, out, front = offline_cloudformation(), io.StringIO(), Front()
    table = "AWS::DynamoDB::Table"
    stack_type = "AWS::CloudFormation::Stack"
    with Stubber(cf) as stub:
        stub.add_response(
            "describe_stack_events",
            {"StackEvents": [stack_event(1, STACK, stack_type, "UPDATE_COMPLETE")]},
            {"StackName": STACK},
        )
        stub.add_response("execute_change_set", {}, {"ChangeSetName": CHANGE_SET})
        stub.add_response(
            "describe_stack_events",
            {
                "StackEvents": [
                    stack_event(4, STACK, stack_type, "UPDATE_ROLLBACK_COMPLETE"),
                    stack_event(3, STACK, stack_type, "UPDATE_ROLLBACK_IN_PROGRESS", "resource failed"),
                    stack_event(2, "KVStorageTable", table, "UPDATE_FAILED", "Subscriber limit exceeded"),
                    stack_event(1, STACK, stack_type, "UPDATE_COMPLETE"),
                ]
            },
            {"StackName": STACK},
        )
        with pytest.raises(ToolError) as error:
            run(cf, out, front).execute("kvtable-1", CHANGE_SET)
    assert str(error.value) == (
        f"deploy of {STACK} failed (UPDATE_ROLLBACK_COMPLETE); first failure: KVStorageTable: Subscriber limit exceeded"
    )
    assert out.getvalue().startswith("Executing change set kvtable-1:\n")


def test_discarding_a_refused_first_create_deletes_the_empty_stack_too() -> None:
    cf, front = offline_cloudformation(), Front()
    with Stubber(cf) as stub:
        stub.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET})
        stub.add_response("delete_stack", {}, {"StackName": STACK})
        run(cf, io.StringIO(), front).discard(CHANGE_SET, created_stack=True)
        stub.assert_no_pending_responses()
        stub.add_response("delete_change_set", {}, {"ChangeSetName": CHANGE_SET})
        run(cf, io.StringIO(), front).discard(CHANGE_SET, created_stack=False)
        stub.assert_no_pending_responses()
