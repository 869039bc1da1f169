"""Least-privilege policy documents for the table and its GSI, built with awacs.

Each action is here because an access pattern or a write rule of the data
contract needs it; the README lists the reasons. Nothing grants Scan,
DescribeTable or any table, backup or stream management.
"""

from collections.abc import Sequence
from typing import TypeAlias

from awacs import dynamodb
from awacs.aws import Action, Allow, Bool, Condition, PolicyDocument, SecureTransport, Statement
from troposphere import AWSHelperFn

Resource: TypeAlias = str | AWSHelperFn

READ_ACTIONS: tuple[Action, ...] = (
    dynamodb.GetItem,  # patterns 1, 4, 5 (read); TransactGetItems authorizes as GetItem
    dynamodb.BatchGetItem,  # reading several keys of a namespace at once
    dynamodb.Query,  # patterns 2, 3, 6, on the table and on the GSI
)

WRITE_ACTIONS: tuple[Action, ...] = (
    dynamodb.PutItem,  # create a user, a namespace, a key
    dynamodb.UpdateItem,  # put a key keeping createdAt, atomic counters, key rotation
    dynamodb.DeleteItem,  # delete a key
    dynamodb.BatchWriteItem,  # bulk loads of keys
    dynamodb.ConditionCheckItem,  # uniqueness checks inside TransactWriteItems
)

POLICY_VERSION = "2012-10-17"


def _statement(sid: str, actions: Sequence[Action], resources: Sequence[Resource]) -> Statement:
    # Allow only over TLS: without the condition, a request with
    # aws:SecureTransport false matches no Allow and is denied.
    return Statement(
        Sid=sid,
        Effect=Allow,
        Action=list(actions),
        Resource=list(resources),
        Condition=Condition(Bool(SecureTransport, "true")),
    )


def read_policy_document(resources: Sequence[Resource]) -> PolicyDocument:
    """Read access: get, batch get and query on the given table and index ARNs."""
    return PolicyDocument(
        Version=POLICY_VERSION,
        Statement=[_statement("ReadItems", READ_ACTIONS, resources)],
    )


def read_write_policy_document(resources: Sequence[Resource]) -> PolicyDocument:
    """Read access plus item writes (put, update, delete, batch write, condition check)."""
    return PolicyDocument(
        Version=POLICY_VERSION,
        Statement=[_statement("ReadWriteItems", READ_ACTIONS + WRITE_ACTIONS, resources)],
    )
