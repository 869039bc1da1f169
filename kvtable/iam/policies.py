"""Least-privilege policy documents for the table and its GSI, built with awacs.

Each action is here because an access pattern or a write rule of the data
contract needs it; the README lists the reasons. Nothing grants Scan,
DescribeTable or any table, backup or stream management.
"""

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias

from awacs import dynamodb, kms
from awacs.aws import (
    Action,
    Allow,
    Bool,
    Condition,
    PolicyDocument,
    SecureTransport,
    Statement,
    StringEquals,
)
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

# With a customer-managed key, DynamoDB uses the key on the caller's behalf, so the
# caller needs these on that key (through DynamoDB only: kms:ViaService).
KMS_READ_ACTIONS: tuple[Action, ...] = (kms.Decrypt, kms.DescribeKey)
KMS_WRITE_ACTIONS: tuple[Action, ...] = (kms.Encrypt, kms.GenerateDataKey)

POLICY_VERSION = "2012-10-17"


def policy_json(document: Mapping[str, Any]) -> str:
    """A policy document as kvtable writes one: sorted keys, two-space indents, a final newline."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


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


def _kms_statement(actions: Sequence[Action], key: "TableKey") -> Statement:
    """Use of one KMS key, only through DynamoDB (`kms:ViaService`) and over TLS."""
    return Statement(
        Sid="UseTableKey",
        Effect=Allow,
        Action=list(actions),
        Resource=[key.key_arn],
        Condition=Condition(
            [StringEquals("kms:ViaService", key.dynamodb_endpoint), Bool(SecureTransport, "true")]
        ),
    )


@dataclass(frozen=True)
class TableKey:
    """A customer-managed KMS key the table encrypts with, and DynamoDB's endpoint in the region."""

    key_arn: Resource
    dynamodb_endpoint: Resource


def read_policy_document(resources: Sequence[Resource], key: TableKey | None = None) -> PolicyDocument:
    """Read access: get, batch get and query on the given table and index ARNs (and the key's use)."""
    statements = [_statement("ReadItems", READ_ACTIONS, resources)]
    if key is not None:
        statements.append(_kms_statement(KMS_READ_ACTIONS, key))
    return PolicyDocument(Version=POLICY_VERSION, Statement=statements)


def read_write_policy_document(resources: Sequence[Resource], key: TableKey | None = None) -> PolicyDocument:
    """Read access plus item writes (put, update, delete, batch write, condition check)."""
    statements = [_statement("ReadWriteItems", READ_ACTIONS + WRITE_ACTIONS, resources)]
    if key is not None:
        statements.append(_kms_statement(KMS_READ_ACTIONS + KMS_WRITE_ACTIONS, key))
    return PolicyDocument(Version=POLICY_VERSION, Statement=statements)
