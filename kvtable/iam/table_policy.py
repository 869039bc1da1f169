"""The table's resource policy, built with awacs: guard rails that hold whatever an identity policy says.

Identity policies decide what our own roles may do; this stops every principal, an
administrator's or another account's included, from reaching the table without TLS, from
deleting it, and (unless trusted by name) from another account. It allows nothing: our read
and read/write policies, and CloudFormation's updates, keep working because nothing here
denies the account's own principals an update or an item action over TLS.
"""

from collections.abc import Sequence

from awacs import dynamodb
from awacs.aws import (
    Action,
    Bool,
    Condition,
    Deny,
    PolicyDocument,
    Principal,
    SecureTransport,
    Statement,
    StringNotEquals,
)

from kvtable.iam.policies import POLICY_VERSION, Resource

# Every DynamoDB action: a deny should leave no gap (a wildcard in a Deny narrows nothing it should not).
EVERY_DYNAMODB_ACTION: Action = dynamodb.Action("*")
PRINCIPAL_ACCOUNT = "aws:PrincipalAccount"


def table_resource_policy_document(
    table_and_index_arns: Sequence[Resource], table_arn: Resource, allowed_accounts: object
) -> PolicyDocument:
    """Deny non-TLS requests, DeleteTable, and principals of any account not in `allowed_accounts`."""
    return PolicyDocument(
        Version=POLICY_VERSION,
        Statement=[
            _deny_everyone(
                "DenyWithoutTls",
                EVERY_DYNAMODB_ACTION,
                list(table_and_index_arns),
                Condition(Bool(SecureTransport, "false")),
            ),
            # Deleting the table then takes two deliberate acts: removing this statement, and switching
            # deletion protection off. The account root can still change the policy: a guard rail, not a lock.
            _deny_everyone("DenyDeleteTable", dynamodb.DeleteTable, [table_arn]),
            _deny_everyone(
                "DenyOtherAccounts",
                EVERY_DYNAMODB_ACTION,
                list(table_and_index_arns),
                Condition(StringNotEquals(PRINCIPAL_ACCOUNT, allowed_accounts)),
            ),
        ],
    )


def _deny_everyone(
    sid: str, action: Action, resources: list[Resource], condition: Condition | None = None
) -> Statement:
    """A statement that denies `action` on `resources` to every principal (when `condition` holds)."""
    when = {} if condition is None else {"Condition": condition}
    return Statement(
        Sid=sid, Effect=Deny, Principal=Principal("*"), Action=[action], Resource=resources, **when
    )
