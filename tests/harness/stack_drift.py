"""CloudFormation's drift detection for a stack's table, on moto's server (moto 5.2.5 has none: it answers
HTTP 500 and logs `NotImplementedError: detect_stack_drift` on every `kvtable verify`).

TEST HARNESS ONLY, loaded by tests/harness/moto_server.py in the server's process. The three APIs, in
the shapes of AWS's API reference:
- DetectStackDrift (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DetectStackDrift.html)
  starts a detection and answers its StackDriftDetectionId; here the detection is done at once.
- DescribeStackDriftDetectionStatus
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackDriftDetectionStatus.html):
  DETECTION_COMPLETE, the stack DRIFTED when a resource checked is MODIFIED, else IN_SYNC, and the count of
  drifted resources. An unknown id is AWS's ValidationError.
- DescribeStackResourceDrifts
  (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeStackResourceDrifts.html):
  one StackResourceDrift for each resource the last detection checked ("Resources that haven't yet been
  checked for drift aren't included"), filtered by StackResourceDriftStatusFilters.

What is compared, as drift detection does ("Detect unmanaged configuration changes to stacks and resources
with drift detection": https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html,
only the properties the template sets, each a PropertyDifference with its path: NOT_EQUAL, or REMOVE
for one the live resource lacks): for each
AWS::DynamoDB::Table, BillingMode, DeletionProtectionEnabled,
PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled, TimeToLiveSpecification/Enabled and
/AttributeName, and SSESpecification/SSEEnabled, read from moto's table. Every other resource (and the
table's other properties: indexes, tags, the resource policy) is not checked here, so not included.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.cloudformation import responses
from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import ActionResult
from moto.dynamodb.models.table import Table

from tests.harness.table_updates import TABLE_TYPE, resolved_tables


@dataclass
class Detection:
    """One DetectStackDrift: the stack, when, and each table's StackResourceDrift."""

    stack_id: str
    timestamp: datetime
    drifts: list[dict[str, Any]] = field(default_factory=list)

    @property
    def drifted(self) -> int:
        return sum(drift["StackResourceDriftStatus"] == "MODIFIED" for drift in self.drifts)


_DETECTIONS: dict[str, Detection] = {}
_LATEST: dict[str, str] = {}  # stack id -> its last detection's id


def _flag(value: Any) -> bool:
    """A template boolean, resolved: true, or the text "true" a parameter gave."""
    return str(value).lower() == "true"


def table_properties(expected: dict[str, Any], table: Table) -> tuple[dict[str, Any], dict[str, Any]]:
    """The compared properties (by path) the template sets for the table, and the live table's values of them."""
    pitr = table.continuous_backups["PointInTimeRecoveryDescription"]["PointInTimeRecoveryStatus"]
    ttl = table.ttl
    sse = table.sse_specification or {}
    live = {
        "/BillingMode": table.billing_mode,
        "/DeletionProtectionEnabled": bool(table.deletion_protection_enabled),
        "/PointInTimeRecoverySpecification/PointInTimeRecoveryEnabled": pitr == "ENABLED",
        "/TimeToLiveSpecification/Enabled": ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"),
        "/TimeToLiveSpecification/AttributeName": ttl.get("AttributeName"),
        "/SSESpecification/SSEEnabled": bool(sse.get("Enabled")),
    }
    wanted: dict[str, Any] = {}
    for path in live:
        value: Any = expected
        for part in path.strip("/").split("/"):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            wanted[path] = (
                value if path in ("/BillingMode", "/TimeToLiveSpecification/AttributeName") else _flag(value)
            )
    return wanted, {path: live[path] for path in wanted}


def _text(value: Any) -> str:
    """A property's value as a PropertyDifference gives it: JSON for true, false and null, else the text."""
    return json.dumps(value) if isinstance(value, bool) or value is None else str(value)


def table_drift(stack: Any, logical_id: str, expected: dict[str, Any], timestamp: datetime) -> dict[str, Any]:
    """The StackResourceDrift of one table of the stack."""
    table: Table = stack.resource_map[logical_id]
    wanted, live = table_properties(expected, table)
    differences = [
        {
            "PropertyPath": path,
            "ExpectedValue": _text(wanted[path]),
            "ActualValue": _text(live[path]),
            # REMOVE: "The property has been removed from the current resource configuration" (PropertyDifference).
            "DifferenceType": "REMOVE" if live[path] is None else "NOT_EQUAL",
        }
        for path in wanted
        if wanted[path] != live[path]
    ]
    drift: dict[str, Any] = {
        "StackId": stack.stack_id,
        "LogicalResourceId": logical_id,
        "PhysicalResourceId": table.name,
        "ResourceType": TABLE_TYPE,
        "ExpectedProperties": json.dumps(wanted, sort_keys=True),
        "ActualProperties": json.dumps(live, sort_keys=True),
        "StackResourceDriftStatus": "MODIFIED" if differences else "IN_SYNC",
        "Timestamp": timestamp,
    }
    if differences:
        drift["PropertyDifferences"] = differences
    return drift


def _stack(handler: responses.CloudFormationResponse, name: str) -> Any:
    stacks = [
        s for s in handler.cloudformation_backend.describe_stacks(name) if s.status != "DELETE_COMPLETE"
    ]
    if not stacks:
        raise ValidationError(message=f"Stack with id {name} does not exist")
    return stacks[0]


def _detect_stack_drift(self: responses.CloudFormationResponse) -> ActionResult:
    stack = _stack(self, self._get_param("StackName"))
    detection = Detection(stack.stack_id, datetime.now(UTC))
    created = stack.resource_map._resource_json_map
    for logical_id, expected in sorted(resolved_tables(stack.resource_map).items()):
        if logical_id in created:
            detection.drifts.append(table_drift(stack, logical_id, expected, detection.timestamp))
    detection_id = str(uuid.uuid4())
    _DETECTIONS[detection_id] = detection
    _LATEST[stack.stack_id] = detection_id
    return ActionResult({"StackDriftDetectionId": detection_id})


def _describe_stack_drift_detection_status(self: responses.CloudFormationResponse) -> ActionResult:
    detection_id = self._get_param("StackDriftDetectionId")
    detection = _DETECTIONS.get(detection_id)
    if detection is None:
        raise ValidationError(message=f"Drift detection with id {detection_id} does not exist")
    return ActionResult(
        {
            "StackId": detection.stack_id,
            "StackDriftDetectionId": detection_id,
            "StackDriftStatus": "DRIFTED" if detection.drifted else "IN_SYNC",
            "DetectionStatus": "DETECTION_COMPLETE",
            "DriftedStackResourceCount": detection.drifted,
            "Timestamp": detection.timestamp,
        }
    )


def _describe_stack_resource_drifts(self: responses.CloudFormationResponse) -> ActionResult:
    stack = _stack(self, self._get_param("StackName"))
    wanted = set(self._get_param("StackResourceDriftStatusFilters", []) or [])
    latest = _DETECTIONS.get(_LATEST.get(stack.stack_id, ""))
    drifts = [] if latest is None else latest.drifts
    return ActionResult(
        {"StackResourceDrifts": [d for d in drifts if not wanted or d["StackResourceDriftStatus"] in wanted]}
    )


def install() -> None:
    """Answer the three APIs on moto's CloudFormation."""
    handler = responses.CloudFormationResponse
    handler.detect_stack_drift = _detect_stack_drift  # type: ignore[attr-defined]
    handler.describe_stack_drift_detection_status = _describe_stack_drift_detection_status  # type: ignore[attr-defined]
    handler.describe_stack_resource_drifts = _describe_stack_resource_drifts  # type: ignore[attr-defined]
