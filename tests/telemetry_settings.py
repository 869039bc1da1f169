"""kvtable's telemetry as tests set it: OpenTelemetry's own SDK exporting to memory, and settings that
last for a block and are put back after it, even when the block fails."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from kvtable import telemetry


def in_memory_tracing() -> tuple[TracerProvider, InMemorySpanExporter]:
    """An SDK tracer provider that hands each finished span to an in-memory exporter."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider, exporter


@contextmanager
def telemetry_set(**settings: Any) -> Iterator[None]:
    """telemetry.configure(**settings) for the block, and the settings it replaced again after it."""
    previous = telemetry.configure(**settings)
    try:
        yield
    finally:
        telemetry.configure(
            record_tenant_data=previous.record_tenant_data,
            tracer_provider=previous.tracer_provider,
            meter_provider=previous.meter_provider,
        )
