"""Several index or replica changes, one stack update each: the stepwise orchestration, waiting for
each backfill (or replica) between the updates."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from kvtable.cfn.intrinsics import resolve
from kvtable.cfn.names import REPLICA_REGIONS_PARAMETER
from kvtable.cfn.templates import Template
from kvtable.deploy import cloudformation
from kvtable.deploy.change_set import RefuseOrWarn
from kvtable.deploy.indexes import IndexWaiter
from kvtable.deploy.options import DeployOptions
from kvtable.deploy.plan import compute_plan, gsi_definitions
from kvtable.deploy.replicas import ReplicaWaiter
from kvtable.deploy.stepwise_steps import Step

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient


@dataclass
class StepwiseRun:
    """The steps of one stepwise deploy, each applied through `apply` (the front's change sets)."""

    cf: CloudFormationClient
    options: DeployOptions
    out: TextIO
    apply: Callable[..., bool]
    refuse_or_warn: RefuseOrWarn
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    # For waiting on index backfills and replicas; without it a deploy does not wait.
    dynamodb: DynamoDBClient | None = None

    def say(self, line: str = "") -> None:
        """Write one line of the report."""
        self.out.write(line + "\n")

    def print_steps(self, steps: list[Step]) -> None:
        self.say(f"Stepwise: {len(steps)} updates, one index operation each (deletions first):")
        for number, step in enumerate(steps, start=1):
            source = "the full new template" if step.final else "the deployed template"
            indexes = ", ".join(step.indexes_after) or "none"
            self.say(
                f"  step {number} of {len(steps)}: {step.operation}, with {source}; then indexes: {indexes}"
            )

    def run_index_steps(
        self, steps: list[Step], deployed: Template, deployed_parameters: dict[str, str], table_ids: list[str]
    ) -> None:
        """Run each step as its own update, waiting for the table's indexes between steps."""
        options = self.options
        previous, previous_parameters = deployed, deployed_parameters
        table_id = steps[0].operation.table_id
        for number, step in enumerate(steps, start=1):
            label = f"step {number} of {len(steps)}"
            # An earlier run may have stopped during a backfill: let it finish first.
            self.wait_for_indexes(table_id, self.index_names(previous, previous_parameters, table_id), label)
            step_plan = compute_plan(
                options.stack_name, previous, previous_parameters, step.template, step.parameters
            )
            self.refuse_or_warn(step_plan.all_refusals, f"plan, {label}")
            self.say(f"Step {number} of {len(steps)}: {step.operation}")
            stack = cloudformation.describe_stack(self.cf, options.stack_name)
            self.apply(
                body=step.body,
                parameters=step.parameters,
                tags=options.tags if step.final else None,
                stack=stack,
                table_ids=table_ids,
            )
            self.wait_for_indexes(table_id, step.indexes_after, label)
            previous, previous_parameters = step.template, step.parameters

    def run_replica_steps(
        self,
        steps: list[list[str]],
        body: str,
        parameters: dict[str, str],
        deployed_parameters: dict[str, str],
        table_ids: list[str],
    ) -> None:
        """One update per replica change, the new template with the regions of that moment, waiting for each."""
        table_id = table_ids[0]
        previous = deployed_parameters.get(REPLICA_REGIONS_PARAMETER, "").split(",")
        for number, regions in enumerate(steps, start=1):
            label = f"step {number} of {len(steps)}"
            self.wait_for_replicas(table_id, previous, label)  # an earlier run may have stopped mid-way
            self.say(f"Step {number} of {len(steps)}: replicas in {', '.join(regions)}")
            step_parameters = {**parameters, REPLICA_REGIONS_PARAMETER: ",".join(regions)}
            final = number == len(steps)
            stack = cloudformation.describe_stack(self.cf, self.options.stack_name)
            self.apply(
                body=body,
                parameters=step_parameters,
                tags=self.options.tags if final else None,
                stack=stack,
                table_ids=table_ids,
            )
            self.wait_for_replicas(table_id, regions, label)
            previous = regions

    def wait_for_replicas(self, table_id: str, regions: list[str], label: str) -> None:
        if not self.options.wait_for_backfill or self.dynamodb is None:
            return
        table_name = cloudformation.physical_ids(self.cf, self.options.stack_name)[table_id]
        waiter = ReplicaWaiter(
            self.dynamodb, self.out, self.options.index_poll_seconds, self.sleep, self.clock
        )
        waiter.wait(table_name, regions, label)

    def index_names(self, template: Template, parameters: dict[str, str], table_id: str) -> tuple[str, ...]:
        properties = resolve(
            template["Resources"][table_id].get("Properties", {}), parameters, self.options.stack_name
        )
        return tuple(sorted(gsi_definitions(properties)))

    def wait_for_indexes(self, table_id: str, expected: tuple[str, ...], label: str) -> None:
        if not self.options.wait_for_backfill:
            return
        if self.dynamodb is None:
            self.say(f"  {label}: not waiting for the indexes (no DynamoDB client given)")
            return
        table_name = cloudformation.physical_ids(self.cf, self.options.stack_name)[table_id]
        waiter = IndexWaiter(self.dynamodb, self.out, self.options.index_poll_seconds, self.sleep, self.clock)
        waiter.wait(table_name, expected, label)
