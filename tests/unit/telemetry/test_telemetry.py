"""The contract's telemetry without an engine: nothing is made with the API and no SDK provider, and the
capacity and errors are read in botocore's shapes. The spans and measurements of real operations are in
tests/engine/telemetry/test_telemetry.py."""

from __future__ import annotations

import json

import botocore.session

from kvtable.telemetry import client_attributes, recording
from tests.paths import REPO_ROOT
from tests.telemetry_settings import telemetry_set

ROOT = REPO_ROOT


# ----- nothing without OpenTelemetry ------------------------------------------------------------


def test_with_the_api_and_no_sdk_provider_nothing_is_made() -> None:
    # This process imported the API, and no test sets a global provider: the API's own proxies.
    with telemetry_set():
        assert not recording.active()
        assert recording._tracer() is None
        assert recording._instruments() is None


def test_capacity_is_shaped_as_botocores_parser_shapes_it() -> None:
    # DynamoDB's answer in another member order, with whole numbers: botocore orders members by its model
    # and reads doubles as floats, and the instrumentation's attribute is that structure as JSON.
    answer = {
        "ConsumedCapacity": {
            "GlobalSecondaryIndexes": {"GSI1": {"CapacityUnits": 1, "WriteCapacityUnits": 1}},
            "Table": {"CapacityUnits": 1, "WriteCapacityUnits": 1},
            "CapacityUnits": 2,
            "TableName": "kv",
            "WriteCapacityUnits": 2,
        }
    }
    session = botocore.session.get_session()
    model = session.get_service_model("dynamodb").operation_model("UpdateItem").output_shape
    assert model is not None
    from botocore.parsers import JSONParser  # noqa: PLC0415

    parsed = JSONParser().parse(
        {"body": json.dumps(answer).encode(), "headers": {}, "status_code": 200}, model
    )
    ours = client_attributes.response_attributes("UpdateItem", answer, tenant_data=False)
    theirs = (json.dumps(parsed["ConsumedCapacity"]),)
    assert ours[client_attributes.CONSUMED_CAPACITY] == theirs


def test_an_error_in_the_contracts_own_shape_is_read_as_botocores() -> None:
    class ServiceError(Exception):
        def __init__(self) -> None:
            super().__init__("refused")
            self.code, self.message, self.status, self.request_id = (
                "ThrottlingException",
                "slow down",
                400,
                "r1",
            )

    facts = client_attributes.error_facts(ServiceError())
    assert facts is not None
    assert (facts.code, facts.status, facts.request_id) == ("ThrottlingException", 400, "r1")
    assert client_attributes.error_description("GetItem", ServiceError(), facts) == (
        "An error occurred (ThrottlingException) when calling the GetItem operation: slow down"
    )
    assert client_attributes.error_facts(ConnectionResetError()) is None
