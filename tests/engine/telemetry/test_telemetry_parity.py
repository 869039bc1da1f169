"""The direct transport's CLIENT spans against opentelemetry-instrumentation-botocore's on botocore's path,
on DynamoDB Local: a corpus of every operation of the contract that sends requests (gets, puts,
compare-and-swap, queries and pages, batched reads and writes, transactions, deletes, counts, refusals)
runs twice on the same table, once per transport, each with the SDK's TracerProvider and
InMemorySpanExporter. The CLIENT spans must agree in name, kind, attribute keys and values, status and
events, request ids aside; the operations' INTERNAL spans must agree too, and parent the same spans."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from kvtable import telemetry
from kvtable.contract.consumed_capacity import CapacityRecorder
from kvtable.contract.store import KvTable
from kvtable.local.dynamodb_local import LocalEndpoint
from kvtable.schema.errors import KvTableError
from kvtable.transport import TransportChoice
from tests.harness.fault_proxy import client_through, fault_proxy
from tests.telemetry_settings import in_memory_tracing, telemetry_set

FIXED_NOW = datetime.now(UTC).replace(microsecond=0)
# Differs by nature between two runs: DynamoDB's id of each request.
PER_REQUEST = {"aws.request_id"}
INSTRUMENTATION_SCOPE = "opentelemetry.instrumentation.botocore.dynamodb"


def corpus(store: KvTable) -> None:
    """Every contract operation that sends requests, with the refusals DynamoDB answers as errors."""

    def attempt(action: Any) -> None:
        try:
            result = action()
            if isinstance(result, Iterator):
                list(result)
        except KvTableError:
            pass  # a refusal is part of the corpus: its spans are compared

    attempt(lambda: store.create_user("u1", "u1@example.com", "key-one", plan="pro"))
    attempt(lambda: store.create_user("u1", "u1@example.com", "key-two"))  # transaction cancelled
    attempt(lambda: store.get_user("u1"))
    attempt(lambda: store.get_user("nobody", consistent=True))
    attempt(lambda: store.get_user_by_api_key("key-one"))
    for name in ("alpha", "beta", "gamma"):
        attempt(lambda name=name: store.create_namespace("u1", name))
    attempt(lambda: store.create_namespace("u1", "alpha"))
    attempt(lambda: store.list_user_namespaces("u1", page_size=2, consistent=True))
    attempt(lambda: store.iter_user_namespaces("u1", page_size=2))
    attempt(lambda: store.get_namespace("alpha", consistent=True))
    for i in range(6):
        attempt(lambda i=i: store.put_key("alpha", f"k{i}", {"n": i, "text": "x" * 50 * i}))
    attempt(lambda: store.create_key("alpha", "fresh", "new"))
    attempt(lambda: store.create_key("alpha", "k0", "taken"))  # condition failed
    attempt(lambda: store.update_key("alpha", "k1", "changed", expected_version=1))  # compare-and-swap
    attempt(lambda: store.update_key("alpha", "k1", "lost", expected_version=1))  # stale version
    attempt(lambda: store.get_key("alpha", "k0"))
    attempt(lambda: store.get_key("alpha", "absent", consistent=True))
    attempt(lambda: store.list_keys("alpha", "k", page_size=2, consistent=True))
    page = store.list_keys("alpha", "k", page_size=2)
    attempt(lambda: store.list_keys("alpha", "k", page_size=2, cursor=page.cursor))
    attempt(lambda: store.iter_keys("alpha", page_size=4, consistent=True))
    attempt(lambda: store.count_keys("alpha"))
    attempt(lambda: store.get_keys("alpha", ["k3", "absent", "k0"], consistent=True))
    attempt(lambda: store.delete_keys("alpha", ["k4", "k5", "absent"]))
    attempt(lambda: store.load_keys("beta", ((f"n{i}", i) for i in range(30))))
    attempt(lambda: store.delete_key("alpha", "k2"))
    attempt(lambda: store.delete_key("alpha", "k2"))  # already gone
    attempt(lambda: store.add_usage("u1", requests=3, storage_bytes=10))
    attempt(lambda: store.update_user("u1", plan="scale"))
    attempt(lambda: store.rotate_api_key("u1", "key-three"))
    attempt(lambda: store.delete_namespace("u1", "gamma"))
    attempt(lambda: store.delete_user("u1", delete_namespaces=True))
    no_index = KvTable(store.client, store.table_name, "NoSuchIndex", transport=_choice(store), clock=_now)
    attempt(lambda: no_index.list_keys("alpha"))  # DynamoDB's ValidationException


def empty(client: DynamoDBClient, table: str) -> None:
    for page in client.get_paginator("scan").paginate(TableName=table, ConsistentRead=True):
        for item in page["Items"]:
            client.delete_item(TableName=table, Key={"PK": item["PK"], "SK": item["SK"]})


def _now() -> datetime:
    return FIXED_NOW


def _choice(store: KvTable) -> TransportChoice:
    return "botocore" if type(store.transport).__name__ == "BotocoreTransport" else "direct"


def client_spans(spans: list[ReadableSpan]) -> list[ReadableSpan]:
    return [span for span in spans if span.kind is SpanKind.CLIENT]


def comparable(span: ReadableSpan, by_id: dict[int, ReadableSpan]) -> dict[str, Any]:
    """What must agree between the two runs: all of the span but its ids, times, scope and request id."""
    parent = by_id.get(span.parent.span_id) if span.parent is not None else None
    return {
        "name": span.name,
        "kind": span.kind,
        "attributes": {k: v for k, v in (span.attributes or {}).items() if k not in PER_REQUEST},
        "status": (span.status.status_code, span.status.description),
        "events": [
            (
                event.name,
                (event.attributes or {}).get("exception.message"),
                (event.attributes or {}).get("exception.escaped"),
            )
            for event in span.events
        ],
        "parent": (parent.name, (parent.attributes or {}).get("kvtable.operation")) if parent else None,
    }


@pytest.fixture
def tracing() -> Iterator[tuple[TracerProvider, InMemorySpanExporter]]:
    provider, exporter = in_memory_tracing()
    try:
        with telemetry_set(tracer_provider=provider):
            yield provider, exporter
    finally:
        provider.shutdown()


CASES = {
    # kvtable's metrics ask for ReturnConsumedCapacity=TOTAL, on both transports.
    "metrics-ask-TOTAL": ("TOTAL", ""),
    # CapacityRecorder asks for INDEXES: the table's and the index's capacity in the attribute.
    "recorder-asks-INDEXES": ("INDEXES", "database"),
    "no-capacity": ("none", "database/dup"),
}


@pytest.mark.parametrize("case", CASES)
def test_the_direct_transports_client_spans_are_the_instrumentations(
    dynamodb_client: DynamoDBClient,
    table_name: str,
    tracing: tuple[TracerProvider, InMemorySpanExporter],
    monkeypatch: pytest.MonkeyPatch,
    case: str,
) -> None:
    capacity, semconv_opt_in = CASES[case]
    # opentelemetry-instrumentation-botocore 0.66b2 reads no OTEL_SEMCONV_STABILITY_OPT_IN for DynamoDB
    # (its spans keep db.system, db.operation, net.peer.name, http.status_code); set or not, both agree.
    monkeypatch.setenv("OTEL_SEMCONV_STABILITY_OPT_IN", semconv_opt_in)
    provider, exporter = tracing
    if capacity == "TOTAL":
        # With metrics recorded, kvtable asks for the capacity it measures, on both transports.
        reader = InMemoryMetricReader()
        monkeypatch.setattr(
            telemetry.settings,
            "_settings",
            telemetry.TelemetrySettings(tracer_provider=provider, meter_provider=MeterProvider([reader])),
        )
    runs: dict[str, list[dict[str, Any]]] = {}
    internal: dict[str, list[dict[str, Any]]] = {}
    for choice in ("direct", "botocore"):
        # The same table in both runs (its name is an attribute's value), emptied before each.
        empty(dynamodb_client, table_name)
        instrumentor = BotocoreInstrumentor()  # type: ignore[no-untyped-call]
        if choice == "botocore":
            instrumentor.instrument(tracer_provider=provider)
        exporter.clear()
        try:
            store = KvTable(dynamodb_client, table_name, transport=choice, clock=_now)
            if capacity == "INDEXES":
                CapacityRecorder().attach(store)
            corpus(store)
        finally:
            if choice == "botocore":
                instrumentor.uninstrument()
        spans = list(exporter.get_finished_spans())
        by_id = {span.context.span_id: span for span in spans}
        clients = client_spans(spans)
        # One CLIENT span a request, and only one: on botocore's path the instrumentation's, none of kvtable's.
        scope = "kvtable" if choice == "direct" else INSTRUMENTATION_SCOPE
        assert {getattr(span.instrumentation_scope, "name", None) for span in clients} == {scope}
        assert all(span.attributes and span.attributes.get("aws.request_id") for span in clients)
        runs[choice] = [comparable(span, by_id) for span in clients]
        internal[choice] = [comparable(span, by_id) for span in spans if span.kind is SpanKind.INTERNAL]

    direct, botocore = runs["direct"], runs["botocore"]
    assert len(direct) == len(botocore) > 60
    for position, (ours, theirs) in enumerate(zip(direct, botocore, strict=True)):
        assert ours == theirs, f"CLIENT span {position} ({theirs['name']}) differs"
    assert internal["direct"] == internal["botocore"]
    # The corpus reaches every operation kvtable sends, each kind of answer, and both kinds of capacity.
    names = {run["name"] for run in direct}
    assert names == {
        f"DynamoDB.{operation}"
        for operation in (
            "GetItem",
            "UpdateItem",
            "DeleteItem",
            "Query",
            "BatchGetItem",
            "BatchWriteItem",
            "TransactWriteItems",
        )
    }
    statuses = {run["attributes"]["http.status_code"] for run in direct}
    assert statuses == {200, 400}
    descriptions = {run["status"][1] for run in direct if run["status"][1]}
    assert any("ConditionalCheckFailedException" in text for text in descriptions)
    assert any("TransactionCanceledException" in text for text in descriptions)
    assert any("ValidationException" in text for text in descriptions)
    with_capacity = [run for run in direct if "aws.dynamodb.consumed_capacity" in run["attributes"]]
    assert bool(with_capacity) == (capacity != "none")
    if capacity == "INDEXES":
        assert any('"GlobalSecondaryIndexes"' in str(run["attributes"]) for run in with_capacity)
    # Every request ran inside its operation's INTERNAL span, on both paths.
    assert all(run["parent"] is not None and run["parent"][0].startswith("KvTable.") for run in direct)
    # server.port and net.peer.name are equal here because both runs reach the same DynamoDB Local. They
    # legitimately differ only where the direct transport's endpoint is not the client's configured one
    # (an account-based endpoint): the instrumentation names `client.meta.endpoint_url`, kvtable the
    # endpoint the request really went to (docs/observability.md).
    assert {run["attributes"]["server.port"] for run in direct} == {
        int(dynamodb_client.meta.endpoint_url.rsplit(":", 1)[1])
    }


FAULTS = ("throttle", "throttle_reasons", "error500", "drop_before", "drop_after")
# botocore's words for an error it would have retried had its own retries been on: "... operation (reached
# max retries: 0): ...". A note on botocore's retry handler, which the direct transport does not have
# (the contract retries, and says so on the operation's span); the rest of the text must agree.
RETRY_NOTE = re.compile(r" \(reached max retries: \d+\)")


def without_retry_note(run: dict[str, Any]) -> dict[str, Any]:
    code, description = run["status"]
    events = [
        (name, RETRY_NOTE.sub("", message or "") or message, escaped)
        for name, message, escaped in run["events"]
    ]
    return {
        **run,
        "status": (code, RETRY_NOTE.sub("", description) if description else description),
        "events": events,
    }


def without_failure_text(run: dict[str, Any], endpoint: str) -> dict[str, Any]:
    """A span of a failure with no answer (a dropped connection), its text set aside once checked to name
    the endpoint: the instrumentation's text is the exception's own, and botocore's exception names the
    request's URL ("http://host:port/") where the direct transport's names the endpoint ("http://host:port");
    both say the connection was closed. Status code, events, attributes must still agree."""
    if "http.status_code" in run["attributes"]:
        return run
    code, description = run["status"]
    assert endpoint in description and "closed" in description
    events = [(name, None, escaped) for name, _message, escaped in run["events"]]
    return {**run, "status": (code, "a failure with no answer"), "events": events}


def test_failed_requests_make_the_same_client_spans_on_both_transports(
    dynamodb_endpoint: LocalEndpoint, table_name: str, tracing: tuple[TracerProvider, InMemorySpanExporter]
) -> None:
    # Through the fault proxy, with botocore's own retries off (client_through): each try is one request
    # on both paths, as the contract retries. With botocore's retries on, the instrumentation's span would
    # cover botocore's tries (retry_attempts > 0) where the direct transport makes a span a try.
    provider, exporter = tracing
    runs: dict[str, list[dict[str, Any]]] = {}
    with fault_proxy(dynamodb_endpoint.url) as (url, plan):
        for choice in ("direct", "botocore"):
            instrumentor = BotocoreInstrumentor()  # type: ignore[no-untyped-call]
            if choice == "botocore":
                instrumentor.instrument(tracer_provider=provider)
            try:
                store = KvTable(client_through(url), table_name, transport=choice, sleep=lambda _: None)
                store.put_key("alpha", "k", 1)
                exporter.clear()
                for fault in FAULTS:
                    plan.inject(fault)
                    assert store.get_key("alpha", "k")["value"] == 1
                    plan.inject(fault)
                    store.put_key("alpha", "k", 1)
            finally:
                if choice == "botocore":
                    instrumentor.uninstrument()
            spans = list(exporter.get_finished_spans())
            by_id = {span.context.span_id: span for span in spans}
            runs[choice] = [
                without_failure_text(without_retry_note(comparable(span, by_id)), url)
                for span in client_spans(spans)
            ]
    assert len(runs["direct"]) == len(runs["botocore"]) == 4 * len(FAULTS)
    for position, (ours, theirs) in enumerate(zip(runs["direct"], runs["botocore"], strict=True)):
        assert ours == theirs, f"CLIENT span {position} ({theirs['name']}) differs"
    statuses = [run["attributes"].get("http.status_code") for run in runs["direct"]]
    assert {400, 500, None} <= set(statuses)  # error answers, and failures with no answer at all
