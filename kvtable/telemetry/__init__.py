"""OpenTelemetry traces and metrics for the data contract, when `opentelemetry-api` is installed
(`pip install 'kvtable[otel]'`).

Each `KvTable` operation is an INTERNAL span around its requests (both transports), and so is each
awaited `AsyncKvTable` operation; each request the
direct transport sends is a CLIENT span shaped as opentelemetry-instrumentation-botocore shapes the
same request on botocore's path; requests are measured (`db.client.operation.duration`, consumed
capacity, throttles, retries). Nothing here imports OpenTelemetry: kvtable records only once the process
has imported its API (a tracer or meter set up, ADOT's layer, auto-instrumentation), and a process
without it pays nothing. See docs/observability.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kvtable.telemetry.gate import installed
from kvtable.telemetry.settings import TelemetrySettings, configure, current_settings
from kvtable.telemetry.wrappers import wrap_async_store, wrap_store

if TYPE_CHECKING:
    from kvtable.contract.async_store import AsyncKvTable
    from kvtable.contract.store import KvTable

__all__ = ["TelemetrySettings", "configure", "current_settings", "instrument", "instrument_async"]


def instrument(store: KvTable) -> None:
    """Trace and measure `store`'s operations and requests (the hook KvTable's constructor calls).

    Without OpenTelemetry installed it does nothing and leaves `store` as it is."""
    if not installed():
        return

    wrap_store(store)


def instrument_async(store: AsyncKvTable) -> None:
    """Trace `store`'s awaited operations (the hook AsyncKvTable's constructor calls); without
    OpenTelemetry installed it does nothing."""
    if installed():
        wrap_async_store(store)
