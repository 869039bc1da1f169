"""Deploy a stack safely: validate, plan from the templates, preview a change set, refuse what
would replace or remove the table, execute while following events, then protect the stack.

`Deployer` is the front its callers use (the command, restore, adopt, globalize): it keeps the stack's
state, the plan and its refusals, and the protection; the change-set lifecycle is `ChangeSetRun`
(change_set.py), and the stepwise orchestration `StepwiseRun` (stepwise_run.py). The template comes as
data (`DeployOptions.template`, which the cli builds) or from a file."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from botocore.exceptions import ClientError
from botocore.parsers import ResponseParserError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.aws.errors import error_code
from kvtable.aws.names import check_stack_name, check_tags
from kvtable.cfn.intrinsics import resolve
from kvtable.cfn.names import TABLE_TYPES
from kvtable.cfn.templates import LoadedTemplate, Template, load_template, resources_of_type
from kvtable.console.columns import aligned
from kvtable.console.errors import RefusedError, ToolError, UsageError
from kvtable.deploy import cloudformation, states
from kvtable.deploy.aws_state import describe_or_none
from kvtable.deploy.change_set import ChangeSetRun
from kvtable.deploy.errors import ImportersUnknownError, refused
from kvtable.deploy.options import ALLOW_REPLACEMENT_FLAG, DeployOptions
from kvtable.deploy.parameters import check_overrides, resolve_parameters
from kvtable.deploy.plan import DeployPlan, compute_plan
from kvtable.deploy.rules import check_rules
from kvtable.deploy.stepwise_run import StepwiseRun
from kvtable.deploy.stepwise_steps import Step, stepwise_steps

# The tag CloudFormation puts on each resource it creates, naming the stack.
STACK_NAME_TAG = "aws:cloudformation:stack-name"


def update_rollback_failed_message(
    stack_name: str, failures: list[tuple[str, str]], status: str, region: str | None = None
) -> str:
    """One line: why the stack is stuck, and the exact continue-update-rollback to run (in `region`)."""
    reasons = "; ".join(f"{logical_id}: {reason}" for logical_id, reason in failures) or "see its events"
    skip = " ".join(logical_id for logical_id, _ in failures)
    return (
        f"stack {stack_name} is {status}, so it cannot be updated (rollback failed on {reasons}); "
        f"fix the cause if you can, then run: aws cloudformation continue-update-rollback --stack-name {stack_name}"
        + states.region_flag(region)
        + (f" --resources-to-skip {skip}" if skip else "")
        + ", and deploy again"
    )


@dataclass
class Deployer:
    """One deploy run, over a CloudFormation client, writing its report to `out`."""

    cf: CloudFormationClient
    options: DeployOptions
    out: TextIO = sys.stdout
    sleep: Callable[[float], None] = time.sleep
    # For waiting on index backfills; without it a deploy does not wait.
    dynamodb: DynamoDBClient | None = None
    # Every wait's deadline reads it, so a test can run out the clock without waiting.
    clock: Callable[[], float] = time.monotonic

    def say(self, line: str = "") -> None:
        """Write one line of the report."""
        self.out.write(line + "\n")

    # ----- stack states ---------------------------------------------------

    def _prepare_stack_for_update(
        self, stack: cloudformation.DeployedStack
    ) -> cloudformation.DeployedStack | None:
        """The stack to update, or None for a fresh create. Refuses states that cannot be deployed, and
        DELETES a stack left empty by a failed first create (except when only planning)."""
        status = stack.status
        if states.holds_nothing_deployed(status):
            return None
        if states.rollback_failed(status):
            raise ToolError(
                update_rollback_failed_message(
                    stack.name,
                    cloudformation.failed_resources(self.cf, stack.name),
                    status,
                    self.cf.meta.region_name,
                )
            )
        blocked = states.blocked_message(stack.name, status, self.cf.meta.region_name)
        if blocked is not None:
            raise ToolError(blocked)
        if states.must_be_recreated(status):
            remaining = cloudformation.remaining_resources(self.cf, stack.name)
            if remaining:
                raise ToolError(
                    f"stack {stack.name} is {status} after a failed first create and still holds "
                    f"{', '.join(remaining)}; delete or import those by hand, delete the stack, then deploy"
                )
            if self.options.plan_only:
                self.say(
                    f"stack {stack.name} is {status} and holds nothing: a deploy deletes it and creates it anew"
                )
                return None
            self.say(
                f"stack {stack.name} is {status} after a failed first create and holds nothing: deleting it"
            )
            cloudformation.delete_empty_stack(
                self.cf, stack, self.options.poll_seconds, self.sleep, self.clock
            )
            return None
        if not states.is_updatable(status):
            raise ToolError(f"stack {stack.name} is {status}, which kvtable does not know how to deploy over")
        return stack

    # ----- the plan -------------------------------------------------------

    def _export_refusals(self, plan: DeployPlan) -> list[str]:
        """Refusals for exports that would change while another stack imports them. When the lookup
        itself fails (access denied, an API the endpoint lacks), importing_stacks refuses; here that
        refusal is one of the plan's, with a warning, so every export's verdict is listed."""
        refusals = []
        for export in plan.affected_exports:
            try:
                importers = cloudformation.importing_stacks(self.cf, export)
            except ImportersUnknownError as unknown:
                self.say(
                    f"WARNING: could not list the stacks importing {export} (ListImports: {unknown.reason}); "
                    "treating it as imported"
                )
                refusals.append(
                    f"export {export} would change or disappear, and ListImports could not say whether another "
                    f"stack imports it ({unknown.reason}); grant cloudformation:ListImports, or make sure no "
                    "stack imports it, then deploy again"
                )
                continue
            if importers:
                refusals.append(
                    f"export {export} would change or disappear, but {', '.join(importers)} import it; AWS "
                    f'fails such an update ("Export {export} cannot be updated as it is in use by ..."): '
                    "deploy the importing stacks without it first"
                )
        return refusals

    def _print_plan(self, plan: DeployPlan, creating: bool) -> None:
        verb = "create" if creating else "update"
        self.say(f"Plan for stack {self.options.stack_name} ({verb}), from the templates:")
        if not plan.has_changes:
            self.say("  no changes")
        rows = []
        for change in plan.changes:
            replace = "replace: YES" if change.replacement else "replace: no"
            detail = f"  ({', '.join(change.properties)})" if change.properties else ""
            rows.append((change.action, change.logical_id, change.resource_type, replace + detail))
        for line in aligned(rows, indent="  "):
            self.say(line)
        if plan.changed_parameters:
            self.say(f"  parameters changing: {', '.join(plan.changed_parameters)}")

    def _refuse_or_warn(self, refusals: list[str], source: str) -> None:
        if not refusals:
            return
        if self.options.allow_table_replacement:
            for refusal in refusals:
                self.say(f"WARNING ({source}, allowed by {ALLOW_REPLACEMENT_FLAG}): {refusal}")
            return
        raise refused(f"deploy {self.options.stack_name}", refusals, self.say, f"REFUSED ({source})")

    def _refuse_existing_tables(self, template: Template, parameters: dict[str, str]) -> None:
        """Creating the stack would fail on a table name that is taken, and roll back: refuse it first,
        naming the stack that holds the table, or the adopt that brings it under this one. Needs the
        DynamoDB client (without it, nothing is checked)."""
        if self.dynamodb is None:
            return
        stack_name = self.options.stack_name
        for table_id in resources_of_type(template, *TABLE_TYPES):
            properties = template["Resources"][table_id].get("Properties", {})
            name = resolve(properties.get("TableName"), parameters, stack_name)
            if not isinstance(name, str):
                continue  # CloudFormation names it: no name to collide with
            try:
                table = describe_or_none(self.dynamodb, name)
            except ClientError as error:
                self.say(
                    f"WARNING: could not check whether table {name} exists (DescribeTable: "
                    f"{error_code(error)}); if it does, creating {stack_name} fails on it and rolls back"
                )
                continue
            if table is None:
                continue
            adopt = (
                f"kvtable adopt {self.options.command_flags or f'--stack-name {stack_name}'} --table {name}"
            )
            owner, source = self._table_owner(self.dynamodb, name, table["TableArn"])
            if owner is None or owner == stack_name:
                where = {
                    "stack": "outside any stack",
                    "tags": "outside any stack, as far as its tags say",
                    "unknown": "and whether a stack holds it could not be checked",
                }[source]
                if owner == stack_name:
                    # The stack does not exist: the table outlived an earlier one of that name (retained).
                    where = f"left by an earlier stack named {stack_name} (retained when it was deleted)"
                raise RefusedError(
                    f"table {name} already exists, {where}, so creating stack {stack_name} would fail "
                    f"on it and roll back: to make it this stack's table, run: {adopt}; or choose another TableName"
                )
            raise RefusedError(
                f"table {name} already exists and belongs to stack {owner}, so creating stack {stack_name} would "
                f"fail on it and roll back: to deploy that stack, name it (--stack-name {owner}); to move the table "
                f"here, remove it from {owner} (it is retained), then run: {adopt}; or choose another TableName"
            )

    def _table_owner(
        self, dynamodb: DynamoDBClient, table_name: str, table_arn: str
    ) -> tuple[str | None, str]:
        """The stack that holds the table (None: none) and where that came from: "stack" from
        DescribeStackResources by its name, else (when that lookup fails) "tags", the
        aws:cloudformation:stack-name tag CloudFormation gives what it creates, else "unknown"."""
        try:
            return cloudformation.stack_holding(self.cf, table_name, TABLE_TYPES), "stack"
        except (ClientError, ResponseParserError):
            pass
        try:
            tags = dynamodb.list_tags_of_resource(ResourceArn=table_arn).get("Tags", [])
        except (ClientError, ResponseParserError):
            return None, "unknown"
        return next((t["Value"] for t in tags if t["Key"] == STACK_NAME_TAG), None), "tags"

    def _ensure_protection(
        self, stack_name: str, table_ids: list[str], stack: cloudformation.DeployedStack | None
    ) -> None:
        if not table_ids:
            return
        policy = cloudformation.current_stack_policy(self.cf, stack_name)
        if (
            stack is not None
            and stack.termination_protection
            and cloudformation.policy_protects(policy, table_ids)
        ):
            return
        cloudformation.protect_stack(self.cf, stack_name, table_ids)
        self.say(
            f"protected {stack_name}: termination protection on; stack policy denies "
            f"Update:Replace and Update:Delete on {', '.join(table_ids)}"
        )

    def print_outputs(self, stack_name: str, outputs: list[dict[str, Any]]) -> None:
        """Print the stack's outputs and their export names."""
        self.say(f"Outputs of {stack_name}:")
        if not outputs:
            self.say("  (none reported)")
        rows = [(o["OutputKey"], o["OutputValue"], f"export: {o.get('ExportName') or '-'}") for o in outputs]
        for line in aligned(rows, indent="  "):
            self.say(line)

    def _template(self) -> LoadedTemplate:
        """The template's text and parsed body, with the parameter overrides checked before any call."""
        options = self.options
        if options.template is not None:
            body, template = options.template
        elif options.template_path is not None:
            body, template = load_template(options.template_path)
        else:
            # The cli always hands a template down; an importer of DeployOptions must give one too.
            raise UsageError("no template to deploy: give DeployOptions a template or a template_path")
        check_overrides(template, self.options.file_parameters, self.options.settings_file)
        check_overrides(template, self.options.parameters)
        return body, template

    # ----- the whole run --------------------------------------------------

    def run(self) -> int:
        """Deploy (or with plan_only, only plan). Raises ToolError subclasses with one-line messages."""
        options = self.options
        check_stack_name(options.stack_name)
        if options.tags is not None:
            check_tags(options.tags)
        body, template = self._template()
        table_ids = resources_of_type(template, *TABLE_TYPES)

        found = cloudformation.describe_stack(self.cf, options.stack_name)
        if found is not None and options.stepwise and states.is_busy(found.status) and not options.plan_only:
            found = self._wait_until_settled(found)
        stack = self._prepare_stack_for_update(found) if found is not None else None
        parameters = resolve_parameters(template, options.parameters, stack.parameters if stack else None)
        check_rules(template, parameters, self.cf.meta.region_name, options.stack_name)
        old_template: Template | None = (
            cloudformation.deployed_template(self.cf, options.stack_name) if stack else None
        )
        old_parameters = stack.parameters if stack else {}
        plan = compute_plan(options.stack_name, old_template, old_parameters, template, parameters)
        # Protect the tables the deployed stack has, too: a template without them is refused below.
        if old_template is not None:
            table_ids = sorted(set(table_ids) | set(resources_of_type(old_template, *TABLE_TYPES)))
        self._print_plan(plan, creating=stack is None)
        if stack is None:
            self._refuse_existing_tables(template, parameters)
        steps, replica_stepwise = self._stepwise(
            plan,
            body=body,
            template=template,
            parameters=parameters,
            old_template=old_template,
            old_parameters=old_parameters,
        )
        if options.plan_only:
            return 0

        tags_change = stack is not None and options.tags is not None and options.tags != stack.tags
        if stack is not None and not plan.has_changes and not tags_change:
            self.say(f"stack {options.stack_name} is up to date: nothing to deploy")
            self._ensure_protection(options.stack_name, table_ids, stack)
            self.print_outputs(options.stack_name, stack.outputs)
            return 0

        if steps and old_template is not None:
            self._steps().run_index_steps(steps, old_template, old_parameters, table_ids)
        elif replica_stepwise and old_template is not None:
            self._steps().run_replica_steps(plan.replica_steps, body, parameters, old_parameters, table_ids)
        elif not self._change_set_run(plan, body, template, parameters, stack=stack, table_ids=table_ids):
            return 0
        self._ensure_protection(options.stack_name, table_ids, None)
        deployed = cloudformation.describe_stack(self.cf, options.stack_name)
        self.print_outputs(options.stack_name, deployed.outputs if deployed else [])
        return 0

    def _change_set_run(
        self,
        plan: DeployPlan,
        body: str,
        template: Template,
        parameters: dict[str, str],
        *,
        stack: cloudformation.DeployedStack | None,
        table_ids: list[str],
    ) -> bool:
        """The deploy as one change set, then the wait for the indexes it creates; False if nothing was
        applied (the change set held no changes)."""
        applied = self.apply_change_set(
            body=body, parameters=parameters, tags=self.options.tags, stack=stack, table_ids=table_ids
        )
        if not applied:
            return False
        if stack is not None and any(op.action == "create" for op in plan.index_operations):
            table_id = plan.index_operations[0].table_id
            steps_run = self._steps()
            steps_run.wait_for_indexes(
                table_id, steps_run.index_names(template, parameters, table_id), "deploy"
            )
        return True

    def _stepwise(
        self,
        plan: DeployPlan,
        *,
        body: str,
        template: Template,
        parameters: dict[str, str],
        old_template: Template | None,
        old_parameters: dict[str, str],
    ) -> tuple[list[Step], bool]:
        """Refuse what the plan refuses (less what --stepwise runs one update at a time); return the index
        steps, and whether the replica changes run one per update. Printed, for --plan to show."""
        stepwise = self.options.stepwise and len(plan.index_operations) > 1
        replica_stepwise = self.options.stepwise and len(plan.replica_steps) > 1
        if stepwise and replica_stepwise:
            raise RefusedError("change the indexes and the replica regions in separate deploys")
        waived = {
            plan.index_refusal if stepwise else None,
            plan.replica_refusal if replica_stepwise else None,
        }
        # What the templates decide stands first, whatever a later lookup does.
        self._refuse_or_warn([r for r in plan.all_refusals if r not in waived], "plan")
        self._refuse_or_warn(self._export_refusals(plan), "plan")
        steps: list[Step] = []
        if stepwise and old_template is not None:
            steps = stepwise_steps(
                self.options.stack_name,
                deployed=old_template,
                deployed_parameters=old_parameters,
                new_body=body,
                new=template,
                new_parameters=parameters,
                operations=plan.index_operations,
            )
            self._steps().print_steps(steps)
        if replica_stepwise:
            count = len(plan.replica_steps)
            self.say(f"Stepwise: {count} updates, one replica change each (removals first):")
            for number, regions in enumerate(plan.replica_steps, start=1):
                self.say(f"  step {number} of {count}: replicas in {', '.join(regions)}")
        return steps, replica_stepwise

    # ----- the jobs it hands on -------------------------------------------------

    def _change_sets(self) -> ChangeSetRun:
        return ChangeSetRun(
            self.cf,
            self.options,
            self.out,
            self._refuse_or_warn,
            self._ensure_protection,
            self.sleep,
            self.clock,
        )

    def _steps(self) -> StepwiseRun:
        return StepwiseRun(
            self.cf,
            self.options,
            self.out,
            self.apply_change_set,
            self._refuse_or_warn,
            self.sleep,
            self.clock,
            self.dynamodb,
        )

    def apply_change_set(
        self,
        *,
        body: str,
        parameters: dict[str, str],
        tags: dict[str, str] | None,
        stack: cloudformation.DeployedStack | None,
        table_ids: list[str],
        resources_to_import: list[dict[str, Any]] | None = None,
        detaching_tables: bool = False,
    ) -> bool:
        """Create, check and execute one change set, following its events; False if it changed nothing.

        With `resources_to_import` it is an IMPORT change set. `detaching_tables` is for a template that
        removes a Retain table on purpose (adopting another table): the removal is expected, and the
        stack policy that denies it is lifted for this one update."""
        options = self.options
        creating = stack is None
        change_sets = self._change_sets()
        change_set_type = "IMPORT" if resources_to_import else ("CREATE" if creating else "UPDATE")
        name, arn = change_sets.create(body, parameters, tags, change_set_type, resources_to_import)
        try:
            if not change_sets.check(arn, stack, table_ids, detaching_tables):
                return False
        except BaseException:
            change_sets.discard(arn, created_stack=creating)
            raise
        if (options.allow_table_replacement or detaching_tables) and not creating:
            cloudformation.allow_all_updates(self.cf, options.stack_name)
        change_sets.execute(name, arn)
        return True

    def _wait_until_settled(self, stack: cloudformation.DeployedStack) -> cloudformation.DeployedStack | None:
        """Follow a stack that is busy (a stepwise deploy interrupted mid-update) until it settles."""
        self.say(f"stack {stack.name} is {stack.status}: waiting for it to settle before continuing")
        cloudformation.follow_stack_events(
            self.cf,
            stack_name=stack.name,
            marker=cloudformation.newest_event_id(self.cf, stack.name),
            out=self.out,
            poll_seconds=self.options.poll_seconds,
            sleep=self.sleep,
            clock=self.clock,
        )
        return cloudformation.describe_stack(self.cf, stack.name)
