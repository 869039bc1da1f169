"""A throttle caused by the on-demand cap is ThroughputCapError, answered after one request (never
retried like a passing throttle), on both transports; and the fault that emulates it reads through
botocore's service model as AWS documents it."""

from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber

from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema.errors import RetriesExhaustedError, ThroughputCapError
from kvtable.transport import TransportChoice
from tests.harness.fault_proxy import FaultPlan, client_through, fault_proxy

ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/{}"


@pytest.fixture
def capped(
    dynamodb_endpoint: LocalEndpoint, table_name: str, transport: TransportChoice
) -> Iterator[tuple[KvTable, FaultPlan]]:
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        yield KvTable(client_through(url), table_name, transport=transport, sleep=lambda _: None), plan


def test_the_cap_fault_reads_through_botocore_as_aws_documents_it(
    dynamodb_endpoint: LocalEndpoint, table_name: str
) -> None:
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        plan.inject("cap_throttle")
        with pytest.raises(ClientError) as throttled:
            client_through(url).get_item(TableName=table_name, Key={"PK": {"S": "a"}, "SK": {"S": "b"}})
    response = throttled.value.response
    assert response["Error"]["Code"] == "ProvisionedThroughputExceededException"
    assert response["ThrottlingReasons"] == [  # type: ignore[typeddict-item]
        {"reason": "TableReadMaxOnDemandThroughputExceeded", "resource": ARN.format(table_name)}
    ]


def test_a_capped_write_is_not_retried(capped: tuple[KvTable, FaultPlan]) -> None:
    store, plan = capped
    plan.inject("cap_throttle")
    with pytest.raises(ThroughputCapError) as refused:
        store.put_key("myapp", "user:123", {"name": "John"})
    assert plan.operations == ["UpdateItem:cap_throttle"]
    assert refused.value.throttling_reasons == [
        {"reason": "TableWriteMaxOnDemandThroughputExceeded", "resource": ARN.format(store.table_name)}
    ]
    assert "cap" in str(refused.value)


def test_a_capped_read_is_not_retried(capped: tuple[KvTable, FaultPlan]) -> None:
    store, plan = capped
    plan.inject("cap_throttle")
    with pytest.raises(ThroughputCapError) as refused:
        store.get_key("myapp", "user:123")
    assert plan.operations == ["GetItem:cap_throttle"]
    assert refused.value.throttling_reasons[0]["reason"] == "TableReadMaxOnDemandThroughputExceeded"


def test_a_passing_throttle_is_still_retried(capped: tuple[KvTable, FaultPlan]) -> None:
    store, plan = capped
    plan.inject("throttle_reasons", "throttle_reasons")
    store.put_key("myapp", "user:123", {"name": "John"})
    assert plan.operations == [
        "UpdateItem:throttle_reasons",
        "UpdateItem:throttle_reasons",
        "UpdateItem:pass",
    ]


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
