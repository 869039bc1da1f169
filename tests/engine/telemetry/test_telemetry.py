"""The contract's own telemetry, with OpenTelemetry's SDK, InMemorySpanExporter and InMemoryMetricReader:
one INTERNAL span per operation around its requests (both transports), retries and throttling on it
(through the fault proxy), the request measurements, tenant data kept out unless the caller opts in, and
nothing imported or paid without OpenTelemetry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from opentelemetry import trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader, NumberDataPoint
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.trace import SpanKind, StatusCode

from kvtable import telemetry
from kvtable.benchmarks import tracing_cost
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema.errors import ItemNotFoundError, RetriesExhaustedError
from kvtable.telemetry import recording
from kvtable.transport import TransportChoice
from tests.harness.fault_proxy import FaultPlan, store_through_proxy
from tests.paths import REPO_ROOT
from tests.telemetry_settings import in_memory_tracing, telemetry_set

ROOT = REPO_ROOT


class Telemetry:
    """An SDK tracer provider and meter provider with in-memory export, set for kvtable."""

    def __init__(self) -> None:
        self.tracer_provider, self.exporter = in_memory_tracing()
        self.reader = InMemoryMetricReader()
        self.meter_provider = MeterProvider([self.reader])

    def spans(self, kind: SpanKind | None = None) -> list[ReadableSpan]:
        return [span for span in self.exporter.get_finished_spans() if kind is None or span.kind is kind]

    def operations(self) -> list[ReadableSpan]:
        return [span for span in self.spans(SpanKind.INTERNAL) if span.name.startswith("KvTable.")]

    def points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        found: list[Any] = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found


@pytest.fixture
def otel() -> Iterator[Telemetry]:
    recorded = Telemetry()
    try:
        with telemetry_set(tracer_provider=recorded.tracer_provider, meter_provider=recorded.meter_provider):
            yield recorded
    finally:
        recorded.tracer_provider.shutdown()
        recorded.meter_provider.shutdown()


@pytest.fixture
def proxied(
    dynamodb_endpoint: LocalEndpoint, table_name: str, transport: TransportChoice
) -> Iterator[tuple[KvTable, FaultPlan]]:
    with store_through_proxy(dynamodb_endpoint.url, table_name, transport) as proxied:
        yield proxied


def attributes(recorded: Any) -> dict[str, Any]:
    """A span's, event's or data point's attributes, as a dict."""
    found: dict[str, Any] = dict(recorded.attributes or {})
    return found


# ----- INTERNAL spans --------------------------------------------------------------------------


def test_each_operation_is_one_internal_span_around_its_requests(store: KvTable, otel: Telemetry) -> None:
    store.create_user("u1", "u1@example.com", "key-one")
    store.create_namespace("u1", "alpha")
    store.load_keys("alpha", ((f"k{i}", i) for i in range(30)))
    otel.exporter.clear()
    assert store.count_keys("alpha") == 30
    store.get_keys("alpha", ["k1", "k2"])
    with pytest.raises(ItemNotFoundError):
        store.get_key("alpha", "absent")

    operations = otel.operations()
    assert [span.name for span in operations] == ["KvTable.count_keys", "KvTable.get_keys", "KvTable.get_key"]
    count, _, missing = operations
    assert attributes(count) == {
        "db.system.name": "aws.dynamodb",
        "db.collection.name": store.table_name,
        "kvtable.operation": "count_keys",
        "kvtable.requests": 1,
        "kvtable.retries": 0,
        "kvtable.throttles": 0,
    }
    # A missing key is an error of the operation, named by type only: its message names the key.
    assert missing.status.status_code is StatusCode.ERROR
    assert missing.status.description == "ItemNotFoundError"
    assert attributes(missing)["error.type"] == "ItemNotFoundError"
    assert missing.events == ()
    # On the direct transport each request is a CLIENT span inside its operation's span; on botocore's
    # path kvtable makes none (opentelemetry-instrumentation-botocore does, when installed).
    clients = otel.spans(SpanKind.CLIENT)
    if store.transport.__class__.__name__ == "DirectTransport":
        assert [span.name for span in clients] == [
            "DynamoDB.Query",
            "DynamoDB.BatchGetItem",
            "DynamoDB.GetItem",
        ]
        for client, operation in zip(clients, operations, strict=True):
            assert client.parent is not None and client.parent.span_id == operation.context.span_id
            assert client.context.trace_id == operation.context.trace_id
    else:
        assert clients == []


def test_an_iterators_span_lasts_while_it_is_read_and_ends_when_it_is_closed(
    store: KvTable, otel: Telemetry
) -> None:
    store.create_user("u1", "u1@example.com", "key-one")
    store.create_namespace("u1", "alpha")
    store.load_keys("alpha", ((f"k{i}", i) for i in range(5)))
    otel.exporter.clear()
    tracer = otel.tracer_provider.get_tracer("the caller")
    with tracer.start_as_current_span("request handler") as handler:
        keys = store.iter_keys("alpha", page_size=2)
        assert otel.operations() == []  # nothing is sent before the first key is asked for
        first = next(keys)
        # While the caller holds a key, its own span is current, not the iterator's.
        assert trace.get_current_span() is handler
        assert first["SK"] == "KEY#k0"
        next(keys)
        next(keys)  # the second page
        keys.close()  # type: ignore[attr-defined]
    (operation,) = otel.operations()
    assert operation.name == "KvTable.iter_keys"
    assert operation.parent is not None and operation.parent.span_id == handler.get_span_context().span_id
    assert attributes(operation)["kvtable.requests"] == 2
    assert operation.status.status_code is StatusCode.UNSET


def test_a_parallel_loads_writes_are_inside_its_span(store: KvTable, otel: Telemetry) -> None:
    assert store.load_keys("alpha", ((f"k{i}", i) for i in range(200)), workers=4) == 200
    (load,) = otel.operations()
    assert attributes(load)["kvtable.requests"] == 8  # 25 entries a BatchWriteItem
    clients = otel.spans(SpanKind.CLIENT)
    if store.transport.__class__.__name__ == "DirectTransport":
        assert len(clients) == 8
        assert {span.parent.span_id for span in clients if span.parent} == {load.context.span_id}


# ----- retries and throttling, through the fault proxy ------------------------------------------


def test_a_throttled_request_is_recorded_on_its_operation_with_aws_reasons(
    proxied: tuple[KvTable, FaultPlan], otel: Telemetry
) -> None:
    store, plan = proxied
    store.put_key("alpha", "k", 1)
    otel.exporter.clear()
    plan.inject("throttle_reasons", "error500")
    assert store.get_key("alpha", "k")["value"] == 1

    (operation,) = otel.operations()
    recorded = attributes(operation)
    assert (recorded["kvtable.requests"], recorded["kvtable.retries"], recorded["kvtable.throttles"]) == (
        3,
        2,
        1,
    )
    throttled, server_error = (attributes(event) for event in operation.events)
    assert [event.name for event in operation.events] == ["kvtable.try_failed"] * 2
    assert throttled["error.type"] == "ProvisionedThroughputExceededException"
    assert throttled["kvtable.throttled"] is True
    assert throttled["kvtable.will_retry"] is True
    assert throttled["kvtable.attempt"] == 1
    assert list(throttled["aws.dynamodb.throttling_reasons"]) == ["TableWriteKeyRangeThroughputExceeded"]
    assert throttled["aws.dynamodb.throttling_resources"][0].endswith(f":table/{store.table_name}")
    assert (server_error["error.type"], server_error["kvtable.throttled"]) == ("InternalServerError", False)

    retries = otel.points(recording.RETRIES)
    assert sum(point.value for point in retries) == 2
    (throttles,) = otel.points(recording.THROTTLES)
    assert throttles.value == 1
    assert attributes(throttles) == {
        "db.system.name": "aws.dynamodb",
        "db.operation.name": "GetItem",
        "error.type": "ProvisionedThroughputExceededException",
        "kvtable.operation": "get_key",
        "aws.dynamodb.throttling_reason": "TableWriteKeyRangeThroughputExceeded",
    }
    if store.transport.__class__.__name__ == "DirectTransport":
        failed, failed_again, answered = otel.spans(SpanKind.CLIENT)
        assert attributes(failed)["http.status_code"] == 400
        assert attributes(failed_again)["http.status_code"] == 500
        assert (failed.status.status_code, answered.status.status_code) == (
            StatusCode.ERROR,
            StatusCode.UNSET,
        )


def test_retries_that_run_out_end_the_operation_in_error(
    proxied: tuple[KvTable, FaultPlan], otel: Telemetry
) -> None:
    store, plan = proxied
    plan.inject(*["throttle"] * store.retry_attempts)
    with pytest.raises(RetriesExhaustedError):
        store.put_key("alpha", "k", 1)
    (operation,) = otel.operations()
    assert attributes(operation)["error.type"] == "RetriesExhaustedError"
    assert attributes(operation)["kvtable.throttles"] == store.retry_attempts
    assert attributes(operation)["kvtable.retries"] == store.retry_attempts - 1
    assert [attributes(event)["kvtable.will_retry"] for event in operation.events] == [True] * (
        store.retry_attempts - 1
    ) + [False]
    assert sum(point.value for point in otel.points(recording.RETRIES)) == store.retry_attempts - 1
    assert sum(point.value for point in otel.points(recording.THROTTLES)) == store.retry_attempts


def test_a_batch_left_unprocessed_is_a_throttle_and_a_retry(
    proxied: tuple[KvTable, FaultPlan], otel: Telemetry
) -> None:
    store, plan = proxied
    plan.inject("unprocessed")
    assert store.delete_keys("alpha", [f"k{i}" for i in range(10)]) == 10
    (operation,) = otel.operations()
    (event,) = operation.events
    assert attributes(event) == {
        "db.operation.name": "BatchWriteItem",
        "kvtable.attempt": 1,
        "kvtable.retry.reason": "5 left unprocessed",
        "error.type": "UnprocessedItems",
        "kvtable.throttled": True,
        "kvtable.will_retry": True,
    }
    assert attributes(operation)["kvtable.requests"] == 2


# ----- metrics ----------------------------------------------------------------------------------


def test_each_request_is_measured_with_its_consumed_capacity(store: KvTable, otel: Telemetry) -> None:
    store.put_key("alpha", "k", {"small": True})
    store.get_key("alpha", "k")
    store.get_key("alpha", "k", consistent=True)
    durations: list[HistogramDataPoint] = otel.points(recording.DURATION)
    by_operation = {attributes(point)["db.operation.name"]: point for point in durations}
    assert by_operation["UpdateItem"].count == 1
    assert by_operation["GetItem"].count == 2
    endpoint = urlsplit(store.client.meta.endpoint_url)  # the same DynamoDB Local for both transports
    assert attributes(by_operation["GetItem"]) == {
        "db.system.name": "aws.dynamodb",
        "db.operation.name": "GetItem",
        "db.collection.name": store.table_name,
        "server.address": endpoint.hostname,
        "server.port": endpoint.port,
        "kvtable.operation": "get_key",
    }
    assert 0 < by_operation["GetItem"].sum < 10
    capacity: list[NumberDataPoint] = otel.points(recording.CAPACITY)
    units = {attributes(point)["db.operation.name"]: point.value for point in capacity}
    # One small item: a write unit to write it (and its index entry), half a unit to read it eventually
    # consistent, one unit strongly consistent.
    assert units == {"UpdateItem": 2.0, "GetItem": 1.5}


def test_a_failed_request_is_measured_with_its_error_type(store: KvTable, otel: Telemetry) -> None:
    store.put_key("alpha", "k", 1)
    with pytest.raises(Exception, match="already exists"):
        store.create_key("alpha", "k", 2)
    failed = [point for point in otel.points(recording.DURATION) if "error.type" in point.attributes]
    (point,) = failed
    assert attributes(point)["error.type"] == "ConditionalCheckFailedException"
    assert attributes(point)["kvtable.operation"] == "create_key"


# ----- tenant data ------------------------------------------------------------------------------

TENANT = {"user": "tenant-user-7f3a", "namespace": "tenant-ns-91bc", "key": "tenant-key-55de"}
SECRETS = {"value": "tenant-value-0c4e", "api_key": "tenant-apikey-aa12", "email": "tenant@example.com"}


def run_tenant_operations(store: KvTable) -> None:
    store.create_user(TENANT["user"], SECRETS["email"], SECRETS["api_key"])
    store.create_namespace(TENANT["user"], TENANT["namespace"])
    store.put_key(TENANT["namespace"], TENANT["key"], {"secret": SECRETS["value"]})
    store.get_key(TENANT["namespace"], TENANT["key"])
    store.get_user_by_api_key(SECRETS["api_key"])
    list(store.iter_keys(TENANT["namespace"], prefix="tenant-"))
    with pytest.raises(ItemNotFoundError):
        store.get_key(TENANT["namespace"], "tenant-key-missing")


def everything_recorded(otel: Telemetry) -> str:
    """Every name, attribute, event and status text of every span, and every metric's attributes."""
    parts: list[Any] = []
    for span in otel.spans():
        parts += [span.name, span.status.description, dict(span.attributes or {})]
        parts += [(event.name, attributes(event)) for event in span.events]
    data = otel.reader.get_metrics_data()
    for resource in data.resource_metrics if data else []:
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                parts += [dict(point.attributes or {}) for point in metric.data.data_points]
    return json.dumps(parts, default=str)


def test_tenant_data_stays_out_of_spans_and_metrics(store: KvTable, otel: Telemetry) -> None:
    run_tenant_operations(store)
    recorded = everything_recorded(otel)
    assert len(otel.operations()) == 7
    for secret in [*TENANT.values(), *SECRETS.values(), "tenant-"]:
        assert secret not in recorded


def test_tenant_identifiers_are_recorded_when_the_caller_opts_in(store: KvTable, otel: Telemetry) -> None:
    telemetry.configure(
        record_tenant_data=True, tracer_provider=otel.tracer_provider, meter_provider=otel.meter_provider
    )
    run_tenant_operations(store)
    by_name = {span.name: attributes(span) for span in otel.operations()}
    assert by_name["KvTable.put_key"]["kvtable.namespace"] == TENANT["namespace"]
    assert by_name["KvTable.put_key"]["kvtable.key"] == TENANT["key"]
    assert by_name["KvTable.create_namespace"]["kvtable.user_id"] == TENANT["user"]
    assert by_name["KvTable.iter_keys"]["kvtable.key_prefix"] == "tenant-"
    missing = otel.operations()[-1]
    assert "tenant-key-missing" in (missing.status.description or "")
    assert [event.name for event in missing.events] == ["exception"]
    # Values, API keys and emails never: they are data and secrets, not identifiers.
    recorded = everything_recorded(otel)
    for secret in SECRETS.values():
        assert secret not in recorded


def test_requests_ask_for_capacity_only_while_a_meter_provider_records(store: KvTable) -> None:
    sent: list[dict[str, Any]] = []
    store.transport.before_call.append(lambda _operation, request: sent.append(dict(request)))
    store.put_key("alpha", "k", 1)  # the API is imported here, no provider set: the request as it was
    with telemetry_set(meter_provider=Telemetry().meter_provider):
        store.get_key("alpha", "k")
    assert [request.get("ReturnConsumedCapacity") for request in sent] == [None, "TOTAL"]


FRESH_GET = """
import sys
{block}
import kvtable.contract.store, kvtable.telemetry.gate as gate, boto3
client = boto3.client("dynamodb", endpoint_url={url!r}, region_name="us-east-1",
                      aws_access_key_id="t", aws_secret_access_key="t")
store = kvtable.contract.store.KvTable(client, {table!r})
store.put_key("alpha", "k", 1)
assert store.get_key("alpha", "k")["value"] == 1
loaded = sorted(name for name in sys.modules if name.startswith("opentelemetry"))
print(gate.installed(), "get_key" in vars(store), loaded)
"""
BLOCK_OPENTELEMETRY = """
class Blocked:
    def find_spec(self, name, path=None, target=None):
        if name == "opentelemetry" or name.startswith("opentelemetry."):
            raise ImportError("no OpenTelemetry here")
        return None
sys.meta_path.insert(0, Blocked())
"""


def fresh_get(dynamodb_endpoint: LocalEndpoint, table_name: str, block: str) -> str:
    script = FRESH_GET.format(block=block, url=dynamodb_endpoint.url, table=table_name)
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("OTEL_PYTHON_TRACER_PROVIDER", None)
    environment.pop("OTEL_PYTHON_METER_PROVIDER", None)
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_without_opentelemetry_a_get_imports_nothing_and_wraps_nothing(
    dynamodb_endpoint: LocalEndpoint, table_name: str
) -> None:
    assert fresh_get(dynamodb_endpoint, table_name, BLOCK_OPENTELEMETRY) == "False False []"


def test_with_opentelemetry_installed_and_unused_a_get_imports_none_of_it(
    dynamodb_endpoint: LocalEndpoint, table_name: str
) -> None:
    # Installed (the store's operations are wrapped), but the application never imported the API: no
    # provider can be set, so kvtable does not import it either.
    assert fresh_get(dynamodb_endpoint, table_name, "") == "True True []"


def test_the_tracing_cost_benchmark_measures_each_mode(
    dynamodb_endpoint: LocalEndpoint, table_name: str
) -> None:
    # Not a timed assertion: that each mode runs what it says (a fresh process checks whether it loaded
    # OpenTelemetry) and yields a figure; the 3% target is the benchmark's to report.
    tracing_cost.load_keys(dynamodb_endpoint.url, table_name)
    for measure in (tracing_cost.measure_in_process, tracing_cost.measure_in_processes):
        cost = measure(dynamodb_endpoint.url, table_name, rounds=2, batch=5, seed=7)
        assert set(cost.per_get_us) == set(tracing_cost.MODES)
        assert all(value > 0 for value in cost.per_get_us.values())
        assert len(cost.report()) == 5
