"""The spans and measurements themselves: imported only once the process has imported OpenTelemetry's
API. With the API and no SDK (no provider set), every call here goes straight through."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from opentelemetry import metrics, trace
from opentelemetry.metrics import _internal as metrics_internal
from opentelemetry.trace import Span, SpanKind, Status, StatusCode, Tracer

from kvtable.schema.limits import CAPACITY_OPERATIONS
from kvtable.telemetry import client_attributes as ca
from kvtable.telemetry import settings
from kvtable.telemetry.settings import current_settings
from kvtable.telemetry.shared import ANSWER, TENANT_ARGUMENTS
from kvtable.version import __version__

SCOPE = "kvtable"
SYSTEM = "aws.dynamodb"  # db.system.name of the current database semantic conventions
DURATION = "db.client.operation.duration"
CAPACITY = "kvtable.dynamodb.consumed_capacity"
THROTTLES = "kvtable.dynamodb.throttles"
RETRIES = "kvtable.dynamodb.retries"
TRY_FAILED = "kvtable.try_failed"  # the event on an operation's span for each try that failed and why
# The conventions' advice for db.client.operation.duration.
DURATION_BUCKETS = (0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0)
_THROTTLING_CODES = frozenset(
    {"ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded"}
)


class _Operation:
    """The contract operation running in this context: its span and what happened inside it (counted
    under a lock: a bulk load's writers share it)."""

    def __init__(self, name: str, span: Span | None) -> None:
        self.name, self.span = name, span
        self.requests = self.retries = self.throttles = 0
        self._lock = threading.Lock()

    def count(self, requests: int = 0, retries: int = 0, throttles: int = 0) -> None:
        """Add to the counts."""
        with self._lock:
            self.requests += requests
            self.retries += retries
            self.throttles += throttles


_current: ContextVar[_Operation | None] = ContextVar("kvtable_operation", default=None)

# Whether a global provider is set, read where the API keeps it: asking the API (get_tracer_provider)
# looks the provider variable up in os.environ on every call, a few µs a request. A provider named by
# that variable is loaded by the API itself when first asked for; an API that keeps its global elsewhere
# is asked every time.
_UNKNOWN = object()
_TRACER_FROM_ENVIRONMENT = "OTEL_PYTHON_TRACER_PROVIDER" in os.environ
_METER_FROM_ENVIRONMENT = "OTEL_PYTHON_METER_PROVIDER" in os.environ


def _global_tracer_provider() -> object:
    provider = getattr(trace, "_TRACER_PROVIDER", _UNKNOWN)
    if provider is _UNKNOWN or (provider is None and _TRACER_FROM_ENVIRONMENT):
        return trace.get_tracer_provider()
    return provider


def _global_meter_provider() -> object:
    provider = getattr(metrics_internal, "_METER_PROVIDER", _UNKNOWN)
    if provider is _UNKNOWN or (provider is None and _METER_FROM_ENVIRONMENT):
        return metrics.get_meter_provider()
    return provider


def _api_only(provider: object) -> bool:
    # None (nothing set) and the API's own providers (the proxy, the no-op) record nothing.
    return provider is None or type(provider).__module__.startswith(
        ("opentelemetry.trace", "opentelemetry.metrics")
    )


class _Tracers:
    provider: object = None
    tracer: Tracer | None = None


def _tracer() -> Tracer | None:
    """kvtable's tracer, or None when no SDK provider is set (nothing would be recorded)."""
    provider = current_settings().tracer_provider or _global_tracer_provider()
    if provider is not _Tracers.provider:
        _Tracers.provider = provider
        _Tracers.tracer = (
            None if _api_only(provider) else trace.get_tracer(SCOPE, __version__, provider)  # type: ignore[arg-type]
        )
    return _Tracers.tracer


@dataclass(frozen=True)
class _Instruments:
    duration: metrics.Histogram
    capacity: metrics.Counter
    throttles: metrics.Counter
    retries: metrics.Counter


class _Meters:
    provider: object = None
    instruments: _Instruments | None = None


def _instruments() -> _Instruments | None:
    """kvtable's instruments, or None when no SDK meter provider is set."""
    provider = current_settings().meter_provider or _global_meter_provider()
    if provider is not _Meters.provider:
        _Meters.provider = provider
        _Meters.instruments = None
        if not _api_only(provider):
            meter = metrics.get_meter(SCOPE, __version__, provider)  # type: ignore[arg-type]
            _Meters.instruments = _Instruments(
                meter.create_histogram(
                    DURATION,
                    unit="s",
                    description="Duration of database client operations.",
                    explicit_bucket_boundaries_advisory=DURATION_BUCKETS,
                ),
                meter.create_counter(
                    CAPACITY, unit="{capacity_unit}", description="Capacity units DynamoDB reports consumed."
                ),
                meter.create_counter(
                    THROTTLES, unit="{throttle}", description="Requests DynamoDB throttled."
                ),
                meter.create_counter(
                    RETRIES, unit="{retry}", description="Requests the contract sent again after a failure."
                ),
            )
    return _Meters.instruments


# The API keeps its globals where this version reads them, and no variable names a provider: then "no
# provider set anywhere" is two attribute reads, the path of every request with the API and no SDK.
_FAST_CHECK = (
    getattr(trace, "_TRACER_PROVIDER", _UNKNOWN) is not _UNKNOWN
    and getattr(metrics_internal, "_METER_PROVIDER", _UNKNOWN) is not _UNKNOWN
    and not (_TRACER_FROM_ENVIRONMENT or _METER_FROM_ENVIRONMENT)
)


def active() -> bool:
    """Whether anything would be recorded: an SDK tracer or meter provider is set."""
    if (
        _FAST_CHECK
        and trace._TRACER_PROVIDER is None
        and metrics_internal._METER_PROVIDER is None
        and settings._settings.tracer_provider is None
        and settings._settings.meter_provider is None
    ):
        return False
    return _tracer() is not None or _instruments() is not None


# ----- contract operations: INTERNAL spans ---------------------------------------------------------


def operation(
    name: str,
    method: Callable[..., Any],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    table: str,
    positions: dict[str, int],
    iterating: bool,
) -> Any:
    """Run one contract operation inside its INTERNAL span."""
    tracer = _tracer()
    if tracer is None:
        if _instruments() is None:
            return method(*args, **kwargs)
        return _without_span(name, method, args, kwargs, iterating)
    tenant_data = current_settings().record_tenant_data
    attributes = operation_attributes(name, table, args, kwargs, positions=positions, tenant_data=tenant_data)
    if iterating:
        return _iterate(tracer, name, method(*args, **kwargs), attributes, tenant_data)
    span = tracer.start_span(f"KvTable.{name}", kind=SpanKind.INTERNAL, attributes=attributes)
    with in_operation(_Operation(name, span), span, tenant_data, ends=True):
        return method(*args, **kwargs)


@contextmanager
def in_operation(state: _Operation, span: Span, tenant_data: bool, *, ends: bool) -> Iterator[None]:
    """One operation (`ends`), or one page of an iteration, with its context current and its span in use:
    a failure is recorded on the span; the end of an iteration is no failure."""
    token = _current.set(state)
    try:
        with trace.use_span(span, end_on_exit=ends, record_exception=False, set_status_on_exception=False):
            try:
                yield
            except (StopIteration, StopAsyncIteration):
                raise
            except Exception as error:
                _failed(span, error, tenant_data)
                raise
            finally:
                if ends:
                    _close(state)
    finally:
        _current.reset(token)


def operation_attributes(
    name: str,
    table: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    positions: dict[str, int],
    tenant_data: bool,
) -> dict[str, Any]:
    """An operation span's attributes: the database's, the operation's, and tenant data when opted in."""
    attributes: dict[str, Any] = {
        "db.system.name": SYSTEM,
        "db.collection.name": table,
        "kvtable.operation": name,
    }
    if tenant_data:
        attributes.update(_tenant_attributes(args, kwargs, positions))
    return attributes


def _without_span(
    name: str, method: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any], iterating: bool
) -> Any:
    # Measured, not traced: the operation's name still goes on its requests' measurements.
    if iterating:
        return _measured_iteration(name, method(*args, **kwargs))
    token = _current.set(_Operation(name, None))
    try:
        return method(*args, **kwargs)
    finally:
        _current.reset(token)


def _measured_iteration(name: str, items: Iterator[Any]) -> Iterator[Any]:
    state = _Operation(name, None)
    while True:
        token = _current.set(state)
        try:
            item = next(items)
        except StopIteration:
            return
        finally:
            _current.reset(token)
        yield item


def _iterate(
    tracer: Tracer, name: str, items: Iterator[Any], attributes: dict[str, Any], tenant_data: bool
) -> Iterator[Any]:
    """The items of an iterating operation; its span starts with the first item asked for and ends when the
    iterator is done, fails or is closed. Its context is current only while a page is fetched, never
    while the caller holds an item."""
    state: _Operation | None = None
    try:
        while True:
            if state is None:
                span = tracer.start_span(f"KvTable.{name}", kind=SpanKind.INTERNAL, attributes=attributes)
                state = _Operation(name, span)
            try:
                with in_operation(state, span, tenant_data, ends=False):
                    item = next(items)
            except StopIteration:
                return
            yield item
    finally:
        if state is not None and state.span is not None:
            _close(state)
            state.span.end()


def _close(state: _Operation) -> None:
    if state.span is not None and state.span.is_recording():
        state.span.set_attributes(
            {
                "kvtable.requests": state.requests,
                "kvtable.retries": state.retries,
                "kvtable.throttles": state.throttles,
            }
        )


def _failed(span: Span, error: Exception, tenant_data: bool) -> None:
    # The contract's messages name namespaces and keys: the span keeps only the error's type, unless the
    # caller opted in to tenant data.
    kind = type(error).__qualname__
    span.set_attribute("error.type", kind)
    if tenant_data:
        span.set_status(Status(StatusCode.ERROR, f"{kind}: {error}"))
        span.record_exception(error)
    else:
        span.set_status(Status(StatusCode.ERROR, kind))


def _tenant_attributes(
    args: tuple[Any, ...], kwargs: dict[str, Any], positions: dict[str, int]
) -> dict[str, Any]:

    found: dict[str, Any] = {}
    for parameter, position in positions.items():
        value = kwargs.get(parameter, args[position] if position < len(args) else None)
        if isinstance(value, str):
            found[TENANT_ARGUMENTS[parameter]] = value
    return found


# ----- requests: CLIENT spans (direct transport) and measurements (both) ---------------------------


def request(
    call: Callable[[str, dict[str, Any]], dict[str, Any]],
    operation: str,
    request: dict[str, Any],
    *,
    region: str,
    endpoint: dict[str, Any],
    table: str,
    client_span: bool,
) -> dict[str, Any]:
    """Send one request through `call`: a CLIENT span around it (`client_span`), and its measurements."""
    tracer = _tracer() if client_span else None
    instruments = _instruments()
    state = _current.get()
    if state is not None:
        state.count(requests=1)
    if tracer is None and instruments is None:
        return call(operation, request)
    if instruments is not None and operation in CAPACITY_OPERATIONS:
        # Capacity comes only when asked for; a caller's own ask (INDEXES) is kept.
        request.setdefault("ReturnConsumedCapacity", "TOTAL")
    endpoint_attributes = endpoint
    span = None if tracer is None else _client_span(tracer, operation, request, region, endpoint_attributes)
    answer: list[tuple[int, Any]] = []
    answer_token = ANSWER.set(answer) if span is not None else None
    started = time.perf_counter()
    error_type: str | None = None
    response: dict[str, Any] | None = None
    try:
        if span is None:
            response = call(operation, request)
        else:
            response = _traced_call(span, call, operation, request, answer)
        return response
    except Exception as error:
        facts = ca.error_facts(error)
        error_type = facts.code if facts is not None and facts.code else type(error).__qualname__
        raise
    finally:
        if answer_token is not None:
            ANSWER.reset(answer_token)
        if instruments is not None:
            _measure(
                instruments,
                operation,
                table=table,
                endpoint=endpoint_attributes,
                state=state,
                started=started,
                error_type=error_type,
                response=response,
            )


def _client_span(
    tracer: Tracer, operation: str, request: dict[str, Any], region: str, endpoint: dict[str, Any]
) -> Span:
    """The CLIENT span of one request, started, with the request's attributes when it records."""
    span = tracer.start_span(
        ca.SPAN_NAME_PREFIX + operation,
        kind=SpanKind.CLIENT,
        attributes=ca.start_attributes(operation, request, region, endpoint),
    )
    if span.is_recording():
        span.set_attributes(ca.request_attributes(operation, request))
    return span


def _traced_call(
    span: Span,
    call: Callable[[str, dict[str, Any]], dict[str, Any]],
    operation: str,
    request: dict[str, Any],
    answer: list[tuple[int, Any]],
) -> dict[str, Any]:
    """`call` inside `span`, which ends with it and records its answer or failure."""
    with trace.use_span(span, end_on_exit=True, record_exception=False, set_status_on_exception=False):
        try:
            response = call(operation, request)
        except Exception as error:
            _request_failed(span, operation, error)
            raise
        _request_answered(span, operation, response, answer)
        return response


def _request_answered(
    span: Span, operation: str, response: dict[str, Any], answer: list[tuple[int, Any]]
) -> None:
    if not span.is_recording():
        return
    status, headers = answer[-1] if answer else (200, {})
    span.set_attributes(ca.answer_attributes(_request_id(headers), status))
    span.set_attributes(ca.response_attributes(operation, response, current_settings().record_tenant_data))


def _request_failed(span: Span, operation: str, error: Exception) -> None:
    # As the instrumentation does: an error answer's metadata, ERROR for a 4xx or 5xx with botocore's
    # words, ERROR with the exception's text for a failure without an answer; the exception as an event.
    facts = ca.error_facts(error)
    if facts is not None:
        description = ca.error_description(operation, error, facts)
        if span.is_recording():
            span.set_attributes(ca.answer_attributes(facts.request_id, facts.status))
        if facts.status >= 400:
            span.set_status(Status(StatusCode.ERROR, description))
        # The event's message in botocore's words too, whichever shape the transport reported the answer in.
        span.record_exception(error, attributes={"exception.message": description})
        return
    span.set_status(Status(StatusCode.ERROR, str(error)))
    span.record_exception(error)


def _request_id(headers: Any) -> str | None:
    if not headers:
        return None
    value = headers.get("x-amzn-requestid") or headers.get("x-amzn-RequestId")
    return str(value) if value else None


def _measure(
    instruments: _Instruments,
    operation: str,
    *,
    table: str,
    endpoint: dict[str, Any],
    state: _Operation | None,
    started: float,
    error_type: str | None,
    response: dict[str, Any] | None,
) -> None:
    attributes: dict[str, Any] = {
        "db.system.name": SYSTEM,
        "db.operation.name": operation,
        "db.collection.name": table,
    }
    if "server.address" in endpoint:
        attributes["server.address"] = endpoint["server.address"]
        attributes["server.port"] = endpoint["server.port"]
    if state is not None:
        attributes["kvtable.operation"] = state.name
    if error_type is not None:
        attributes["error.type"] = error_type
    instruments.duration.record(time.perf_counter() - started, attributes)
    if response is not None:
        units = _capacity_units(response.get("ConsumedCapacity"))
        if units is not None:
            capacity_attributes = {
                key: value for key, value in attributes.items() if not key.startswith("server.")
            }
            instruments.capacity.add(units, capacity_attributes)


def _capacity_units(consumed: Any) -> float | None:
    if consumed is None:
        return None
    entries = consumed if isinstance(consumed, list) else [consumed]
    return sum(float(entry.get("CapacityUnits", 0.0)) for entry in entries if isinstance(entry, dict))


# ----- retries and throttling ----------------------------------------------------------------------


def retrying(operation: str, attempt: int, retry: BaseException, again: bool) -> None:
    """Record a failed try of `operation` worth another; `again`: the contract sends it again (False after
    its last try)."""
    cause = retry.__cause__
    facts = ca.error_facts(cause) if cause is not None else None
    error_type = facts.code if facts is not None and facts.code else type(cause or retry).__qualname__
    reasons = [
        reason for reason in getattr(retry, "throttling_reasons", None) or [] if isinstance(reason, dict)
    ]
    text = str(getattr(retry, "reason", retry))
    throttled = bool(reasons) or error_type in _THROTTLING_CODES or "throttled" in text
    event: dict[str, Any] = {
        "db.operation.name": operation,
        "kvtable.attempt": attempt + 1,
        "kvtable.retry.reason": text,
        "error.type": error_type,
        "kvtable.throttled": throttled,
        "kvtable.will_retry": again,
    }
    if reasons:
        event["aws.dynamodb.throttling_reasons"] = [str(reason.get("reason", "")) for reason in reasons]
        event["aws.dynamodb.throttling_resources"] = [str(reason.get("resource", "")) for reason in reasons]
    _record_retry(operation, event, throttled, error_type, event.get("aws.dynamodb.throttling_reasons"))


def unprocessed(operation: str, attempt: int, left: int, again: bool) -> None:
    """Record a batch that DynamoDB left partly unprocessed (its throttling), asked for again."""
    error_type = "UnprocessedKeys" if operation == "BatchGetItem" else "UnprocessedItems"
    event: dict[str, Any] = {
        "db.operation.name": operation,
        "kvtable.attempt": attempt + 1,
        "kvtable.retry.reason": f"{left} left unprocessed",
        "error.type": error_type,
        "kvtable.throttled": True,
        "kvtable.will_retry": again,
    }
    _record_retry(operation, event, True, error_type, None)


def _record_retry(
    operation: str, event: dict[str, Any], throttled: bool, error_type: str, reasons: list[str] | None
) -> None:
    again = bool(event["kvtable.will_retry"])
    state = _current.get()
    if state is not None:
        state.count(retries=int(again), throttles=int(throttled))
        if state.span is not None and state.span.is_recording():
            state.span.add_event(TRY_FAILED, event)
    instruments = _instruments()
    if instruments is None:
        return
    attributes: dict[str, Any] = {
        "db.system.name": SYSTEM,
        "db.operation.name": operation,
        "error.type": error_type,
    }
    if state is not None:
        attributes["kvtable.operation"] = state.name
    if again:
        instruments.retries.add(1, attributes)
    if throttled:
        if reasons:
            attributes["aws.dynamodb.throttling_reason"] = reasons[0]
        instruments.throttles.add(1, attributes)
