"""Bring an existing table under the stack with CloudFormation resource import, in the steps AWS requires.

Two cases:
- the stack exists and its table is to be replaced by another (a restored one): the old table
  leaves the stack but stays as it is (Retain), the other is imported as the stack's table with
  the TableName parameter set to its name, then a normal update brings every setting the
  template promises and points the policies and exports at it;
- no stack exists yet (the table the CDK app built, say): a new stack is created by importing the
  table alone, then a normal update adds the policies and outputs and every setting.

Each step is one stack operation, and the current step is read from the stack itself, so running
the same command again after an interruption continues where it stopped; between steps the stack
stays deployable and its exports keep their values until the last step.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TextIO

from kvtable.cfn import names
from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.deploy import cloudformation as cfn
from kvtable.deploy import states
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.errors import DeployError, RefusedError, UsageError
from kvtable.deploy.options import DeployOptions
from kvtable.deploy.parameters import resolve_parameters
from kvtable.deploy.plan import gsi_definitions
from kvtable.deploy.templates import Template, resources_of_type
from kvtable.recovery.restore import check_table_name, describe_or_none
from kvtable.verify.report import Check
from kvtable.verify.verify import Clients, Verifier, stack_context

Stage = Literal["import into a new stack", "detach the old table", "import the table", "update"]


@dataclass(frozen=True)
class AdoptOptions:
    """What the person asked for."""

    stack_name: str
    table_name: str
    plan_only: bool = False
    parameters: dict[str, str] = field(default_factory=dict)
    template_path: Path | None = None
    poll_seconds: float = 2.0


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


def _replace_references(value: Any, logical_id: str, replacements: dict[str, str]) -> Any:
    """`value` with every reference to `logical_id` (Ref, GetAtt, ${id.Attr} in Sub) and to the keys of
    `replacements` (parameters, `id.Attr`) replaced by the literal values."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in replacements:
            return replacements[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            key = ".".join(target) if isinstance(target, list) else str(target)
            if key in replacements:
                return replacements[key]
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            text = re.sub(
                r"\$\{([^}!]+)\}", lambda m: replacements.get(m.group(1), m.group(0)), value["Fn::Sub"]
            )
            return text if "${" not in text else {"Fn::Sub": text}
        return {k: _replace_references(v, logical_id, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_references(v, logical_id, replacements) for v in value]
    return value


def detached_template(deployed: Template, table_id: str, evaluator: TemplateEvaluator) -> Template:
    """The deployed template without its table, every reference to the table (and to its name
    parameter) in the rest fixed to the old table's literal name and ARN, so that removing the
    table changes nothing else: the policies keep their resources and the exports their values."""
    name = evaluator.values[table_id]
    replacements = {
        table_id: name,
        f"{table_id}.Arn": evaluator.values[f"{table_id}.Arn"],
        names.TABLE_NAME_PARAMETER: name,
    }
    detached = copy.deepcopy(deployed)
    del detached["Resources"][table_id]
    for section in ("Resources", "Outputs"):
        detached[section] = _replace_references(detached.get(section, {}), table_id, replacements)
    for resource in detached["Resources"].values():
        depends = resource.get("DependsOn")
        if depends == table_id or (isinstance(depends, list) and table_id in depends):
            kept = [d for d in ([depends] if isinstance(depends, str) else depends) if d != table_id]
            if kept:
                resource["DependsOn"] = kept
            else:
                resource.pop("DependsOn")
    return detached


def with_table(base: Template, source: Template, table_id: str) -> Template:
    """`base` with the table resource (and the conditions it uses) from `source`."""
    template = copy.deepcopy(base)
    template["Resources"][table_id] = copy.deepcopy(source["Resources"][table_id])
    conditions = source.get("Conditions", {})
    if conditions:
        template.setdefault("Conditions", {}).update(copy.deepcopy(conditions))
    return template


def table_only(source: Template, table_id: str) -> Template:
    """A template holding only the table (an import that creates a stack may hold nothing else)."""
    template = {
        k: copy.deepcopy(v)
        for k, v in source.items()
        if k in ("AWSTemplateFormatVersion", "Parameters", "Conditions")
    }
    template["Description"] = "kvtable: importing an existing table; the next step adds the rest"
    template["Resources"] = {table_id: copy.deepcopy(source["Resources"][table_id])}
    return template


def compatibility_refusals(expected: dict[str, Any], live: dict[str, Any], table_name: str) -> list[str]:
    """Why importing the live table would make the next update fail or replace it: a different key
    schema, key attribute types, or an index key schema (the import itself would succeed)."""
    refusals = []
    want_keys = [(k["AttributeName"], k["KeyType"]) for k in expected.get("KeySchema", [])]
    have_keys = [(k["AttributeName"], k["KeyType"]) for k in live.get("KeySchema", [])]
    if want_keys != have_keys:
        refusals.append(
            f"{table_name}'s key schema is {have_keys}, the template's {want_keys}: an update would replace the table"
        )
    want_types = {a["AttributeName"]: a["AttributeType"] for a in expected.get("AttributeDefinitions", [])}
    have_types = {a["AttributeName"]: a["AttributeType"] for a in live.get("AttributeDefinitions", [])}
    for attribute in sorted(set(want_types) & set(have_types)):
        if want_types[attribute] != have_types[attribute]:
            refusals.append(
                f"attribute {attribute} of {table_name} is of type {have_types[attribute]}, the template's "
                f"{want_types[attribute]}: an update would replace the table"
            )
    live_indexes = {g["IndexName"]: g for g in live.get("GlobalSecondaryIndexes", [])}
    for index_name, index in sorted(gsi_definitions(expected).items()):
        present = live_indexes.get(index_name)
        if present is not None and present.get("KeySchema") != index.get("KeySchema"):
            refusals.append(
                f"index {index_name} of {table_name} has key schema {present.get('KeySchema')}, the template's "
                f"{index.get('KeySchema')}: the update would have to delete and create it"
            )
    return refusals


@dataclass
class Adopter:
    """One adopt run over the clients, for one stack and one table."""

    clients: Clients
    options: AdoptOptions
    template: Template
    body: str
    out: TextIO
    sleep: Callable[[float], None] = field(default=lambda _: None)

    def say(self, line: str) -> None:
        """Write one line of the report."""
        self.out.write(line + "\n")
        self.out.flush()

    def _deployer(self, **options: Any) -> Deployer:
        settings = DeployOptions(
            stack_name=self.options.stack_name,
            template_path=self.options.template_path,
            poll_seconds=self.options.poll_seconds,
            **options,
        )
        return Deployer(
            self.clients.cloudformation, settings, self.out, sleep=self.sleep, dynamodb=self.clients.dynamodb
        )

    # ----- where it stands ---------------------------------------------------

    def _stage(self, stack: cfn.DeployedStack | None, deployed: Template | None, table_id: str) -> Stage:
        if stack is None or deployed is None:
            return "import into a new stack"
        if table_id not in deployed.get("Resources", {}):
            return "import the table"
        physical = cfn.physical_ids(self.clients.cloudformation, stack.name).get(table_id)
        if physical != self.options.table_name:
            return "detach the old table"
        return "update"

    def plan(self) -> tuple[AdoptPlan, cfn.DeployedStack | None, Template | None]:
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
        found = cfn.describe_stack(cf, options.stack_name)
        stack = None if found is None or states.holds_nothing_deployed(found.status) else found
        if stack is not None and not states.is_updatable(stack.status):
            raise DeployError(
                states.blocked_message(stack.name, stack.status)
                or f"stack {stack.name} is {stack.status}; it cannot take a step now"
            )
        deployed = cfn.deployed_template(cf, stack.name) if stack else None
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

    def _export_refusals(self, stack: cfn.DeployedStack) -> list[str]:
        """The table's name and ARN exports change at the last step: no other stack may import them."""
        refusals = []
        for output in (names.OUTPUT_TABLE_NAME, names.OUTPUT_TABLE_ARN):
            export = names.export_name(stack.name, output)
            try:
                importers = cfn.importing_stacks(self.clients.cloudformation, export)
            except Exception as error:
                refusals.append(
                    f"could not list the stacks importing {export} ({type(error).__name__}): grant cloudformation:ListImports"
                )
                continue
            if importers:
                refusals.append(
                    f"{', '.join(importers)} import {export}, which changes to the adopted table's name or ARN: "
                    f"first deploy {', '.join(importers)} with the value given as a parameter instead of the import, "
                    f"then adopt, then switch {', '.join(importers)} back to the import"
                )
        return refusals

    def _steps(self, stage: Stage, stack: cfn.DeployedStack | None, table_id: str) -> list[str]:
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
        """Plan, then (unless only planning) take every step left; returns the exit code."""
        plan, stack, deployed = self.plan()
        self.say(
            f"Adopt {self.options.table_name} into stack {self.options.stack_name}: next step: {plan.stage}"
        )
        for number, step in enumerate(plan.steps, start=1):
            self.say(f"  step {number} of {len(plan.steps)}: {step}")
        if plan.differences:
            self.say("Differences between the live table and the template, which the update fixes:")
            for check in plan.differences:
                self.say(f"  {check.name}: {check.actual} (the template: {check.expected})")
        for refusal in plan.refusals:
            self.say(f"REFUSED: {refusal}")
        if plan.refusals:
            raise RefusedError(f"refused to adopt {self.options.table_name}: {plan.refusals[0]}")
        if self.options.plan_only:
            return 0
        table_id = resources_of_type(self.template, names.TABLE_TYPE)[0]
        if plan.stage == "import into a new stack":
            self._import(table_only(self.template, table_id), table_id, None)
        elif plan.stage == "detach the old table" and stack is not None and deployed is not None:
            old = TemplateEvaluator(deployed, stack_context(stack, stack.parameters, {}))
            detached = detached_template(deployed, table_id, old)
            self._detach(detached, stack, table_id)
            self._import(with_table(detached, deployed, table_id), table_id, stack.parameters)
        elif plan.stage == "import the table" and stack is not None and deployed is not None:
            # An earlier run detached the old table: the deployed template is the detached one.
            self._import(with_table(deployed, self.template, table_id), table_id, stack.parameters)
        self.say(f"Step: update {self.options.stack_name} with the full template")
        overrides = {**self.options.parameters, names.TABLE_NAME_PARAMETER: self.options.table_name}
        self._deployer(parameters=overrides).run()
        self.say(
            f"{self.options.table_name} is now the table of {self.options.stack_name}; check it with "
            f"'kvtable verify --stack-name {self.options.stack_name}'"
        )
        return 0

    def _detach(self, detached: Template, stack: cfn.DeployedStack, table_id: str) -> None:
        self.say(f"Step: remove the old table from {stack.name} (it stays, outside the stack)")
        body = json.dumps(detached, indent=2, sort_keys=True)
        self._deployer().apply_change_set(
            body, stack.parameters, None, stack, [table_id], detaching_tables=True
        )
        self.say(
            f"  continue with: kvtable adopt --stack-name {stack.name} --table {self.options.table_name}"
        )

    def _import(self, template: Template, table_id: str, previous: dict[str, str] | None) -> None:
        cf = self.clients.cloudformation
        self.say(f"Step: import {self.options.table_name} as {table_id}")
        parameters = resolve_parameters(
            template,
            {**self.options.parameters, names.TABLE_NAME_PARAMETER: self.options.table_name},
            previous,
        )
        stack = cfn.describe_stack(cf, self.options.stack_name)
        if stack is not None and states.holds_nothing_deployed(stack.status):
            stack = None
        to_import = [
            {
                "ResourceType": names.TABLE_TYPE,
                "LogicalResourceId": table_id,
                "ResourceIdentifier": {"TableName": self.options.table_name},
            }
        ]
        body = json.dumps(template, indent=2, sort_keys=True)
        self._deployer().apply_change_set(
            body, parameters, None, stack, [table_id], resources_to_import=to_import
        )
