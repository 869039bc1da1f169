"""docs/observability.md's Lambda handler, as printed there, on DynamoDB Local with API Gateway events and
an SDK tracer provider standing in for ADOT's layer: its answers, and the trace it leaves."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from kvtable.local.dynamodb_local import LocalEndpoint
from tests.paths import REPO_ROOT
from tests.telemetry_settings import in_memory_tracing, telemetry_set

PAGE = REPO_ROOT / "docs" / "observability.md"


def handler_source() -> str:
    """The page's one Python block that starts with `# handler.py`."""
    blocks: list[str] = re.findall(r"```python\n(.*?)```", PAGE.read_text(encoding="utf-8"), re.S)
    (source,) = [block for block in blocks if block.startswith("# handler.py")]
    return source


def api_gateway_event(
    method: str, namespace: str, key: str, body: Any = None, **headers: str
) -> dict[str, Any]:
    """A REST API proxy-integration event for /namespaces/{namespace}/keys/{key}, trimmed to what the
    handler reads (https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html)."""
    return {
        "resource": "/namespaces/{namespace}/keys/{key}",
        "path": f"/namespaces/{namespace}/keys/{key}",
        "httpMethod": method,
        "headers": headers or None,
        "pathParameters": {"namespace": namespace, "key": key},
        "body": None if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


@pytest.fixture
def lambda_function(
    dynamodb_endpoint: LocalEndpoint, table_name: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[types.ModuleType, InMemorySpanExporter, TracerProvider]]:
    monkeypatch.setenv("TABLE_NAME", table_name)
    monkeypatch.setenv("AWS_ENDPOINT_URL", dynamodb_endpoint.url)
    provider, exporter = in_memory_tracing()
    module = types.ModuleType("handler")
    try:
        with telemetry_set(tracer_provider=provider):
            exec(compile(handler_source(), str(PAGE), "exec"), module.__dict__)  # the init phase
            yield module, exporter, provider
    finally:
        provider.shutdown()


def test_the_documented_handler_answers_api_gateway_and_leaves_its_trace(
    lambda_function: tuple[types.ModuleType, InMemorySpanExporter, TracerProvider],
) -> None:
    module, exporter, provider = lambda_function
    invocation = provider.get_tracer("the layer")

    def invoke(event: dict[str, Any]) -> tuple[int, Any]:
        # ADOT's layer wraps each invocation in a SERVER span; the handler's spans go inside it.
        with invocation.start_as_current_span("handler", kind=SpanKind.SERVER):
            answer = module.handler(event, None)
        return answer["statusCode"], json.loads(answer["body"])

    assert invoke(api_gateway_event("PUT", "app", "user:1", {"name": "Ann"})) == (
        200,
        {"key": "user:1", "value": {"name": "Ann"}, "version": 1},
    )
    exporter.clear()
    assert invoke(api_gateway_event("GET", "app", "user:1")) == (
        200,
        {"key": "user:1", "value": {"name": "Ann"}, "version": 1},
    )
    server, operation, request = sorted(exporter.get_finished_spans(), key=lambda span: span.start_time or 0)
    assert (server.name, operation.name, request.name) == ("handler", "KvTable.get_key", "DynamoDB.GetItem")
    assert operation.parent is not None and operation.parent.span_id == server.context.span_id
    assert request.parent is not None and request.parent.span_id == operation.context.span_id
    assert request.kind is SpanKind.CLIENT

    assert invoke(api_gateway_event("PUT", "app", "user:1", "v2", **{"If-Match": "1"}))[0] == 200
    assert invoke(api_gateway_event("PUT", "app", "user:1", "v3", **{"If-Match": "1"})) == (
        412,
        {"error": "the key changed; read it again"},
    )
    assert invoke(api_gateway_event("GET", "app", "user:2")) == (404, {"error": "no such key"})
    assert invoke(api_gateway_event("GET", "app", ""))[0] == 400  # no key: refused before any request
    assert invoke(api_gateway_event("PUT", "app", "user:1", "v4", **{"If-Match": "one"}))[0] == 400
    assert invoke(api_gateway_event("DELETE", "app", "user:1"))[0] == 405


XRAY_PROGRAM = """
import json, sys
from aws_xray_sdk.core import patch, xray_recorder

class Kept:  # an emitter that sends nothing anywhere: the test reads the segment itself
    ip, port = "127.0.0.1", 2000
    def send_entity(self, entity): pass
    def set_daemon_address(self, address): pass

xray_recorder.configure(emitter=Kept(), sampling=False)
patch(["botocore"])
import boto3
from kvtable.contract.store import KvTable
client = boto3.client("dynamodb", endpoint_url=sys.argv[1], region_name="us-east-1",
                      aws_access_key_id="t", aws_secret_access_key="t")
seen = {}
for transport in ("direct", "botocore"):
    segment = xray_recorder.begin_segment("handler")
    store = KvTable(client, sys.argv[2], transport=transport)
    store.put_key("alpha", "k", 1)
    store.get_key("alpha", "k")
    seen[transport] = [f"{sub.name} {sub.aws.get('operation')}" for sub in segment.subsegments]
    xray_recorder.end_segment()
print(json.dumps(seen))
"""


def test_the_xray_sdks_botocore_patch_sees_only_botocores_path(
    dynamodb_endpoint: LocalEndpoint, table_name: str
) -> None:
    # What the page tells X-Ray users, shown with the X-Ray SDK itself (in a process of its own: its patch
    # of botocore cannot be taken back).
    done = subprocess.run(
        [sys.executable, "-c", XRAY_PROGRAM, dynamodb_endpoint.url, table_name],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(PAGE.parent.parent)},
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"direct": [], "botocore": ["dynamodb UpdateItem", "dynamodb GetItem"]}
