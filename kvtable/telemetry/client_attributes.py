"""The attributes of a request's CLIENT span, as opentelemetry-instrumentation-botocore (0.66b2,
extensions/dynamodb.py and __init__.py) sets them for the same request on botocore's path: the same keys,
the same values, the same conversions, so a trace does not change when a service changes transports.

Pure functions of the request, the answer and the endpoint: no OpenTelemetry import here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlparse

Attributes = dict[str, Any]
Convert = Callable[[Any], Any]
# An attribute: where its value is in the request or answer (a key, or a path of keys), and how it is
# converted (None: as it is).
Spec = tuple[str | tuple[str, ...], Convert | None]

SPAN_NAME_PREFIX = "DynamoDB."  # the instrumentation's span name: `<service id>.<operation>`


def _single(value: Any) -> tuple[Any, ...]:
    return (value,)


def _keys(value: Any) -> tuple[str, ...] | None:
    return tuple(value.keys()) if isinstance(value, dict) else None


def _json_list(value: Any) -> list[str] | None:
    return [json.dumps(item) for item in value] if isinstance(value, list) else None


def _json_single(value: Any) -> tuple[str]:
    return (json.dumps(value),)


def _json_text(value: Any) -> str | None:
    return json.dumps(value) if isinstance(value, dict) else None


def _length(value: Any) -> int:
    return len(value)


_TABLE_NAME: Spec = ("TableName", _single)
_REQUEST_ITEMS_TABLES: Spec = ("RequestItems", _keys)
_CONSISTENT_READ: Spec = ("ConsistentRead", None)
_PROJECTION: Spec = ("ProjectionExpression", None)
_ATTRIBUTES_TO_GET: Spec = ("AttributesToGet", None)
_LIMIT: Spec = ("Limit", None)
_SELECT: Spec = ("Select", None)
_INDEX_NAME: Spec = ("IndexName", None)
_CAPACITY_LIST: Spec = ("ConsumedCapacity", _json_list)
_CAPACITY_SINGLE: Spec = ("ConsumedCapacity", _json_single)
# Holds the item collection's partition key, a tenant's data: recorded only when the caller opts in.
_ITEM_COLLECTION_METRICS: Spec = ("ItemCollectionMetrics", _json_text)
_PROVISIONED_READ: Spec = (("ProvisionedThroughput", "ReadCapacityUnits"), None)
_PROVISIONED_WRITE: Spec = (("ProvisionedThroughput", "WriteCapacityUnits"), None)

TABLE_NAMES = "aws.dynamodb.table_names"
CONSUMED_CAPACITY = "aws.dynamodb.consumed_capacity"
ITEM_COLLECTION_METRICS = "aws.dynamodb.item_collection_metrics"


class _Operation:
    """What the instrumentation records for one DynamoDB operation: at the span's start, from the request
    once the span records, and from a successful answer."""

    def __init__(
        self,
        start: Mapping[str, Spec] | None = None,
        request: Mapping[str, Spec] | None = None,
        response: Mapping[str, Spec] | None = None,
    ) -> None:
        self.start = start or {}
        self.request = request or {}
        self.response = response or {}


_WRITE_RESPONSE = {CONSUMED_CAPACITY: _CAPACITY_SINGLE, ITEM_COLLECTION_METRICS: _ITEM_COLLECTION_METRICS}
_READ_OPTIONS = {
    "aws.dynamodb.attributes_to_get": _ATTRIBUTES_TO_GET,
    "aws.dynamodb.consistent_read": _CONSISTENT_READ,
    "aws.dynamodb.index_name": _INDEX_NAME,
    "aws.dynamodb.limit": _LIMIT,
    "aws.dynamodb.projection": _PROJECTION,
    "aws.dynamodb.select": _SELECT,
}
OPERATIONS: dict[str, _Operation] = {
    "BatchGetItem": _Operation(
        {TABLE_NAMES: _REQUEST_ITEMS_TABLES}, None, {CONSUMED_CAPACITY: _CAPACITY_LIST}
    ),
    "BatchWriteItem": _Operation(
        {TABLE_NAMES: _REQUEST_ITEMS_TABLES},
        None,
        {CONSUMED_CAPACITY: _CAPACITY_LIST, ITEM_COLLECTION_METRICS: _ITEM_COLLECTION_METRICS},
    ),
    "CreateTable": _Operation(
        {TABLE_NAMES: _TABLE_NAME},
        {
            "aws.dynamodb.global_secondary_indexes": ("GlobalSecondaryIndexes", _json_list),
            "aws.dynamodb.local_secondary_indexes": ("LocalSecondaryIndexes", _json_list),
            "aws.dynamodb.provisioned_read_capacity": _PROVISIONED_READ,
            "aws.dynamodb.provisioned_write_capacity": _PROVISIONED_WRITE,
        },
    ),
    "DeleteItem": _Operation({TABLE_NAMES: _TABLE_NAME}, None, _WRITE_RESPONSE),
    "DeleteTable": _Operation({TABLE_NAMES: _TABLE_NAME}),
    "DescribeTable": _Operation({TABLE_NAMES: _TABLE_NAME}),
    "GetItem": _Operation(
        {TABLE_NAMES: _TABLE_NAME},
        {"aws.dynamodb.consistent_read": _CONSISTENT_READ, "aws.dynamodb.projection": _PROJECTION},
        {CONSUMED_CAPACITY: _CAPACITY_SINGLE},
    ),
    "ListTables": _Operation(
        None,
        {
            "aws.dynamodb.exclusive_start_table": ("ExclusiveStartTableName", None),
            "aws.dynamodb.limit": _LIMIT,
        },
        {"aws.dynamodb.table_count": ("TableNames", _length)},
    ),
    "PutItem": _Operation({TABLE_NAMES: _TABLE_NAME}, None, _WRITE_RESPONSE),
    "Query": _Operation(
        {TABLE_NAMES: _TABLE_NAME},
        {"aws.dynamodb.scan_forward": ("ScanIndexForward", None), **_READ_OPTIONS},
        {CONSUMED_CAPACITY: _CAPACITY_SINGLE},
    ),
    "Scan": _Operation(
        {TABLE_NAMES: _TABLE_NAME},
        {
            "aws.dynamodb.segment": ("Segment", None),
            "aws.dynamodb.total_segments": ("TotalSegments", None),
            **_READ_OPTIONS,
        },
        {
            "aws.dynamodb.count": ("Count", None),
            "aws.dynamodb.scanned_count": ("ScannedCount", None),
            CONSUMED_CAPACITY: _CAPACITY_SINGLE,
        },
    ),
    "UpdateItem": _Operation({TABLE_NAMES: _TABLE_NAME}, None, _WRITE_RESPONSE),
    "UpdateTable": _Operation(
        {TABLE_NAMES: _TABLE_NAME},
        {
            "aws.dynamodb.attribute_definitions": ("AttributeDefinitions", _json_list),
            "aws.dynamodb.global_secondary_index_updates": ("GlobalSecondaryIndexUpdates", _json_list),
            "aws.dynamodb.provisioned_read_capacity": _PROVISIONED_READ,
            "aws.dynamodb.provisioned_write_capacity": _PROVISIONED_WRITE,
        },
    ),
}
_NO_OPERATION = _Operation()


def _value(source: Mapping[str, Any], path: str | tuple[str, ...]) -> Any:
    if isinstance(path, str):
        return source.get(path)
    value: Any = source
    for part in path:
        value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def _add(
    attributes: Attributes, source: Mapping[str, Any], specs: Mapping[str, Spec], tenant_data: bool
) -> None:
    for key, (path, convert) in specs.items():
        if key == ITEM_COLLECTION_METRICS and not tenant_data:
            continue
        value = _value(source, path)
        if value is not None and convert is not None:
            value = convert(value)
        if value is not None:
            attributes[key] = value


def endpoint_attributes(endpoint_url: str) -> Attributes:
    """`server.address`, `server.port` (443 when the URL names none, as the instrumentation says) and
    `net.peer.name` (the URL's host and port as written)."""
    parsed = urlparse(endpoint_url)
    attributes: Attributes = {}
    if parsed.hostname:
        attributes["server.address"] = parsed.hostname
        attributes["server.port"] = parsed.port or 443
    attributes["net.peer.name"] = parsed.netloc
    return attributes


def start_attributes(
    operation: str, request: Mapping[str, Any], region: str, endpoint: Attributes
) -> Attributes:
    """What the span starts with: rpc.*, cloud.region, server.*, db.system, db.operation, net.peer.name
    and the table names."""
    attributes: Attributes = {
        "rpc.system": "aws-api",
        "rpc.service": "DynamoDB",
        "rpc.method": operation,
        "cloud.region": region,
        **endpoint,
        "db.system": "dynamodb",
        "db.operation": operation,
    }
    _add(attributes, request, OPERATIONS.get(operation, _NO_OPERATION).start, tenant_data=False)
    return attributes


def request_attributes(operation: str, request: Mapping[str, Any]) -> Attributes:
    """The request's options the instrumentation adds once the span records (consistent read, limit,
    index, projection, select...): never a key condition, a filter or an attribute value."""
    attributes: Attributes = {}
    _add(attributes, request, OPERATIONS.get(operation, _NO_OPERATION).request, tenant_data=False)
    return attributes


def answer_attributes(request_id: str | None, status: int) -> Attributes:
    """`aws.request_id`, `retry_attempts` (0: the direct transport sends each try as its own request) and
    `http.status_code`, for an answer or an error answer."""
    attributes: Attributes = {}
    if request_id:
        attributes["aws.request_id"] = request_id
    attributes["retry_attempts"] = 0
    attributes["http.status_code"] = status
    return attributes


def response_attributes(operation: str, response: Mapping[str, Any], tenant_data: bool) -> Attributes:
    """Consumed capacity (each entry as botocore's parser gives it), counts, item collection metrics."""
    if "ConsumedCapacity" in response:
        response = {**response, "ConsumedCapacity": botocore_capacity(response["ConsumedCapacity"])}
    attributes: Attributes = {}
    _add(attributes, response, OPERATIONS.get(operation, _NO_OPERATION).response, tenant_data)
    return attributes


# botocore's parser builds each structure in its model's member order (numbers as JSON gave them); the
# attribute is that structure's json.dumps, so the direct transport's answer is put in the same order.
_CAPACITY_MEMBERS = ("ReadCapacityUnits", "WriteCapacityUnits", "CapacityUnits")
_CONSUMED_MEMBERS = (
    "TableName",
    "CapacityUnits",
    "ReadCapacityUnits",
    "WriteCapacityUnits",
    "Table",
    "LocalSecondaryIndexes",
    "GlobalSecondaryIndexes",
)


def _capacity(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    return {name: value[name] for name in _CAPACITY_MEMBERS if name in value}


def _consumed(entry: Any) -> Any:
    if not isinstance(entry, dict):
        return entry
    shaped: dict[str, Any] = {}
    for name in _CONSUMED_MEMBERS:
        if name not in entry:
            continue
        value = entry[name]
        if name == "Table":
            value = _capacity(value)
        elif name.endswith("Indexes") and isinstance(value, dict):
            value = {index: _capacity(units) for index, units in value.items()}
        shaped[name] = value
    return shaped


def botocore_capacity(consumed: Any) -> Any:
    """`ConsumedCapacity` (one entry or a list) as botocore's parser shapes it."""
    if isinstance(consumed, list):
        return [_consumed(entry) for entry in consumed]
    return _consumed(consumed)


class ErrorFacts:
    """What a service error says, whichever shape the transport reported it in."""

    def __init__(self, code: str | None, message: str | None, status: int, request_id: str | None) -> None:
        self.code, self.message, self.status, self.request_id = code, message, status, request_id


def error_facts(error: BaseException) -> ErrorFacts | None:
    """The code, message, HTTP status and request id of an error DynamoDB answered with; None for a failure
    with no answer (a connection, a timeout). Reads botocore's ClientError (`response`) or an error that
    carries them as attributes (`code`, `message`, `status` or `http_status`, `request_id`)."""
    response = getattr(error, "response", None)
    if isinstance(response, dict) and isinstance(response.get("Error"), dict):
        metadata = response.get("ResponseMetadata") or {}
        detail = response["Error"]
        return ErrorFacts(
            detail.get("Code"),
            detail.get("Message"),
            int(metadata.get("HTTPStatusCode") or 0),
            metadata.get("RequestId"),
        )
    code = getattr(error, "code", None)
    status = getattr(error, "status", getattr(error, "http_status", None))
    if isinstance(code, str) and isinstance(status, int):
        request_id = getattr(error, "request_id", None)
        message = getattr(error, "message", None)
        return ErrorFacts(
            code,
            message if isinstance(message, str) else None,
            status,
            request_id if isinstance(request_id, str) else None,
        )
    return None


def error_description(operation: str, error: BaseException, facts: ErrorFacts) -> str:
    """The span's error description, as the instrumentation gives it: botocore's ClientError's text."""
    if isinstance(getattr(error, "response", None), dict):
        return str(error)
    code = "Unknown" if facts.code is None else facts.code
    message = "Unknown" if facts.message is None else facts.message
    return f"An error occurred ({code}) when calling the {operation} operation: {message}"
