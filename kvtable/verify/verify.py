"""Read the live stack, table and policies, and check each promise the template makes.

Read-only: every call is a Describe, Get or List, plus CloudFormation's DetectStackDrift,
which starts a read of the stack's resources and changes none of them.

`Verifier` is the front its callers use (the command, restore, adopt); each group of checks is
a class of its own: the stack's (stack_checks), a table's (table_checks), the alarms'
(alarm_checks), CloudFormation's drift detection (drift_checks), and the managed policies' here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TextIO

from kvtable.cfn import names
from kvtable.cfn.evaluate import TemplateEvaluator
from kvtable.cfn.templates import Template, resources_of_type
from kvtable.console.errors import UsageError
from kvtable.deploy import cloudformation
from kvtable.deploy.aws_state import Clients, normalized_policy
from kvtable.deploy.cloudformation import stack_context
from kvtable.verify.alarm_checks import AlarmChecks
from kvtable.verify.checking import Recording, Unavailable, read
from kvtable.verify.drift_checks import DriftChecks
from kvtable.verify.report import Check, Report
from kvtable.verify.stack_checks import StackChecks
from kvtable.verify.table_checks import TableChecks, replica_properties


@dataclass
class Verifier(Recording):
    """One verify run over a stack: `expected` is the template the code builds (or a given file)."""

    clients: Clients
    stack_name: str
    expected: Template
    out: TextIO | None = None
    poll_seconds: float = 5.0
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], datetime] = lambda: datetime.now(UTC)
    checks: list[Check] = field(default_factory=list)
    # The command's flags (cli/hints.py), for the deploy a missing stack's error names.
    command_flags: str | None = None

    # ----- the run -----------------------------------------------------------

    def run(self) -> Report:
        """Make every check and return the report. Raises UsageError for a stack that is not there."""
        cf = self.clients.cloudformation
        stack = cloudformation.existing_stack(cf, self.stack_name, self.command_flags)
        resources = cloudformation.physical_ids(cf, self.stack_name)
        table_ids = resources_of_type(self.expected, *names.TABLE_TYPES)
        if not table_ids or table_ids[0] not in resources:
            raise UsageError(
                f"stack {self.stack_name} has no DynamoDB table {names.TABLE_RESOURCE}; is it a kvtable "
                "database stack? (verify checks the database template)"
            )
        context = stack_context(stack, stack.parameters, resources)
        evaluator = TemplateEvaluator(self.expected, context)
        self.say(f"verifying stack {stack.name} in {context.region} (account {context.account})")
        StackChecks(self.clients, self.expected, self.checks, self.out).run(stack, table_ids, evaluator)
        table_id = table_ids[0]
        if self.expected["Resources"][table_id]["Type"] == names.GLOBAL_TABLE_TYPE:
            self.replica_checks(evaluator, table_id, resources[table_id], stack.tags)
        else:
            self._tables().run(evaluator.resource_properties(table_id), resources[table_id], stack.tags)
        self._policy_checks(evaluator, resources)
        self._alarm_checks(evaluator, resources)
        self._drift_checks()
        return Report(self.stack_name, self.clock(), tuple(self.checks))

    def check_table(
        self, evaluator: TemplateEvaluator, table_name: str, table_id: str, tags: dict[str, str]
    ) -> list[Check]:
        """The table's checks against the template as `evaluator` evaluates it; the checks are also kept."""
        first = len(self.checks)
        self._tables().run(evaluator.resource_properties(table_id), table_name, tags)
        return self.checks[first:]

    def replica_checks(
        self, evaluator: TemplateEvaluator, table_id: str, table_name: str, tags: dict[str, str]
    ) -> None:
        """A global table's checks, made in each replica's own region against that replica's settings,
        each named `replica.<region>.table.<check>`."""
        props = evaluator.resource_properties(table_id)
        for replica in props.get("Replicas", []):
            region = str(replica["Region"])
            if self.clients.for_region is None:
                self.unchecked(
                    f"replica.{region}", "checked in its region", Unavailable("no regional clients")
                )
                continue
            regional = TableChecks(self.clients.for_region(region), [])
            regional.run(replica_properties(props, replica), table_name, tags)
            self.checks += [
                Check(f"replica.{region}.{c.name}", c.expected, c.actual, c.status) for c in regional.checks
            ]

    def table_report(self, table_name: str) -> Report:
        """The table's checks alone, for a table that is not (yet) the stack's, such as a restored one:
        the template is evaluated as if its TableName parameter named that table."""
        stack = cloudformation.existing_stack(
            self.clients.cloudformation, self.stack_name, self.command_flags
        )
        table_id = resources_of_type(self.expected, names.TABLE_TYPE)[0]
        parameters = {**stack.parameters, names.TABLE_NAME_PARAMETER: table_name}
        evaluator = TemplateEvaluator(self.expected, stack_context(stack, parameters, {table_id: table_name}))
        self._tables().run(evaluator.resource_properties(table_id), table_name, stack.tags)
        return Report(table_name, self.clock(), tuple(self.checks))

    # ----- the groups of checks, recording into this run's checks ------------

    def _tables(self) -> TableChecks:
        return TableChecks(self.clients, self.checks, self.out)

    def _alarm_checks(self, evaluator: TemplateEvaluator, resources: dict[str, str]) -> None:
        AlarmChecks(self.clients, self.expected, self.checks, self.out).run(evaluator, resources)

    def _drift_checks(self) -> None:
        drift = DriftChecks(
            self.clients, self.stack_name, self.checks, self.out, self.poll_seconds, self.sleep
        )
        drift.run()

    def _policy_checks(self, evaluator: TemplateEvaluator, resources: dict[str, str]) -> None:
        """Each managed policy's default version against the template's document."""
        iam = self.clients.iam
        for logical_id in resources_of_type(self.expected, names.MANAGED_POLICY_TYPE):
            name = f"policy.{logical_id}"
            expected = normalized_policy(evaluator.resource_properties(logical_id)["PolicyDocument"])
            arn = resources.get(logical_id)
            if not arn:
                self.record(name, expected, "missing from the stack", False)
                continue

            def default_document(arn: str = arn) -> Any:
                version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
                return iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]

            self.compare(name, expected, read("iam:GetPolicyVersion", default_document), normalized_policy)
