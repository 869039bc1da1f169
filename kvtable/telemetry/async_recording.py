"""The async front's operation spans: the twin of kvtable/telemetry/recording.py's `operation` for
`AsyncKvTable`, one INTERNAL span per awaited operation (or per async iteration), with the same
attributes, the counts of its requests, retries and throttles, and its error's type. Its requests make no
CLIENT spans nor measurements yet. Imported only once the process uses OpenTelemetry."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from opentelemetry.trace import SpanKind

from kvtable.telemetry import recording
from kvtable.telemetry.recording import _close, _current, _Operation, _tracer
from kvtable.telemetry.settings import current_settings

SPAN_PREFIX = "AsyncKvTable."


async def operation(
    name: str,
    method: Callable[..., Awaitable[Any]],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    *,
    table: str,
    positions: dict[str, int],
) -> Any:
    """Await one contract operation inside its INTERNAL span (its batches' tasks count into it too)."""
    tracer = _tracer()
    if tracer is None:
        return await method(*args, **kwargs)
    tenant_data = current_settings().record_tenant_data
    attributes = recording.operation_attributes(
        name, table, args, kwargs, positions=positions, tenant_data=tenant_data
    )
    span = tracer.start_span(SPAN_PREFIX + name, kind=SpanKind.INTERNAL, attributes=attributes)
    with recording.in_operation(_Operation(name, span), span, tenant_data, ends=True):
        return await method(*args, **kwargs)


async def iterate(
    name: str,
    items: AsyncIterator[Any],
    *,
    table: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    positions: dict[str, int],
) -> AsyncIterator[Any]:
    """The items of an async iteration, its span from the first item asked for until it is done, fails or
    is closed; current only while a page is fetched."""
    tracer = _tracer()
    if tracer is None:
        async for item in items:
            yield item
        return
    tenant_data = current_settings().record_tenant_data
    attributes = recording.operation_attributes(
        name, table, args, kwargs, positions=positions, tenant_data=tenant_data
    )
    span = tracer.start_span(SPAN_PREFIX + name, kind=SpanKind.INTERNAL, attributes=attributes)
    state = _Operation(name, span)
    try:
        while True:
            try:
                with recording.in_operation(state, span, tenant_data, ends=False):
                    item = await anext(items)
            except StopAsyncIteration:
                return
            yield item
    finally:
        _close(state)
        span.end()


def count_request() -> None:
    """One request sent for the operation running in this context (its span's kvtable.requests)."""
    state = _current.get()
    if state is not None:
        state.count(requests=1)
