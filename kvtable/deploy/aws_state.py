"""Reading AWS state, in one place for deploy, verify, restore and adopt: the clients a read goes
through, a table's description, and policy documents in one spelling for comparing them. (Where a
stack and its table live, and the context CloudFormation evaluates its template in, are read beside
`existing_stack` in deploy/cloudformation.py.)"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from kvtable.aws.errors import error_code

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
    from botocore.exceptions import ClientError  # noqa: PLC0415 (not on `kvtable --help`'s path, but `kvtable template` imports this via settings)

    try:
        return cast(dict[str, Any], dynamodb.describe_table(TableName=table_name)["Table"])
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise
