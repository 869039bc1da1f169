"""The policy the job role of a shared migration or load needs (`kvtable migrate run --worker`,
`kvtable load --worker`, and `kvtable migrate status`), built with awacs: the items of one stack's
table, read and written, and its scan; and the operators' read-only policy extended with it, for an
operator who runs or resumes the workers by hand."""

import json

from awacs import dynamodb, kms
from awacs.aws import (
    Action,
    Allow,
    Bool,
    Condition,
    PolicyDocument,
    SecureTransport,
    Statement,
    StringLike,
)

from kvtable.aws.names import StackLocation
from kvtable.iam.operator import operator_policy_document
from kvtable.iam.policies import POLICY_VERSION, policy_json

WORKER_ACTIONS: tuple[Action, ...] = (
    dynamodb.DescribeTable,  # migrate run: the progress bar's total (ItemCount) and the table's indexes
    dynamodb.Scan,  # migrate run: the migration's parallel scan
    dynamodb.Query,  # the job's checkpoints and leases (strongly consistent), migrate status
    dynamodb.PutItem,  # the checkpoints and the leases, each a compare-and-set
    dynamodb.UpdateItem,  # migrate run: each change, conditional
    dynamodb.BatchWriteItem,  # load: the keys, 25 a request
)
# With a customer-managed key, DynamoDB uses the key on the caller's behalf (through DynamoDB only).
WORKER_KEY_ACTIONS: tuple[Action, ...] = (kms.Decrypt, kms.Encrypt, kms.GenerateDataKey)


def worker_statements(where: StackLocation) -> list[Statement]:
    """The workers' statements: the table (no index: a worker reads and writes the table only) and its key."""
    p, r, a = where.partition, where.region, where.account
    tls = Condition(Bool(SecureTransport, "true"))
    return [
        Statement(
            Sid="SharedWorkOnTheTable",
            Effect=Allow,
            Action=list(WORKER_ACTIONS),
            Resource=[f"arn:{p}:dynamodb:{r}:{a}:table/{where.table_name}"],
            Condition=tls,
        ),
        Statement(
            Sid="UseTheTableKeyThroughDynamoDB",
            Effect=Allow,
            Action=list(WORKER_KEY_ACTIONS),
            Resource=[f"arn:{p}:kms:{r}:{a}:key/*"],
            Condition=Condition(
                [Bool(SecureTransport, "true"), StringLike("kms:ViaService", f"dynamodb.{r}.amazonaws.com")]
            ),
        ),
    ]


def worker_policy_document(where: StackLocation) -> PolicyDocument:
    """The job role's policy for the workers of one stack's table."""
    return PolicyDocument(Version=POLICY_VERSION, Statement=worker_statements(where))


def operator_with_workers_document(where: StackLocation) -> PolicyDocument:
    """The operators' read-only policy (kvtable.iam.operator) with the workers' statements added."""
    document = operator_policy_document(where)
    return PolicyDocument(Version=POLICY_VERSION, Statement=[*document.Statement, *worker_statements(where)])


def worker_policy_json(where: StackLocation) -> str:
    """The job role's policy as JSON, ready for `aws iam create-policy --policy-document`."""
    return policy_json(json.loads(worker_policy_document(where).to_json()))
