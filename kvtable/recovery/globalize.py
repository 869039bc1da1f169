"""From one region to many: turn the stack's table into a global table without copying data.

The way AWS documents it (aws-samples/amazon-dynamodb-table-to-global-table-cfn), one stack
operation a step, each read back from the stack so that running again continues:

1. turn the table's stream on (NEW_AND_OLD_IMAGES), which replication needs;
2. remove the table from the stack: it is Retain with deletion protection, so it stays;
3. import it as an AWS::DynamoDB::GlobalTable with a single replica, the stack's own region;
4. update with the full global template (policies per region, same exports);
5. add the other regions, one replica per update, waiting for each to be ACTIVE.

The import describes the table as it is, from DynamoDB's own answers, and the update after it
applies what differs from the global template: an import records the template and changes nothing
on the table (CloudFormation User Guide, "Resolve drift with an import operation"). A table whose
stream is not NEW_AND_OLD_IMAGES when it is imported is refused: replication needs that stream.

The exports keep their values throughout: the table's name and its ARN in the stack's region
do not change. No step deletes anything.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from kvtable.cfn import names
from kvtable.cfn.evaluate import TemplateEvaluator
from kvtable.cfn.templates import Template
from kvtable.console.errors import ToolError, UsageError
from kvtable.deploy import cloudformation, states
from kvtable.deploy.cloudformation import stack_context
from kvtable.deploy.deploy import Deployer
from kvtable.deploy.errors import refused
from kvtable.deploy.options import DeployOptions
from kvtable.deploy.replicas import ReplicaWaiter
from kvtable.recovery.adopt_template import detached_template
from kvtable.recovery.live_table import as_global_table, live_properties

STREAM = {"StreamViewType": "NEW_AND_OLD_IMAGES"}


@dataclass(frozen=True)
class GlobalizeOptions:
    """What the person asked for: the stack, and every region the table should live in."""

    stack_name: str
    regions: tuple[str, ...]
    plan_only: bool = False
    poll_seconds: float = 2.0
    # The command's flags (cli/hints.py), for the deploy a missing stack's error names.
    command_flags: str | None = None


@dataclass(frozen=True)
class Step:
    """One stack operation of the conversion."""

    kind: str
    description: str
    regions: tuple[str, ...] = ()


def import_request(table_name: str) -> list[dict[str, Any]]:
    """The IMPORT change set's ResourcesToImport for the table, as a global table."""
    return [
        {
            "ResourceType": names.GLOBAL_TABLE_TYPE,
            "LogicalResourceId": names.TABLE_RESOURCE,
            "ResourceIdentifier": {"TableName": table_name},
        }
    ]


def replica_additions(home: str, regions: tuple[str, ...], present: tuple[str, ...]) -> list[tuple[str, ...]]:
    """The ReplicaRegions value of each update that adds one region, from `present` to every region."""
    current = list(present) or [home]
    steps = []
    for region in regions:
        if region not in current:
            current.append(region)
            steps.append(tuple(current))
    return steps


@dataclass
class Globalizer:
    """One conversion run; `global_template` is the global-table template kvtable builds, and
    `global_body` its text as the last update sends it (None: the template as JSON)."""

    cf: Any
    dynamodb: Any
    options: GlobalizeOptions
    global_template: Template
    out: TextIO
    sleep: Callable[[float], None] = time.sleep
    steps: list[Step] = field(default_factory=list)
    # For the live table's description at the import: whether its key is the AWS-managed one.
    kms: Any = None
    global_body: str | None = None

    def say(self, line: str) -> None:
        """Write one line of the report."""
        self.out.write(line + "\n")
        self.out.flush()

    def _deployer(self, **options: Any) -> Deployer:
        settings = DeployOptions(
            stack_name=self.options.stack_name, poll_seconds=self.options.poll_seconds, **options
        )
        return Deployer(self.cf, settings, self.out, sleep=self.sleep, dynamodb=self.dynamodb)

    def plan(self) -> tuple[list[Step], cloudformation.DeployedStack, Template]:
        """The steps left, read from the stack; changes nothing."""
        stack = cloudformation.existing_stack(self.cf, self.options.stack_name, self.options.command_flags)
        if not states.is_updatable(stack.status):
            raise ToolError(
                states.blocked_message(stack.name, stack.status, self.cf.meta.region_name)
                or f"stack {stack.name} is {stack.status}"
            )
        home = self.cf.meta.region_name
        if home not in self.options.regions:
            raise UsageError(f"--regions must include the stack's own region {home}")
        deployed = cloudformation.deployed_template(self.cf, stack.name)
        resource = deployed.get("Resources", {}).get(names.TABLE_RESOURCE)
        steps: list[Step] = []
        if resource is not None and resource.get("Type") == names.TABLE_TYPE:
            if resource.get("Properties", {}).get("StreamSpecification") != STREAM:
                steps.append(
                    Step("stream", "turn the table's stream on (NEW_AND_OLD_IMAGES), which replication needs")
                )
            steps.append(
                Step(
                    "detach",
                    "remove the table from the stack: it is Retain with deletion protection, so it stays",
                )
            )
        if resource is None or resource.get("Type") == names.TABLE_TYPE:
            steps.append(
                Step("import", f"import the table as an AWS::DynamoDB::GlobalTable with one replica, {home}")
            )
            steps.append(
                Step(
                    "update",
                    "update with the full global template: policies in every replica region, the same exports",
                    (home,),
                )
            )
            present: tuple[str, ...] = (home,)
        else:
            present = tuple(stack.parameters.get(names.REPLICA_REGIONS_PARAMETER, home).split(","))
        for regions in replica_additions(home, self.options.regions, present):
            steps.append(
                Step("replica", f"add the replica in {regions[-1]} and wait until it is ACTIVE", regions)
            )
        return steps, stack, deployed

    def run(self) -> int:
        """Plan, then take every step left."""
        steps, stack, deployed = self.plan()
        self.say(f"Convert stack {stack.name} to a global table in {', '.join(self.options.regions)}:")
        if not steps:
            self.say("  nothing left to do")
        for number, step in enumerate(steps, start=1):
            self.say(f"  step {number} of {len(steps)}: {step.description}")
        importers = self._export_importers(stack)
        if importers:
            self.say(
                f"  (the exports keep their values; {', '.join(importers)} import them and need no change)"
            )
        table_name = stack.parameters.get(names.TABLE_NAME_PARAMETER, "")
        kinds = {step.kind for step in steps}
        if "import" in kinds and "stream" not in kinds:
            refusal = self._stream_refusal(table_name)
            if refusal:
                raise refused(f"convert {table_name}", [refusal], self.say)
        if self.options.plan_only or not steps:
            return 0
        for step in steps:
            self.say(f"Step: {step.description}")
            current = cloudformation.describe_stack(self.cf, stack.name)
            deployed = cloudformation.deployed_template(self.cf, stack.name)
            self._take(step, current, deployed, table_name)
        return 0

    def _export_importers(self, stack: cloudformation.DeployedStack) -> list[str]:
        return cloudformation.importing_stacks(
            self.cf, names.export_name(stack.name, names.OUTPUT_TABLE_NAME)
        )

    def _stream_refusal(self, table_name: str) -> str | None:
        """Why the table cannot be imported as a global table now: its stream is off or of another view
        type, and no step of this run turns it on (the stack's template already says it is on)."""
        table = self.dynamodb.describe_table(TableName=table_name)["Table"]
        stream = table.get("StreamSpecification") or {}
        view = stream.get("StreamViewType") if stream.get("StreamEnabled") else None
        if view == STREAM["StreamViewType"]:
            return None
        return (
            f"the stream of {table_name} is {view or 'off'}, and a global table's replication needs "
            "NEW_AND_OLD_IMAGES: set it with UpdateTable (StreamEnabled true, StreamViewType NEW_AND_OLD_IMAGES; "
            "turn a stream of another view type off first), then run again"
        )

    def _importing(self, deployed: Template, table_name: str) -> Template:
        """`deployed` with the table as it is, described as a global table with one replica, here."""
        live = self.dynamodb.describe_table(TableName=table_name)["Table"]
        properties = live_properties(self.dynamodb, self.kms, live, set())
        resource = copy.deepcopy(self.global_template["Resources"][names.TABLE_RESOURCE])
        resource["Properties"] = as_global_table(properties, self.cf.meta.region_name)
        importing = copy.deepcopy(deployed)
        importing["Resources"][names.TABLE_RESOURCE] = resource
        return importing

    def _take(
        self, step: Step, stack: cloudformation.DeployedStack | None, deployed: Template, table_name: str
    ) -> None:
        if stack is None:
            raise ToolError(f"stack {self.options.stack_name} disappeared during the conversion")
        if step.kind == "stream":
            streamed = copy.deepcopy(deployed)
            streamed["Resources"][names.TABLE_RESOURCE]["Properties"]["StreamSpecification"] = STREAM
            self._apply(streamed, stack, stack.parameters)
        elif step.kind == "detach":
            old = TemplateEvaluator(deployed, stack_context(stack, stack.parameters, {}))
            detached = detached_template(deployed, names.TABLE_RESOURCE, old)
            self._apply(detached, stack, stack.parameters, detaching_tables=True)
        elif step.kind == "import":
            importing = self._importing(deployed, table_name)
            for name in (names.REPLICA_REGIONS_PARAMETER, names.CONTRIBUTOR_INSIGHTS_PARAMETER):
                importing.setdefault("Parameters", {})[name] = self.global_template["Parameters"][name]
            parameters = {**stack.parameters, names.REPLICA_REGIONS_PARAMETER: self.cf.meta.region_name}
            parameters = {k: v for k, v in parameters.items() if k in importing["Parameters"]}
            self._apply(importing, stack, parameters, resources_to_import=import_request(table_name))
        else:
            regions = ",".join(step.regions)
            body = self.global_body or json.dumps(self.global_template, indent=2, sort_keys=True)
            self._deployer(
                parameters={names.REPLICA_REGIONS_PARAMETER: regions}, template=(body, self.global_template)
            ).run()
        if step.kind == "replica":
            self._wait_for_replica(table_name, step.regions)

    def _apply(
        self, template: Template, stack: cloudformation.DeployedStack, parameters: dict[str, str], **kind: Any
    ) -> None:
        """One change set on the stack's table: `kind` makes it an import or a detaching update."""
        self._deployer().apply_change_set(
            body=json.dumps(template, indent=2, sort_keys=True),
            parameters=parameters,
            tags=None,
            stack=stack,
            table_ids=[names.TABLE_RESOURCE],
            **kind,
        )

    def _wait_for_replica(self, table_name: str, regions: tuple[str, ...]) -> None:
        waiter = ReplicaWaiter(
            self.dynamodb, self.out, poll_seconds=self.options.poll_seconds, sleep=self.sleep
        )
        waiter.wait(table_name, regions, f"replica {regions[-1]}")
