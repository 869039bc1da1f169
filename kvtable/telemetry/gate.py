"""Whether OpenTelemetry is installed, and whether the process uses it: decided without importing it."""

from __future__ import annotations

import importlib.util
import os
import sys

_installed: bool | None = None
# A process that set a provider through these variables has not necessarily imported the API yet.
_PROVIDER_VARIABLES = ("OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER")


def installed() -> bool:
    """Whether `opentelemetry-api` can be imported (looked up once; nothing is imported)."""
    global _installed  # noqa: PLW0603 (a fact of the process, looked up once)
    if _installed is None:
        # `opentelemetry` is a namespace package: finding it imports nothing, and its API brings `trace`.
        try:
            spec = importlib.util.find_spec("opentelemetry")
        except (ImportError, ValueError):  # an import hook that refuses it, a broken installation
            spec = None
        locations = list(spec.submodule_search_locations or []) if spec is not None else []
        _installed = any(os.path.isfile(os.path.join(path, "trace", "__init__.py")) for path in locations)
    return _installed


def in_use() -> bool:
    """Whether the process has imported OpenTelemetry's API (or names a provider in its environment).

    Until then no provider can have been set, every span would be a no-op, and kvtable stays out of the way."""
    modules = sys.modules
    return (
        "opentelemetry.trace" in modules or "opentelemetry.metrics" in modules or _provider_from_environment
    )


_provider_from_environment = any(name in os.environ for name in _PROVIDER_VARIABLES)


def assume_installed(fact: bool | None) -> None:
    """Take `fact` as whether OpenTelemetry is installed (None: look again on the next call); for
    benchmarks and tests that build a store as kvtable builds one without it."""
    global _installed  # noqa: PLW0603
    _installed = fact
