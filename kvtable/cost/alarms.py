"""Counting the CloudWatch alarms the database template creates, for their monthly cost."""

from __future__ import annotations

from kvtable.errors import InvalidInputError


def template_alarm_count() -> int:
    """The CloudWatch alarms the database template creates (with an alarm topic), counted from the code
    that builds them, kvtable.cfn.guardrails: AWS's recommended alarms for the table, the index and each
    operation the contract uses."""
    try:
        from troposphere import Parameter  # noqa: PLC0415 (the build extra: only when counting)

        from kvtable.cfn.guardrails import recommended_alarms  # noqa: PLC0415
    except ImportError:
        raise InvalidInputError(
            "counting the template's alarms needs the build extra (pip install 'kvtable[build]'), "
            "or set settings.alarms = false in the profile"
        ) from None
    placeholder = Parameter("Threshold", Type="Number")
    return len(recommended_alarms(placeholder, placeholder, placeholder))
