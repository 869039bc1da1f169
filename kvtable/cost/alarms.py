"""Counting the CloudWatch alarms the database template creates, for their monthly cost."""

from __future__ import annotations

from kvtable.cfn import names


def template_alarm_count() -> int:
    """The CloudWatch alarms the database template creates (with an alarm topic): AWS's recommended alarms
    for the table, the index and each operation the contract uses (kvtable.cfn.names.RECOMMENDED_ALARMS)."""
    return len(names.RECOMMENDED_ALARMS)
