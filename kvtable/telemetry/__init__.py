"""OpenTelemetry traces and metrics for the data contract, when `opentelemetry-api` is installed
(`pip install 'kvtable[otel]'`).

Each `KvTable` operation is an INTERNAL span around its requests (both transports); each request the
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
from kvtable.telemetry.wrappers import wrap_store

if TYPE_CHECKING:
    from kvtable.contract.store import KvTable

__all__ = ["TelemetrySettings", "configure", "current_settings", "instrument"]


def instrument(store: KvTable) -> None:
    """Trace and measure `store`'s operations and requests (the hook KvTable's constructor calls).

    Without OpenTelemetry installed it does nothing and leaves `store` as it is."""
    if not installed():
        return

    wrap_store(store)
