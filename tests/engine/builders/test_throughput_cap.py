"""A throttle caused by the on-demand cap is ThroughputCapError, answered after one request (never
retried like a passing throttle), on both transports; and the fault that emulates it reads through
botocore's service model as AWS documents it."""

from collections.abc import Iterator

import pytest
from botocore.exceptions import ClientError

from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema.errors import ThroughputCapError
from kvtable.transport import TransportChoice
from tests.harness.fault_proxy import FaultPlan, client_through, fault_proxy, store_through_proxy
from tests.unit.builders.test_throughput_cap import ARN


@pytest.fixture
def capped(
    dynamodb_endpoint: LocalEndpoint, table_name: str, transport: TransportChoice
) -> Iterator[tuple[KvTable, FaultPlan]]:
    with store_through_proxy(dynamodb_endpoint.url, table_name, transport) as proxied:
        yield proxied


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
