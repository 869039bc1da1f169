"""The alarms' checks: each alarm the template creates exists, on the template's metric and threshold."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TextIO

from kvtable.cfn import names
from kvtable.cfn.evaluate import TemplateEvaluator
from kvtable.cfn.templates import Template, resources_of_type
from kvtable.deploy.aws_state import Clients
from kvtable.verify.checking import Recording, Unavailable, read
from kvtable.verify.report import Check

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch import CloudWatchClient


@dataclass
class AlarmChecks(Recording):
    """The template's alarms against CloudWatch's, recorded into `checks`."""

    clients: Clients
    expected: Template
    checks: list[Check]
    out: TextIO | None = None

    def run(self, evaluator: TemplateEvaluator, resources: dict[str, str]) -> None:
        """Each alarm the template creates exists, watching this table (and index) on the template's metric."""
        for logical_id in resources_of_type(self.expected, names.ALARM_TYPE):
            resource = self.expected["Resources"][logical_id]
            if not evaluator.conditions.get(resource.get("Condition", ""), True):
                continue
            props = evaluator.resource_properties(logical_id)
            expected = _alarm_shape(props)
            name = resources.get(logical_id) or str(props.get("AlarmName", ""))
            if not name:
                self.record(f"alarm.{logical_id}", expected, "missing from the stack", False)
                continue
            cloudwatch = self.clients.cloudwatch
            if cloudwatch is None:
                self.unchecked(f"alarm.{logical_id}", expected, Unavailable("no CloudWatch client"))
                continue
            found = read("DescribeAlarms", _alarms_named(cloudwatch, name))
            self.compare(f"alarm.{logical_id}", expected, found, _first_alarm_shape)


def _alarm_shape(alarm: dict[str, Any]) -> dict[str, Any]:
    """What an alarm watches and when it fires, from a template's properties or DescribeAlarms."""
    return {
        "metric": f"{alarm.get('Namespace')}/{alarm.get('MetricName')}",
        "dimensions": sorted(f"{d['Name']}={d['Value']}" for d in alarm.get("Dimensions", [])),
        "statistic": alarm.get("Statistic"),
        "threshold": float(alarm.get("Threshold", 0)),
        "periods": int(alarm.get("EvaluationPeriods", 0)),
    }


def _alarms_named(cloudwatch: CloudWatchClient, name: str) -> Callable[[], list[dict[str, Any]]]:
    return lambda: [dict(a) for a in cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]]


def _first_alarm_shape(alarms: list[dict[str, Any]]) -> Any:
    return _alarm_shape(alarms[0]) if alarms else "missing"
