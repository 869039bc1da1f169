"""Bring an existing table under the stack with CloudFormation resource import, in the steps AWS requires.

Two cases:
- the stack exists and its table is to be replaced by another (a restored one): the old table
  leaves the stack but stays as it is (Retain), the other is imported as the stack's table with
  the TableName parameter set to its name, then a normal update brings every setting the
  template promises and points the policies and exports at it;
- no stack exists yet (the table the CDK app built, say): a new stack is created by importing the
  table alone, then a normal update adds the policies and outputs and every setting.

The table is imported as it is, described from DynamoDB's own answers: an import records the
template and changes nothing on the table, and the update after it changes only what differs
from that record (CloudFormation User Guide, "Resolve drift with an import operation"). Had the
import recorded the template's promises, the update would see nothing to change and TTL, deletion
protection and the resource policy would stay off while the stack says they are on. The run ends
with verify's table checks on the adopted table: exit 4 when one still does not hold.

Each step is one stack operation, and the current step is read from the stack itself, so running
the same command again after an interruption continues where it stopped; between steps the stack
stays deployable and its exports keep their values until the last step.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from kvtable.cfn import names
from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.cfn.templates import Template, resources_of_type
from kvtable.console.errors import ToolError, UsageError
from kvtable.deploy import cloudformation, states
from kvtable.deploy.aws_state import Clients, describe_or_none
from kvtable.deploy.cloudformation import stack_context
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.errors import refused
from kvtable.deploy.options import DeployOptions
from kvtable.deploy.parameters import resolve_parameters
from kvtable.deploy.plan import gsi_definitions
from kvtable.recovery.adopt_refusals import compatibility_refusals, setting_refusals
from kvtable.recovery.adopt_template import detached_template, table_only
from kvtable.recovery.live_table import live_properties
from kvtable.recovery.restore import CommandTarget, check_table_name
from kvtable.verify.report import Check
from kvtable.verify.verify import Verifier

Stage = Literal["import into a new stack", "detach the old table", "import the table", "update"]


@dataclass(frozen=True)
class AdoptOptions:
    """What the person asked for."""

    stack_name: str
    table_name: str
    plan_only: bool = False
    parameters: dict[str, str] = field(default_factory=dict)
    poll_seconds: float = 2.0
    target: CommandTarget | None = None

    @property
    def command_target(self) -> CommandTarget:
        """The target as given, or `--stack-name` when the caller gave none."""
        return self.target or CommandTarget(f"--stack-name {self.stack_name}")


@dataclass(frozen=True)
class AdoptPlan:
    """Where the adoption stands, the steps left, the differences the update fixes, and refusals."""

    stage: Stage
    steps: list[str]
    differences: list[Check]
    refusals: list[str]


def _arn_context(table_arn: str, stack_name: str, parameters: dict[str, str]) -> StackContext:
    _, partition, _, region, account, _ = table_arn.split(":", 5)
    return StackContext(
        account=account, region=region, stack_name=stack_name, parameters=parameters, partition=partition
    )


@dataclass
class Adopter:
    """One adopt run over the clients, for one stack and one table."""

    clients: Clients
    options: AdoptOptions
    template: Template
    body: str
    out: TextIO
    sleep: Callable[[float], None] = field(default=lambda _: None)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def say(self, line: str) -> None:
        """Write one line of the report."""
        self.out.write(line + "\n")
        self.out.flush()

    def _deployer(self, **options: Any) -> Deployer:
        settings = DeployOptions(
            stack_name=self.options.stack_name,
            template=(self.body, self.template),
            poll_seconds=self.options.poll_seconds,
            **options,
        )
        return Deployer(
            self.clients.cloudformation, settings, self.out, sleep=self.sleep, dynamodb=self.clients.dynamodb
        )

    # ----- where it stands ---------------------------------------------------

    def _stage(
        self, stack: cloudformation.DeployedStack | None, deployed: Template | None, table_id: str
    ) -> Stage:
        if stack is None or deployed is None:
            return "import into a new stack"
        if table_id not in deployed.get("Resources", {}):
            return "import the table"
        physical = cloudformation.physical_ids(self.clients.cloudformation, stack.name).get(table_id)
        if physical != self.options.table_name:
            return "detach the old table"
        return "update"

    def plan(self) -> tuple[AdoptPlan, cloudformation.DeployedStack | None, Template | None]:
        """Read where things stand, and decide; changes nothing."""
        cf, ddb = self.clients.cloudformation, self.clients.dynamodb
        options = self.options
        check_table_name(options.table_name)
        live = describe_or_none(ddb, options.table_name)
        if live is None:
            raise UsageError(f"table {options.table_name} does not exist in this account and region")
        table_ids = resources_of_type(self.template, names.TABLE_TYPE)
        if not table_ids:
            raise UsageError("the template has no DynamoDB table to adopt the table as")
        table_id = table_ids[0]
        found = cloudformation.describe_stack(cf, options.stack_name)
        stack = None if found is None or states.holds_nothing_deployed(found.status) else found
        if stack is not None and not states.is_updatable(stack.status):
            raise ToolError(
                states.blocked_message(stack.name, stack.status, cf.meta.region_name)
                or f"stack {stack.name} is {stack.status}; it cannot take a step now"
            )
        deployed = cloudformation.deployed_template(cf, stack.name) if stack else None
        stage = self._stage(stack, deployed, table_id)
        parameters = resolve_parameters(
            self.template,
            {**options.parameters, names.TABLE_NAME_PARAMETER: options.table_name},
            stack.parameters if stack else None,
        )
        context = (
            stack_context(stack, parameters, {table_id: options.table_name})
            if stack
            else _arn_context(live["TableArn"], options.stack_name, parameters)
        )
        expected = TemplateEvaluator(self.template, context).resource_properties(table_id)
        refusals = compatibility_refusals(expected, live, options.table_name)
        refusals += self._index_refusals(expected, live)
        ttl = ddb.describe_time_to_live(TableName=options.table_name)["TimeToLiveDescription"]
        refusals += setting_refusals(expected, live, dict(ttl), self.clock())
        if stack is not None and stage in ("detach the old table", "import the table"):
            refusals += self._export_refusals(stack)
        verifier = Verifier(self.clients, options.stack_name, self.template)
        checks = verifier.check_table(
            TemplateEvaluator(self.template, context),
            options.table_name,
            table_id,
            stack.tags if stack else {},
        )
        differences = [c for c in checks if c.status != "ok"]
        steps = self._steps(stage, stack, table_id)
        return AdoptPlan(stage, steps, differences, refusals), stack, deployed

    def _index_refusals(self, expected: dict[str, Any], live: dict[str, Any]) -> list[str]:
        want = set(gsi_definitions(expected))
        have = {g["IndexName"] for g in live.get("GlobalSecondaryIndexes", [])}
        operations = len(want ^ have)
        if operations <= 1:
            return []
        return [
            f"the update after the import would create or delete {operations} indexes ({', '.join(sorted(want ^ have))}), "
            "and AWS allows one per update: make the table's indexes match the template first"
        ]

    def _export_refusals(self, stack: cloudformation.DeployedStack) -> list[str]:
        """The table's name and ARN exports change at the last step: no other stack may import them."""
        refusals = []
        for output in (names.OUTPUT_TABLE_NAME, names.OUTPUT_TABLE_ARN):
            export = names.export_name(stack.name, output)
            importers = cloudformation.importing_stacks(self.clients.cloudformation, export)
            if importers:
                refusals.append(
                    f"{', '.join(importers)} import {export}, which changes to the adopted table's name or ARN: "
                    f"first deploy {', '.join(importers)} with the value given as a parameter instead of the import, "
                    f"then adopt, then switch {', '.join(importers)} back to the import"
                )
        return refusals

    def _steps(self, stage: Stage, stack: cloudformation.DeployedStack | None, table_id: str) -> list[str]:
        name, table = self.options.stack_name, self.options.table_name
        all_steps: dict[Stage, str] = {
            "import into a new stack": f"import {table} as {table_id} into a new stack {name} (the table alone)",
            "detach the old table": f"remove the old table from {name}: it stays as it is (Retain), outside the stack; "
            "the policies and exports keep pointing at it until the last step",
            "import the table": f"import {table} as {table_id}, with TableName={table}",
            "update": f"update {name} with the full template: every setting the template promises, the policies "
            f"and the TableName and TableArn exports now name {table}",
        }
        order: list[Stage] = (
            ["import into a new stack", "update"]
            if stack is None
            else ["detach the old table", "import the table", "update"]
        )
        if stage == "update" or stage not in order:
            return [all_steps["update"]]
        return [all_steps[s] for s in order[order.index(stage) :]]

    # ----- the run -------------------------------------------------------------

    def run(self) -> int:
        """Plan, then (unless only planning) take every step left and verify; returns the exit code."""
        plan, stack, deployed = self.plan()
        name, table = self.options.stack_name, self.options.table_name
        self.say(f"Adopt {table} into stack {name}: next step: {plan.stage}")
        for number, step in enumerate(plan.steps, start=1):
            self.say(f"  step {number} of {len(plan.steps)}: {step}")
        if plan.differences:
            self.say("Differences between the live table and the template, which the update fixes:")
            for check in plan.differences:
                self.say(f"  {check.name}: {check.actual} (the template: {check.expected})")
        if plan.refusals:
            raise refused(f"adopt {table}", plan.refusals, self.say)
        if self.options.plan_only:
            return 0
        table_id = resources_of_type(self.template, names.TABLE_TYPE)[0]
        if plan.stage == "import into a new stack":
            self._import(self._as_it_is(table_only(self.template, table_id), table_id), table_id, None)
        elif plan.stage == "detach the old table" and stack is not None and deployed is not None:
            old = TemplateEvaluator(deployed, stack_context(stack, stack.parameters, {}))
            detached = detached_template(deployed, table_id, old)
            self._detach(detached, stack, table_id)
            self._import(self._as_it_is(detached, table_id), table_id, stack.parameters)
        elif plan.stage == "import the table" and stack is not None and deployed is not None:
            # An earlier run detached the old table: the deployed template is the detached one.
            self._import(self._as_it_is(deployed, table_id), table_id, stack.parameters)
        self.say(f"Step: update {name} with the full template")
        overrides = {**self.options.parameters, names.TABLE_NAME_PARAMETER: table}
        self._deployer(parameters=overrides).run()
        return self._verify()

    def _as_it_is(self, base: Template, table_id: str) -> Template:
        """`base` with the table resource describing the live table as DynamoDB reports it (the
        template's DeletionPolicy and UpdateReplacePolicy kept, as an import requires)."""
        ddb = self.clients.dynamodb
        live = describe_or_none(ddb, self.options.table_name)
        if live is None:
            raise ToolError(f"table {self.options.table_name} disappeared during the adoption")
        promised = self.template["Resources"][table_id].get("Properties", {}).get("Tags", [])
        resource = copy.deepcopy(self.template["Resources"][table_id])
        resource["Properties"] = live_properties(ddb, self.clients.kms, live, {t["Key"] for t in promised})
        template = copy.deepcopy(base)
        template["Resources"][table_id] = resource
        return template

    def _verify(self) -> int:
        """verify's table checks on the adopted table: 0 when all hold, 4 naming what still differs."""
        name, table = self.options.stack_name, self.options.table_name
        report = Verifier(self.clients, name, self.template).table_report(table)
        self.out.write(report.as_table())
        target = self.options.command_target
        line = target.environment_line(table)
        if line:
            self.say(f"Next: {line} (or 'kvtable plan {target.flags}' sees the table as replaced)")
        failing = [c.name for c in report.checks if c.status in ("drift", "unchecked")]
        if failing:
            self.say(
                f"{table} is now the table of {name}, but after the update {', '.join(failing)} still "
                f"{'differs' if len(failing) == 1 else 'differ'} from the template; "
                f"see 'kvtable verify {target.flags}'"
            )
        else:
            self.say(f"{table} is now the table of {name}, and keeps every promise of the template")
        return report.exit_code

    def _detach(self, detached: Template, stack: cloudformation.DeployedStack, table_id: str) -> None:
        self.say(f"Step: remove the old table from {stack.name} (it stays, outside the stack)")
        self._deployer().apply_change_set(
            body=json.dumps(detached, indent=2, sort_keys=True),
            parameters=stack.parameters,
            tags=None,
            stack=stack,
            table_ids=[table_id],
            detaching_tables=True,
        )
        self.say(
            f"  continue with: kvtable adopt {self.options.command_target.flags} --table {self.options.table_name}"
        )

    def _import(self, template: Template, table_id: str, previous: dict[str, str] | None) -> None:
        cf = self.clients.cloudformation
        self.say(f"Step: import {self.options.table_name} as {table_id}, as it is")
        parameters = resolve_parameters(
            template,
            {**self.options.parameters, names.TABLE_NAME_PARAMETER: self.options.table_name},
            previous,
        )
        stack = cloudformation.describe_stack(cf, self.options.stack_name)
        if stack is not None and states.holds_nothing_deployed(stack.status):
            stack = None
        to_import = [
            {
                "ResourceType": names.TABLE_TYPE,
                "LogicalResourceId": table_id,
                "ResourceIdentifier": {"TableName": self.options.table_name},
            }
        ]
        self._deployer().apply_change_set(
            body=json.dumps(template, indent=2, sort_keys=True),
            parameters=parameters,
            tags=None,
            stack=stack,
            table_ids=[table_id],
            resources_to_import=to_import,
        )
