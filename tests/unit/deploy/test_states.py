"""CloudFormation's stack statuses: the named sets and their questions, and every status through the
path a user takes (Deployer.run), on AWS-shaped answers.

moto cannot put a stack in most of these states, so botocore's Stubber answers DescribeStacks
(and what each state leads the deploy to read next) in AWS's documented shape.
"""

import io

import botocore.session
import pytest
from botocore.stub import Stubber

from kvtable.console.errors import ToolError
from kvtable.deploy import states
from kvtable.deploy.cloudformation import follow_stack_events
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.options import DeployOptions
from tests.aws_shapes import STACK, described_stack, offline_cloudformation, stack_event
from tests.shipped import default_parameters, shipped

MODEL = botocore.session.get_session().get_service_model("cloudformation")


def enum(shape: str) -> list[str]:
    """The values of one of CloudFormation's enums (a StringShape's `enum`, which the stubs do not declare)."""
    return list(getattr(MODEL.shape_for(shape), "enum"))  # noqa: B009


ALL_STATUSES = enum("StackStatus")


def plan_in(status: str) -> str:
    """Run `kvtable plan` against a stack in `status`; return the report, or raise what the deploy raises."""
    cf = offline_cloudformation()
    out = io.StringIO()
    body, _ = shipped()
    with Stubber(cf) as stub:
        stub.add_response(
            "describe_stacks", described_stack(status, default_parameters()), {"StackName": STACK}
        )
        if status in states.ROLLBACK_FAILED:
            stub.add_response(
                "describe_stack_events",
                {
                    "StackEvents": [
                        stack_event(2, STACK, "AWS::CloudFormation::Stack", status, "failed to roll back"),
                        stack_event(
                            1,
                            "ReadPolicy",
                            "AWS::IAM::ManagedPolicy",
                            "UPDATE_FAILED",
                            "Policy does not exist",
                        ),
                    ]
                },
                {"StackName": STACK},
            )
        if status in states.FAILED_CREATE:
            stub.add_response("list_stack_resources", {"StackResourceSummaries": []}, {"StackName": STACK})
        if status in states.UPDATABLE:
            stub.add_response(
                "get_template", {"TemplateBody": body}, {"StackName": STACK, "TemplateStage": "Original"}
            )
        options = DeployOptions(stack_name=STACK, plan_only=True, template=shipped())
        Deployer(cf, options, out, sleep=lambda _: None).run()
        stub.assert_no_pending_responses()
    return out.getvalue()


def test_every_status_aws_documents_is_in_exactly_one_named_set() -> None:
    placed = [status for group in states.ALL_SETS for status in group]
    assert sorted(placed) == sorted(ALL_STATUSES)
    assert len(placed) == len(set(placed))


@pytest.mark.parametrize("status", sorted(states.UPDATABLE))
def test_a_settled_stack_is_planned_as_an_update(status: str) -> None:
    report = plan_in(status)
    assert f"Plan for stack {STACK} (update), from the templates:\n  no changes" in report


@pytest.mark.parametrize("status", sorted(states.NOTHING_DEPLOYED))
def test_a_stack_with_nothing_deployed_is_planned_as_a_create(status: str) -> None:
    assert f"Plan for stack {STACK} (create)" in plan_in(status)


@pytest.mark.parametrize("status", sorted(states.FAILED_CREATE))
def test_an_empty_failed_create_is_deleted_and_created_anew(status: str) -> None:
    report = plan_in(status)
    assert f"stack {STACK} is {status} and holds nothing: a deploy deletes it and creates it anew" in report
    assert f"Plan for stack {STACK} (create)" in report


@pytest.mark.parametrize("status", sorted(states.BUSY))
def test_a_busy_stack_is_refused_until_it_finishes(status: str) -> None:
    with pytest.raises(ToolError) as error:
        plan_in(status)
    assert str(error.value) == f"stack {STACK} is busy ({status}); wait for it to finish and deploy again"


@pytest.mark.parametrize("status", sorted(states.ROLLBACK_FAILED))
def test_a_failed_rollback_names_the_command_that_continues_it(status: str) -> None:
    with pytest.raises(ToolError) as error:
        plan_in(status)
    assert str(error.value) == (
        f"stack {STACK} is {status}, so it cannot be updated (rollback failed on ReadPolicy: Policy does not "
        f"exist); fix the cause if you can, then run: aws cloudformation continue-update-rollback --stack-name "
        f"{STACK} --region us-east-1 --resources-to-skip ReadPolicy, and deploy again"
    )


def test_a_failed_update_without_rollback_names_rollback_stack() -> None:
    with pytest.raises(
        ToolError, match=f"'aws cloudformation rollback-stack --stack-name {STACK} --region us-east-1'"
    ):
        plan_in("UPDATE_FAILED")


def test_a_failed_delete_is_refused_with_what_to_do() -> None:
    with pytest.raises(
        ToolError, match="is DELETE_FAILED: someone tried to delete it and some resources remain"
    ):
        plan_in("DELETE_FAILED")


def test_review_in_progress_holds_nothing_and_is_not_busy_but_has_not_settled() -> None:
    in_progress = {status for status in ALL_STATUSES if status.endswith("_IN_PROGRESS")}
    assert in_progress - states.BUSY == {"REVIEW_IN_PROGRESS"} == states.AWAITING_EXECUTION
    assert states.holds_nothing_deployed("REVIEW_IN_PROGRESS")
    # Following an executed change set's events, every *_IN_PROGRESS status is waited through.
    assert in_progress == states.NOT_SETTLED
    assert states.ROLLING_BACK <= states.BUSY


def test_change_set_and_resource_statuses_are_named_from_their_own_enums() -> None:
    assert set(enum("ChangeSetStatus")) >= states.CHANGE_SET_SETTLED
    assert "FAILED" not in ALL_STATUSES  # a change set's FAILED is no stack status
    # AWS names every failed operation on a resource *_FAILED.
    assert {s for s in enum("ResourceStatus") if s.endswith("_FAILED")} == states.RESOURCE_FAILED
    assert set(enum("ResourceStatus")) >= states.RESOURCE_DELETED


@pytest.mark.parametrize(
    ("resource_reason", "first_failure"),
    [
        ("Table already exists", "KVStorageTable: Table already exists"),
        (None, f"{STACK}: The following resource(s) failed to create: [KVStorageTable]."),
    ],
)
def test_following_events_waits_through_review_and_names_the_first_failure(
    resource_reason: str | None, first_failure: str
) -> None:
    cf = offline_cloudformation()
    stack_type = "AWS::CloudFormation::Stack"
    newest_first = [
        stack_event(5, STACK, stack_type, "ROLLBACK_COMPLETE"),
        stack_event(
            4,
            STACK,
            stack_type,
            "ROLLBACK_IN_PROGRESS",
            "The following resource(s) failed to create: [KVStorageTable].",
        ),
        stack_event(3, "KVStorageTable", "AWS::DynamoDB::Table", "CREATE_FAILED", resource_reason),
        stack_event(2, STACK, stack_type, "CREATE_IN_PROGRESS", "User Initiated"),
        stack_event(1, STACK, stack_type, "REVIEW_IN_PROGRESS", "User Initiated"),
    ]
    with Stubber(cf) as stub:
        stub.add_response("describe_stack_events", {"StackEvents": newest_first}, {"StackName": STACK})
        settled = follow_stack_events(
            cf, stack_name=STACK, marker=None, out=io.StringIO(), poll_seconds=0, sleep=lambda _: None
        )
        stub.assert_no_pending_responses()
    assert settled == ("ROLLBACK_COMPLETE", first_failure)


@pytest.mark.parametrize(
    ("status", "answers"),
    [
        ("UPDATE_ROLLBACK_COMPLETE", (True, False, False, False, False)),
        ("IMPORT_ROLLBACK_COMPLETE", (True, False, False, False, False)),
        ("UPDATE_ROLLBACK_IN_PROGRESS", (False, True, False, False, False)),
        ("ROLLBACK_COMPLETE", (False, False, True, False, False)),
        ("CREATE_FAILED", (False, False, True, False, False)),
        ("UPDATE_ROLLBACK_FAILED", (False, False, False, True, False)),
        ("REVIEW_IN_PROGRESS", (False, False, False, False, True)),
        ("DELETE_COMPLETE", (False, False, False, False, True)),
        ("UPDATE_FAILED", (False, False, False, False, False)),
    ],
)
def test_each_question_is_answered_by_its_set(status: str, answers: tuple[bool, ...]) -> None:
    asked = (
        states.is_updatable(status),
        states.is_busy(status),
        states.must_be_recreated(status),
        states.rollback_failed(status),
        states.holds_nothing_deployed(status),
    )
    assert asked == answers


def test_the_region_flag_is_empty_without_a_region() -> None:
    assert states.region_flag("eu-west-1") == " --region eu-west-1"
    assert states.region_flag(None) == ""


@pytest.mark.parametrize("status", sorted(states.UPDATABLE | states.FAILED_CREATE | states.NOTHING_DEPLOYED))
def test_statuses_the_deploy_handles_itself_have_no_blocked_message(status: str) -> None:
    assert states.blocked_message(STACK, status, "us-east-1") is None


def test_a_failed_update_without_a_region_names_no_region_flag() -> None:
    assert states.blocked_message(STACK, "UPDATE_FAILED") == (
        f"stack {STACK} is UPDATE_FAILED (an update with rollback disabled failed); roll it back with "
        f"'aws cloudformation rollback-stack --stack-name {STACK}', then deploy again"
    )
