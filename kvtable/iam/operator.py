"""The read-only policy an operator needs to run `kvtable verify` on one stack, built with awacs.

Each statement says which checks need it. CloudFormation's drift detection reads each
resource with the caller's own permissions, using the read handlers of the resource
schemas (AWS::DynamoDB::Table and AWS::IAM::ManagedPolicy): those are included too.
Nothing here can change the stack, the table, its data or the policies.
"""

import json

from awacs import cloudformation, cloudwatch, dynamodb, iam, kms
from awacs.aws import Action, Allow, Bool, Condition, PolicyDocument, SecureTransport, Statement

from kvtable.aws.names import StackLocation
from kvtable.iam.policies import POLICY_VERSION, policy_json

STACK_ACTIONS: tuple[Action, ...] = (
    cloudformation.DescribeStacks,  # status, parameters, outputs, termination protection
    cloudformation.DescribeStackResources,  # the table's and the policies' physical ids
    cloudformation.GetTemplate,  # the deployed template, against what the code builds
    cloudformation.GetStackPolicy,  # the stack policy protecting the table
    cloudformation.DetectStackDrift,  # CloudFormation's own drift detection (reads only)
    cloudformation.DescribeStackResourceDrifts,  # its verdict per resource
)
# These two take no resource-level permissions: AWS requires "*".
ACCOUNT_ACTIONS: tuple[Action, ...] = (
    cloudformation.ListExports,  # the exports' values
    cloudformation.DescribeStackDriftDetectionStatus,  # waiting for drift detection
)
TABLE_ACTIONS: tuple[Action, ...] = (
    dynamodb.DescribeTable,  # status, keys, billing, deletion protection, indexes, encryption
    dynamodb.DescribeContinuousBackups,  # point-in-time recovery
    dynamodb.DescribeTimeToLive,  # TTL on `ttl`
    dynamodb.ListTagsOfResource,  # the stack's tags on the table
    dynamodb.GetResourcePolicy,  # the table's resource policy, when the template has one
    dynamodb.DescribeContributorInsights,  # Contributor Insights and its mode; drift detection reads it too
    dynamodb.DescribeKinesisStreamingDestination,  # drift detection's read of the table
)
POLICY_ACTIONS: tuple[Action, ...] = (
    iam.GetPolicy,  # each managed policy's default version
    iam.GetPolicyVersion,  # that version's document
    iam.ListEntitiesForPolicy,  # drift detection's read of a managed policy
)
KEY_ACTIONS: tuple[Action, ...] = (kms.DescribeKey,)  # the table's key, named by ARN or alias
ALARM_ACTIONS: tuple[Action, ...] = (cloudwatch.DescribeAlarms,)  # each alarm's metric, dimensions, threshold


def _statement(sid: str, actions: tuple[Action, ...], resources: list[str]) -> Statement:
    return Statement(
        Sid=sid,
        Effect=Allow,
        Action=list(actions),
        Resource=resources,
        Condition=Condition(Bool(SecureTransport, "true")),
    )


def operator_policy_document(where: StackLocation) -> PolicyDocument:
    """Read-only access to one kvtable stack, its table and its managed policies.

    A global table is read in each replica's own region (its table, its indexes and its key), so
    those statements name every region of the table; the stack, its policies and alarms stay in
    the stack's region."""
    p, r, a = where.partition, where.region, where.account
    tables = [f"arn:{p}:dynamodb:{region}:{a}:table/{where.table_name}" for region in where.table_regions]
    keys = [f"arn:{p}:kms:{region}:{a}:key/*" for region in where.table_regions]
    return PolicyDocument(
        Version=POLICY_VERSION,
        Statement=[
            _statement(
                "ReadStack", STACK_ACTIONS, [f"arn:{p}:cloudformation:{r}:{a}:stack/{where.stack_name}/*"]
            ),
            _statement("ReadExportsAndDriftStatus", ACCOUNT_ACTIONS, ["*"]),
            _statement("ReadTable", TABLE_ACTIONS, [arn for t in tables for arn in (t, f"{t}/index/*")]),
            # CloudFormation names a template's managed policies <stack name>-<logical id>-<suffix>.
            _statement(
                "ReadManagedPolicies", POLICY_ACTIONS, [f"arn:{p}:iam::{a}:policy/{where.stack_name}-*"]
            ),
            _statement("DescribeTableKey", KEY_ACTIONS, keys),
            # The template names its alarms <stack name>-<alarm>.
            _statement(
                "DescribeAlarms", ALARM_ACTIONS, [f"arn:{p}:cloudwatch:{r}:{a}:alarm:{where.stack_name}-*"]
            ),
        ],
    )


def operator_policy_json(where: StackLocation) -> str:
    """The policy as JSON, ready for `aws iam create-policy --policy-document`."""
    return policy_json(json.loads(operator_policy_document(where).to_json()))
