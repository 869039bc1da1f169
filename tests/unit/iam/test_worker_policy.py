"""The operators' policy extended with the workers' job role statements: both sets of statements, in order
(the job role's own policy is checked by parliament and the IAM simulator in tests/engine/iam/)."""

import json

from kvtable.aws.names import StackLocation
from kvtable.iam.workers import operator_with_workers_document
from tests.resolve import SAMPLE_ACCOUNT, SAMPLE_REGION, SAMPLE_STACK

WHERE = StackLocation("aws", SAMPLE_REGION, SAMPLE_ACCOUNT, SAMPLE_STACK, "kv-storage-data")


def test_the_operators_policy_with_workers_holds_both() -> None:
    document = json.loads(operator_with_workers_document(WHERE).to_json())
    sids = [statement["Sid"] for statement in document["Statement"]]
    assert sids[0] == "ReadStack" and sids[-2:] == ["SharedWorkOnTheTable", "UseTheTableKeyThroughDynamoDB"]
