"""One change set's lifecycle: create it, check it (ready, empty, failed, refused), execute it while
following the stack's events, and discard it (with the empty stack a refused first create made)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TextIO

from kvtable.console.columns import aligned
from kvtable.console.errors import ToolError
from kvtable.deploy import cloudformation, states
from kvtable.deploy.options import DeployOptions
from kvtable.deploy.plan import change_set_refusals

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

# What the deploy's front gives a change set: its refusals' verdict, and the protection of the stack.
RefuseOrWarn = Callable[[list[str], str], None]
EnsureProtection = Callable[[str, list[str], "cloudformation.DeployedStack | None"], None]


@dataclass
class ChangeSetRun:
    """Change sets on one stack, reporting to `out`; refusals and protection are the front's."""

    cf: CloudFormationClient
    options: DeployOptions
    out: TextIO
    refuse_or_warn: RefuseOrWarn
    ensure_protection: EnsureProtection
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    # The events' logical-id column: as wide as the longest id the change set names (and the stack's).
    id_width: int = 24

    def say(self, line: str = "") -> None:
        """Write one line of the report."""
        self.out.write(line + "\n")

    def create(
        self,
        body: str,
        parameters: dict[str, str],
        tags: dict[str, str] | None,
        change_set_type: str,
        resources_to_import: list[dict[str, Any]] | None,
    ) -> tuple[str, str]:
        """Create the change set; return its name and ARN."""
        name = f"kvtable-{datetime.now(UTC):%Y%m%d-%H%M%S}"
        arn = cloudformation.create_change_set(
            self.cf,
            stack_name=self.options.stack_name,
            change_set_name=name,
            template_body=body,
            parameters=parameters,
            tags=tags,
            change_set_type=change_set_type,
            resources_to_import=resources_to_import,
        )
        return name, arn

    def check(
        self,
        arn: str,
        stack: cloudformation.DeployedStack | None,
        table_ids: list[str],
        detaching_tables: bool,
    ) -> bool:
        """Wait for the change set and print it; False (discarded) when it changes nothing. Raises for
        a failed change set, and refuses one that replaces or removes a table (unless detaching)."""
        options = self.options
        described = cloudformation.wait_for_change_set(
            self.cf, arn, options.poll_seconds, self.sleep, self.clock
        )
        if cloudformation.is_empty_change_set(described):
            self.say(f"stack {options.stack_name} is up to date: CloudFormation found nothing to change")
            self.discard(arn, created_stack=False)
            self.ensure_protection(options.stack_name, table_ids, stack)
            return False
        if described["Status"] in states.CHANGE_SET_FAILED:
            raise ToolError(
                f"CloudFormation could not create the change set: {described.get('StatusReason')}"
            )
        self._print_change_set(described["Changes"])
        if not detaching_tables:
            self.refuse_or_warn(change_set_refusals(described["Changes"], set(table_ids)), "change set")
        return True

    def execute(self, name: str, arn: str) -> None:
        """Execute the change set and follow the stack's events until it settles; raise if it failed."""
        options = self.options
        marker = cloudformation.newest_event_id(self.cf, options.stack_name)
        self.say(f"Executing change set {name}:")
        self.cf.execute_change_set(ChangeSetName=arn)
        status, failure = cloudformation.follow_stack_events(
            self.cf,
            stack_name=options.stack_name,
            marker=marker,
            out=self.out,
            poll_seconds=options.poll_seconds,
            sleep=self.sleep,
            clock=self.clock,
            id_width=self.id_width,
        )
        if status not in states.SETTLED_SUCCESS:
            raise ToolError(
                f"deploy of {options.stack_name} failed ({status})"
                + (f"; first failure: {failure}" if failure else "")
            )

    def discard(self, arn: str, created_stack: bool) -> None:
        """Delete the change set, and the empty stack a CREATE change set made, so nothing is left."""
        self.cf.delete_change_set(ChangeSetName=arn)
        if created_stack:
            self.cf.delete_stack(StackName=self.options.stack_name)

    def _print_change_set(self, changes: list[dict[str, Any]]) -> None:
        self.say("Change set, from CloudFormation:")
        rows = []
        for change in changes:
            resource = change.get("ResourceChange", {})
            rows.append(
                (
                    str(resource.get("Action", "?")),
                    str(resource.get("LogicalResourceId", "?")),
                    str(resource.get("ResourceType", "?")),
                    f"replacement: {resource.get('Replacement', '-')}",
                )
            )
        for line in aligned(rows, indent="  "):
            self.say(line)
        self.id_width = max(self.id_width, len(self.options.stack_name), *(len(row[1]) for row in rows))
