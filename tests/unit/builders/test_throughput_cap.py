"""A throttle caused by the on-demand cap, offline: every cap reason botocore's Stubber answers is a
ThroughputCapError after one request, never retried. The fault proxy's cap on DynamoDB Local, on
every transport, is in tests/engine/builders/test_throughput_cap.py."""

import boto3
import pytest
from botocore.stub import Stubber

from kvtable.contract.store import KvTable
from kvtable.schema.errors import RetriesExhaustedError, ThroughputCapError

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/{}"


# The model names the field `ThrottlingReasons`, but `throttlingReasons` on ThrottlingException.
CAP_THROTTLES = [
    (
        "ProvisionedThroughputExceededException",
        "ThrottlingReasons",
        "IndexWriteMaxOnDemandThroughputExceeded",
    ),
    ("ThrottlingException", "throttlingReasons", "TableWriteMaxOnDemandThroughputExceeded"),
]


@pytest.mark.parametrize(("code", "field", "cap"), CAP_THROTTLES)
def test_every_cap_reason_is_a_cap_offline(code: str, field: str, cap: str) -> None:
    """The GSI's cap on the index's ARN, and the table's under ThrottlingException: answered by
    botocore's Stubber (offline), still one request and no retry."""
    client = boto3.client(
        "dynamodb", region_name="us-east-1", aws_access_key_id="offline", aws_secret_access_key="offline"
    )
    store = KvTable(client, "kv-storage-data", transport="botocore", sleep=lambda _: None)
    resource = ARN.format("kv-storage-data") + ("/index/GSI1" if cap.startswith("Index") else "")
    reason = {"reason": cap, "resource": resource}
    with Stubber(client) as stub:
        stub.add_client_error(
            "update_item", code, http_status_code=400, modeled_fields={"message": "capped", field: [reason]}
        )
        with pytest.raises(ThroughputCapError) as refused:
            store.put_key("myapp", "user:123", {"name": "John"})
        stub.assert_no_pending_responses()
    assert refused.value.throttling_reasons == [reason]
    assert not isinstance(refused.value, RetriesExhaustedError)
