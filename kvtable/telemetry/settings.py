"""What kvtable's telemetry records, set once for the process."""

from __future__ import annotations

from typing import Any, NamedTuple

from kvtable.schema.errors import InvalidInputError


# A NamedTuple, not a dataclass: this module is on every store's import path, and dataclasses would bring
# inspect (with ast, dis, tokenize) into a Lambda function's cold start (about 10 ms, -X importtime).
class TelemetrySettings(NamedTuple):
    """`record_tenant_data`: put namespace names, keys, key prefixes and user ids (never values, API keys,
    emails or password hashes) on the operation spans, and the contract's error messages, which name them.
    `tracer_provider`, `meter_provider`: OpenTelemetry providers to use instead of the global ones."""

    record_tenant_data: bool = False
    tracer_provider: Any = None
    meter_provider: Any = None


_settings = TelemetrySettings()


def configure(
    *, record_tenant_data: bool = False, tracer_provider: Any = None, meter_provider: Any = None
) -> TelemetrySettings:
    """Set what every store in this process records from now on; returns the settings it replaced."""
    global _settings  # noqa: PLW0603 (process-wide, as OpenTelemetry's own providers are)
    previous = _settings
    if not isinstance(record_tenant_data, bool):
        raise InvalidInputError(f"record_tenant_data must be true or false, got {record_tenant_data!r}")
    _settings = TelemetrySettings(record_tenant_data, tracer_provider, meter_provider)
    return previous


def current_settings() -> TelemetrySettings:
    """The settings in force."""
    return _settings
