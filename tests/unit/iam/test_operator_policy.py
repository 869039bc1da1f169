"""The operators' read-only policy for `kvtable verify`, offline: the replica regions come from the
stack's parameter. Parliament and the IAM simulator's verdicts are in tests/engine/iam/test_operator_policy.py."""

import json

from botocore.stub import Stubber

from kvtable.aws.names import StackLocation
from kvtable.deploy.cloudformation import stack_location
from kvtable.iam.operator import operator_policy_json
from tests.aws_shapes import STACK, STACK_ID, WHEN, offline_cloudformation
from tests.resolve import SAMPLE_ACCOUNT, SAMPLE_REGION, SAMPLE_STACK

WHERE = StackLocation("aws", SAMPLE_REGION, SAMPLE_ACCOUNT, SAMPLE_STACK, "kv-storage-data")


def test_the_replica_regions_come_from_the_stacks_parameter() -> None:
    cf = offline_cloudformation()
    stack = {
        "StackName": STACK,
        "StackId": STACK_ID,
        "CreationTime": WHEN,
        "StackStatus": "UPDATE_COMPLETE",
        "Parameters": [
            {"ParameterKey": "TableName", "ParameterValue": "kv-storage-data"},
            {"ParameterKey": "ReplicaRegions", "ParameterValue": "us-east-1, eu-west-1,ap-southeast-2"},
        ],
    }
    with Stubber(cf) as stub:
        stub.add_response("describe_stacks", {"Stacks": [stack]}, {"StackName": STACK})
        where = stack_location(cf, STACK)
    assert where.replica_regions == ("us-east-1", "eu-west-1", "ap-southeast-2")
    assert where.table_regions == ("us-east-1", "ap-southeast-2", "eu-west-1")
    statements = {s["Sid"]: s["Resource"] for s in json.loads(operator_policy_json(where))["Statement"]}
    assert statements["DescribeTableKey"] == [
        f"arn:aws:kms:{region}:123456789012:key/*" for region in where.table_regions
    ]
    assert statements["ReadTable"][-2:] == [
        "arn:aws:dynamodb:eu-west-1:123456789012:table/kv-storage-data",
        "arn:aws:dynamodb:eu-west-1:123456789012:table/kv-storage-data/index/*",
    ]
    # A single-region stack keeps the policy it had: the stack's region alone.
    assert WHERE.table_regions == (SAMPLE_REGION,)
