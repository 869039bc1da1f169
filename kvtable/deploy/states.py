"""CloudFormation's statuses, grouped into named sets with one question each.

Every stack status AWS documents (botocore's `StackStatus` enum) falls in exactly one set of
`ALL_SETS`; a test holds the two together. Change sets and resources have enums of their own
(`ChangeSetStatus`, `ResourceStatus`), named apart at the end. The deploy asks the questions, or
whether a status is in a named set, never the raw strings.
"""

from typing import Final

# A stack whose last operation finished and left it deployable.
UPDATABLE: Final = frozenset(
    {
        "CREATE_COMPLETE",
        "UPDATE_COMPLETE",
        "UPDATE_ROLLBACK_COMPLETE",
        "IMPORT_COMPLETE",
        "IMPORT_ROLLBACK_COMPLETE",
    }
)
# An operation failed and is being rolled back (part of BUSY).
ROLLING_BACK: Final = frozenset(
    {"ROLLBACK_IN_PROGRESS", "UPDATE_ROLLBACK_IN_PROGRESS", "IMPORT_ROLLBACK_IN_PROGRESS"}
)
# An operation is under way: wait for it to finish.
BUSY: Final = ROLLING_BACK | {
    "CREATE_IN_PROGRESS",
    "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    "DELETE_IN_PROGRESS",
    "IMPORT_IN_PROGRESS",
}
# A first create that failed: the stack can only be deleted, then created anew.
FAILED_CREATE: Final = frozenset({"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "CREATE_FAILED"})
# A rollback that could not finish: ContinueUpdateRollback must run first.
ROLLBACK_FAILED: Final = frozenset({"UPDATE_ROLLBACK_FAILED", "IMPORT_ROLLBACK_FAILED"})
# An update made with rollback disabled failed: roll it back (or retry) by hand first.
UPDATE_FAILED_NO_ROLLBACK: Final = frozenset({"UPDATE_FAILED"})
# A deletion failed half way: someone must finish or abandon it by hand.
DELETE_FAILED: Final = frozenset({"DELETE_FAILED"})
# A stack made for a CREATE change set that has not been executed: it holds nothing yet.
AWAITING_EXECUTION: Final = frozenset({"REVIEW_IN_PROGRESS"})
# A deleted stack (DescribeStacks still answers for it by stack id).
DELETED: Final = frozenset({"DELETE_COMPLETE"})
# Nothing is deployed (a change set that never ran, or a stack deleted): it is created anew.
NOTHING_DEPLOYED: Final = AWAITING_EXECUTION | DELETED

ALL_SETS: Final = (
    UPDATABLE,
    BUSY,
    FAILED_CREATE,
    ROLLBACK_FAILED,
    UPDATE_FAILED_NO_ROLLBACK,
    DELETE_FAILED,
    NOTHING_DEPLOYED,
)
SETTLED_SUCCESS: Final = frozenset({"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"})
# Following an update's events, the stack has not settled while busy, nor before its change set starts.
NOT_SETTLED: Final = BUSY | AWAITING_EXECUTION

# Change sets have statuses of their own (botocore's `ChangeSetStatus`), apart from the stack's.
# CloudFormation could not create the change set (one that changes nothing fails too).
CHANGE_SET_FAILED: Final = frozenset({"FAILED"})
# CloudFormation is done with the change set, created or failed: the wait for it ends.
CHANGE_SET_SETTLED: Final = CHANGE_SET_FAILED | {"CREATE_COMPLETE"}

# Resources have statuses of their own (botocore's `ResourceStatus`, which the stack's own events
# use too). An operation on the resource failed.
RESOURCE_FAILED: Final = frozenset(
    {
        "CREATE_FAILED",
        "UPDATE_FAILED",
        "DELETE_FAILED",
        "IMPORT_FAILED",
        "IMPORT_ROLLBACK_FAILED",
        "EXPORT_FAILED",
        "EXPORT_ROLLBACK_FAILED",
        "UPDATE_ROLLBACK_FAILED",
        "ROLLBACK_FAILED",
    }
)
# A resource that no longer exists in the stack.
RESOURCE_DELETED: Final = frozenset({"DELETE_COMPLETE"})


def is_updatable(status: str) -> bool:
    """Can a change set update the stack now?"""
    return status in UPDATABLE


def is_busy(status: str) -> bool:
    """Is an operation under way, so that the deploy must wait?"""
    return status in BUSY


def must_be_recreated(status: str) -> bool:
    """Did a first create fail, so that the stack must be deleted before it is created again?"""
    return status in FAILED_CREATE


def rollback_failed(status: str) -> bool:
    """Did a rollback fail, so that ContinueUpdateRollback must run first?"""
    return status in ROLLBACK_FAILED


def holds_nothing_deployed(status: str) -> bool:
    """Is nothing deployed under the name (a change set that never ran, a deleted stack)?"""
    return status in NOTHING_DEPLOYED


def region_flag(region: str | None) -> str:
    """` --region REGION` for an AWS CLI command, so that it runs where the stack is; empty without one."""
    return f" --region {region}" if region else ""


def blocked_message(stack_name: str, status: str, region: str | None = None) -> str | None:
    """One line saying why a stack in `status` cannot be deployed and what to do (an AWS CLI command
    names `region`, the stack's, when given); None if it can be, or if the deploy handles the status
    itself (a failed create, a failed rollback, nothing deployed)."""
    if is_busy(status):
        return f"stack {stack_name} is busy ({status}); wait for it to finish and deploy again"
    if status in UPDATE_FAILED_NO_ROLLBACK:
        return (
            f"stack {stack_name} is UPDATE_FAILED (an update with rollback disabled failed); roll it back with "
            f"'aws cloudformation rollback-stack --stack-name {stack_name}{region_flag(region)}', then deploy again"
        )
    if status in DELETE_FAILED:
        return (
            f"stack {stack_name} is DELETE_FAILED: someone tried to delete it and some resources remain; see its "
            "events, finish or abandon the deletion by hand (the table is Retain), and deploy again"
        )
    return None
