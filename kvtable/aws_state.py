"""Reading AWS state, in one place for deploy, verify, restore, adopt and the operators' policy:
the clients a read goes through, where a stack and its table live, the context CloudFormation
evaluates a stack's template in, and policy documents in one spelling for comparing them."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from kvtable.aws_errors import error_code
from kvtable.cfn import names
from kvtable.cfn.evaluate import StackContext
from kvtable.deploy import cloudformation as cfn
from kvtable.deploy.errors import UsageError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_iam import IAMClient
    from mypy_boto3_kms import KMSClient

# The keys of a policy statement that take one value or a list of them.
_LIST_KEYS = ("Action", "NotAction", "Resource", "NotResource")


@dataclass(frozen=True)
class Clients:
    """The clients verify, restore and adopt read (and write) through, all from one session and region."""

    cloudformation: CloudFormationClient
    dynamodb: DynamoDBClient
    iam: IAMClient
    kms: KMSClient
    # For the alarms' checks; without it they are reported as not checked.
    cloudwatch: CloudWatchClient | None = None
    # The same clients in another region, for a global table's replicas.
    for_region: Callable[[str], Clients] | None = None


@dataclass(frozen=True)
class StackLocation:
    """The stack's partition, region and account, its name, and its table's name: what the operator
    policy is scoped to. `replica_regions` are a global table's regions (the stack's own among them);
    empty for a single-region table."""

    partition: str
    region: str
    account: str
    stack_name: str
    table_name: str
    replica_regions: tuple[str, ...] = ()

    @property
    def table_regions(self) -> tuple[str, ...]:
        """Every region verify reads the table (and its key) in: the stack's own first, then each replica's."""
        return (self.region, *sorted(set(self.replica_regions) - {self.region}))


def stack_location(
    cf: CloudFormationClient, stack_name: str, command_flags: str | None = None
) -> StackLocation:
    """Where a deployed stack and its table live, from DescribeStacks alone; `command_flags` (cli/hints.py)
    go into the deploy a missing stack's error names."""
    stack = cfn.existing_stack(cf, stack_name, command_flags)
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
    stack: cfn.DeployedStack, parameters: dict[str, str], physical_ids: dict[str, str]
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


def arn_parts(arn: str) -> tuple[str, str, str, str, str]:
    """(partition, service, region, account, resource) of an ARN."""
    _, partition, service, region, account, resource = arn.split(":", 5)
    return partition, service, region, account, resource


def normalized_policy(document: Any) -> Any:
    """A policy document in one spelling: single values as lists, statements and lists sorted.

    A document given as text (IAM sends it URL-encoded) is decoded first."""
    if isinstance(document, str):
        document = json.loads(urllib.parse.unquote(document))
    return _normalized(document)


def _normalized(document: Any) -> Any:
    if isinstance(document, dict):
        normal = {}
        for key, value in document.items():
            listed = [value] if key in _LIST_KEYS and isinstance(value, str) else value
            normal[key] = _normalized(listed)
        return normal
    if isinstance(document, list):
        return sorted((_normalized(v) for v in document), key=lambda v: json.dumps(v, sort_keys=True))
    return document


def describe_or_none(dynamodb: DynamoDBClient, table_name: str) -> dict[str, Any] | None:
    """The table's description, or None if there is no such table."""
    from botocore.exceptions import ClientError  # noqa: PLC0415 (no start-up reason: this module is not on --help's path)

    try:
        return cast(dict[str, Any], dynamodb.describe_table(TableName=table_name)["Table"])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise
