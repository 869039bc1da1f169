"""The CloudFormation calls a deploy makes, each a small function over a boto3 client; and what a
deployed stack tells verify, restore and adopt (where it and its table live, its template's context)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO, cast

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient

from kvtable.aws.names import StackLocation, arn_parts
from kvtable.cfn import names
from kvtable.cfn.evaluate import StackContext
from kvtable.cfn.templates import Template, parse_template
from kvtable.console.errors import ToolError, UsageError
from kvtable.deploy import states
from kvtable.deploy.errors import (
    ImportersUnknownError,
    NotImportedError,
    StackMissingError,
    StackNotFoundError,
    cloudformation_errors,
)

NO_CHANGE_REASONS = ("didn't contain changes", "No updates are to be performed")
CHANGE_SET_WAIT_SECONDS = 600
STACK_WAIT_SECONDS = 3 * 3600


@dataclass(frozen=True)
class DeployedStack:
    """What describe_stacks says of a stack."""

    name: str
    stack_id: str
    status: str
    parameters: dict[str, str]
    tags: dict[str, str]
    outputs: list[dict[str, Any]]
    termination_protection: bool


def describe_stack(cf: CloudFormationClient, name: str) -> DeployedStack | None:
    """The stack, or None if there is none by that name."""
    try:
        with cloudformation_errors("DescribeStacks"):
            stacks = cf.describe_stacks(StackName=name)["Stacks"]
    except StackNotFoundError:
        return None
    stack = stacks[0]
    return DeployedStack(
        name=stack["StackName"],
        stack_id=stack["StackId"],
        status=stack["StackStatus"],
        parameters={p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters", [])},
        tags={t["Key"]: t["Value"] for t in stack.get("Tags", [])},
        outputs=[dict(o) for o in stack.get("Outputs", [])],
        termination_protection=bool(stack.get("EnableTerminationProtection", False)),
    )


def existing_stack(cf: CloudFormationClient, name: str, flags: str | None = None) -> DeployedStack:
    """The stack, for a command that needs one deployed; StackMissingError (exit 2) when there is none,
    naming the stack, the region and the deploy to run, with the command's `flags` (cli/hints.py)."""
    stack = describe_stack(cf, name)
    if stack is None:
        raise StackMissingError(name, cf.meta.region_name, flags)
    return stack


def stack_holding(cf: CloudFormationClient, physical_id: str, resource_types: Collection[str]) -> str | None:
    """The name of the stack that holds the resource `physical_id` (of one of `resource_types`), from
    DescribeStackResources by physical id; None when no stack does (AWS answers "Stack for ... does
    not exist"). Any other failure propagates."""
    try:
        with cloudformation_errors("DescribeStackResources"):
            found = cf.describe_stack_resources(PhysicalResourceId=physical_id)["StackResources"]
    except StackNotFoundError:
        return None
    for resource in found:
        if (
            resource.get("PhysicalResourceId") == physical_id
            and resource.get("ResourceType") in resource_types
        ):
            return resource["StackName"]
    return None


def deployed_template(cf: CloudFormationClient, name: str) -> Template:
    """The template the stack was last deployed with, as submitted."""
    body = cf.get_template(StackName=name, TemplateStage="Original")["TemplateBody"]
    return parse_template(body, f"the deployed template of {name}")


def physical_ids(cf: CloudFormationClient, stack_name: str) -> dict[str, str]:
    """Each resource's physical id by logical id. Entries without a logical id are passed over: moto
    lists resource types it cannot create (CloudWatch alarms) that way, and answers the one-resource
    call, DescribeStackResource, with an error for any stack that holds them."""
    resources = cf.describe_stack_resources(StackName=stack_name)["StackResources"]
    return {
        r["LogicalResourceId"]: r.get("PhysicalResourceId", "")
        for r in resources
        if r.get("LogicalResourceId")
    }


def importing_stacks(cf: CloudFormationClient, export_name: str) -> list[str]:
    """Stacks that import the export (AWS answers ValidationError when there are none).

    Any other failure of ListImports (access denied, an endpoint without it) raises
    ImportersUnknownError, a refusal: AWS fails an update that changes an export in use, and
    without the answer nothing can say the export is not in use."""
    stacks: list[str] = []
    try:
        with cloudformation_errors("ListImports", lambda reason: ImportersUnknownError(export_name, reason)):
            for page in cf.get_paginator("list_imports").paginate(ExportName=export_name):
                stacks.extend(page.get("Imports", []))
    except NotImportedError:
        return []
    return sorted(stacks)


def create_change_set(
    cf: CloudFormationClient,
    *,
    stack_name: str,
    change_set_name: str,
    template_body: str,
    parameters: dict[str, str],
    tags: dict[str, str] | None,
    change_set_type: str,
    resources_to_import: list[dict[str, Any]] | None = None,
) -> str:
    """Create a change set (CREATE, UPDATE, or IMPORT with the resources to import); return its ARN."""
    request: dict[str, Any] = {
        "StackName": stack_name,
        "ChangeSetName": change_set_name,
        "TemplateBody": template_body,
        "ChangeSetType": change_set_type,
        "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())],
        # The managed policies have generated names, so CAPABILITY_IAM is enough.
        "Capabilities": ["CAPABILITY_IAM"],
        "Description": "kvtable deploy",
    }
    if tags is not None:
        request["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    if resources_to_import:
        request["ResourcesToImport"] = resources_to_import
    return cf.create_change_set(**request)["Id"]


def wait_for_change_set(
    cf: CloudFormationClient,
    arn: str,
    poll_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, Any]:
    """describe_change_set once it is created or failed, with every page of Changes."""
    deadline = clock() + CHANGE_SET_WAIT_SECONDS
    delay = poll_seconds
    while True:
        described = dict(cf.describe_change_set(ChangeSetName=arn))
        if described["Status"] in states.CHANGE_SET_SETTLED:
            break
        if clock() > deadline:
            raise ToolError(f"change set {arn} was not ready after {CHANGE_SET_WAIT_SECONDS}s")
        sleep(delay)
        delay = min(delay * 2, 10.0) if delay else 0
    changes: list[Any] = list(cast(list[Any], described.get("Changes", [])))
    token = cast(str | None, described.get("NextToken"))
    while token:
        page = cf.describe_change_set(ChangeSetName=arn, NextToken=token)
        changes.extend(page.get("Changes", []))
        token = page.get("NextToken")
    described["Changes"] = changes
    return described


def is_empty_change_set(described: dict[str, Any]) -> bool:
    """Whether CloudFormation failed the change set because it changes nothing."""
    reason = str(described.get("StatusReason", ""))
    return described["Status"] in states.CHANGE_SET_FAILED and any(
        text in reason for text in NO_CHANGE_REASONS
    )


def newest_event_id(cf: CloudFormationClient, stack_name: str) -> str | None:
    """The id of the stack's most recent event, to follow only what comes after it."""
    events = cf.describe_stack_events(StackName=stack_name).get("StackEvents", [])
    return events[0]["EventId"] if events else None


def _events_since(cf: CloudFormationClient, stack_name: str, marker: str | None) -> list[dict[str, Any]]:
    """Events newer than `marker`, oldest first (describe_stack_events lists newest first)."""
    newer: list[dict[str, Any]] = []
    for page in cf.get_paginator("describe_stack_events").paginate(StackName=stack_name):
        for event in page.get("StackEvents", []):
            if event["EventId"] == marker:
                return list(reversed(newer))
            newer.append(dict(event))
        if marker is None:
            break
    return list(reversed(newer))


def follow_stack_events(
    cf: CloudFormationClient,
    *,
    stack_name: str,
    marker: str | None,
    out: TextIO,
    poll_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    id_width: int = 24,
) -> tuple[str, str | None]:
    """Print events as they happen until the stack settles; return its status and the first failure.
    The logical ids take `id_width` columns (the longest the change set names, to keep them aligned)."""
    first_failure: str | None = None
    deadline = clock() + STACK_WAIT_SECONDS
    while True:
        events = _events_since(cf, stack_name, marker)
        for event in events:
            reason = event.get("ResourceStatusReason") or ""
            status = event["ResourceStatus"]
            line = f"  {event['Timestamp']:%H:%M:%S}  {event['LogicalResourceId']:<{id_width}} {status:<28} {reason}"
            out.write(line.rstrip() + "\n")
            is_stack = event.get("ResourceType") == "AWS::CloudFormation::Stack"
            failing = status in states.RESOURCE_FAILED or (is_stack and status in states.ROLLING_BACK)
            if first_failure is None and failing and reason:
                first_failure = f"{event['LogicalResourceId']}: {reason}"
            marker = event["EventId"]
            if is_stack and status not in states.NOT_SETTLED:
                return status, first_failure
        if clock() > deadline:
            raise ToolError(f"stack {stack_name} did not settle in {STACK_WAIT_SECONDS}s")
        sleep(poll_seconds)


def stack_policy(table_ids: list[str]) -> str:
    """A stack policy that denies replacing or deleting the tables, and allows every other update."""
    statements: list[dict[str, Any]] = [
        {"Effect": "Allow", "Action": "Update:*", "Principal": "*", "Resource": "*"}
    ]
    if table_ids:
        statements.insert(
            0,
            {
                "Effect": "Deny",
                "Action": ["Update:Replace", "Update:Delete"],
                "Principal": "*",
                "Resource": [f"LogicalResourceId/{table}" for table in table_ids],
            },
        )
    return json.dumps({"Statement": statements}, indent=2, sort_keys=True)


def current_stack_policy(cf: CloudFormationClient, stack_name: str) -> str | None:
    """The stack's policy body, or None."""
    body = cf.get_stack_policy(StackName=stack_name).get("StackPolicyBody")
    return str(body) if body else None


def policy_protects(body: str | None, table_ids: list[str]) -> bool:
    """Whether a stack policy denies replacing and deleting every table."""
    if body is None:
        return False
    try:
        statements = json.loads(body).get("Statement", [])
    except (ValueError, AttributeError):
        return False
    denied: set[str] = set()
    for statement in statements:
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        resources = statement.get("Resource", [])
        resources = [resources] if isinstance(resources, str) else resources
        if statement.get("Effect") == "Deny" and {"Update:Replace", "Update:Delete"} <= set(actions):
            denied.update(r.removeprefix("LogicalResourceId/") for r in resources)
    return set(table_ids) <= denied or "*" in denied


def protect_stack(cf: CloudFormationClient, stack_name: str, table_ids: list[str]) -> None:
    """Deny table replacement and deletion by stack policy, and turn on termination protection."""
    cf.set_stack_policy(StackName=stack_name, StackPolicyBody=stack_policy(table_ids))
    cf.update_termination_protection(StackName=stack_name, EnableTerminationProtection=True)


def allow_all_updates(cf: CloudFormationClient, stack_name: str) -> None:
    """Lift the stack policy for one deliberate, loudly confirmed update."""
    cf.set_stack_policy(StackName=stack_name, StackPolicyBody=stack_policy([]))


def latest_failures(events: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(logical id, reason) of resources whose newest event is a failure; events are newest first."""
    seen: set[str] = set()
    failed: list[tuple[str, str]] = []
    for event in events:
        logical_id = event["LogicalResourceId"]
        if logical_id in seen or event.get("ResourceType") == "AWS::CloudFormation::Stack":
            continue
        seen.add(logical_id)
        if event["ResourceStatus"] in states.RESOURCE_FAILED:
            failed.append((logical_id, event.get("ResourceStatusReason", "")))
    return failed


def failed_resources(cf: CloudFormationClient, stack_name: str) -> list[tuple[str, str]]:
    """The stack's resources whose newest event is a failure (from the newest page of events)."""
    events = cf.describe_stack_events(StackName=stack_name).get("StackEvents", [])
    return latest_failures([dict(e) for e in events])


def remaining_resources(cf: CloudFormationClient, stack_name: str) -> list[str]:
    """Resources of the stack that still exist (not DELETE_COMPLETE)."""
    remaining = []
    for page in cf.get_paginator("list_stack_resources").paginate(StackName=stack_name):
        for summary in page.get("StackResourceSummaries", []):
            if summary["ResourceStatus"] not in states.RESOURCE_DELETED:
                remaining.append(f"{summary['LogicalResourceId']} ({summary['ResourceStatus']})")
    return remaining


def delete_empty_stack(
    cf: CloudFormationClient,
    stack: DeployedStack,
    poll_seconds: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Delete a stack that holds nothing, and wait until it is gone."""
    cf.delete_stack(StackName=stack.stack_id)
    deadline = clock() + CHANGE_SET_WAIT_SECONDS
    while True:
        status = cf.describe_stacks(StackName=stack.stack_id)["Stacks"][0]["StackStatus"]
        if status in states.DELETED:
            return
        if status in states.DELETE_FAILED or clock() > deadline:
            raise ToolError(f"could not delete the empty stack {stack.name} ({status}); delete it by hand")
        sleep(poll_seconds)


def stack_location(
    cf: CloudFormationClient, stack_name: str, command_flags: str | None = None
) -> StackLocation:
    """Where a deployed stack and its table live, from DescribeStacks alone; `command_flags` (cli/hints.py)
    go into the deploy a missing stack's error names."""
    stack = existing_stack(cf, stack_name, command_flags)
    partition, _, region, account, _ = arn_parts(stack.stack_id)
    table_name = stack.parameters.get(names.TABLE_NAME_PARAMETER)
    if not table_name:
        raise UsageError(
            f"stack {stack_name} has no {names.TABLE_NAME_PARAMETER} parameter; is it a kvtable database stack?"
        )
    # DescribeStacks gives a CommaDelimitedList parameter as the text it was given.
    replicas = stack.parameters.get(names.REPLICA_REGIONS_PARAMETER, "")
    regions = tuple(r.strip() for r in replicas.split(",") if r.strip())
    return StackLocation(partition, region, account, stack_name, table_name, regions)


def stack_context(
    stack: DeployedStack, parameters: dict[str, str], physical_ids: dict[str, str]
) -> StackContext:
    """The context CloudFormation evaluates the stack's template in: its account, region and partition."""
    partition, _, region, account, _ = arn_parts(stack.stack_id)
    return StackContext(
        account=account,
        region=region,
        stack_name=stack.name,
        parameters=parameters,
        partition=partition,
        physical_ids=physical_ids,
    )
