"""CloudFormation's own drift detection, waited for, with its verdict per resource."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TextIO

from kvtable.deploy.aws_state import Clients
from kvtable.verify.checking import Recording, Unavailable, read
from kvtable.verify.report import Check

DRIFT_WAIT_SECONDS = 600


@dataclass
class DriftChecks(Recording):
    """DetectStackDrift on the stack, polled every `poll_seconds`, recorded into `checks`."""

    clients: Clients
    stack_name: str
    checks: list[Check]
    out: TextIO | None = None
    poll_seconds: float = 5.0
    sleep: Callable[[float], None] = time.sleep

    def run(self) -> None:
        cf = self.clients.cloudformation
        started = read(
            "DetectStackDrift",
            lambda: cf.detect_stack_drift(StackName=self.stack_name)["StackDriftDetectionId"],
        )
        if isinstance(started, Unavailable):
            # Where the engine has no drift detection at all, the check is skipped: it adds to ours,
            # it does not replace it. Denied or failed, it could not be made, and says so.
            self.unchecked(
                "drift.detection", "IN_SYNC", started, "skipped" if started.missing_api else "unchecked"
            )
            return
        deadline = time.monotonic() + DRIFT_WAIT_SECONDS
        begun = time.monotonic()
        while True:
            status = cf.describe_stack_drift_detection_status(StackDriftDetectionId=started)
            if status["DetectionStatus"] != "DETECTION_IN_PROGRESS":
                break
            if time.monotonic() > deadline:
                self.unchecked(
                    "drift.detection",
                    "IN_SYNC",
                    Unavailable(f"drift detection still running after {DRIFT_WAIT_SECONDS}s"),
                )
                return
            self.say(f"  CloudFormation drift detection in progress ({time.monotonic() - begun:.0f}s)")
            self.sleep(self.poll_seconds)
        stack_status = status.get("StackDriftStatus", "UNKNOWN")
        detail = status.get("DetectionStatusReason", "")
        self.record(
            "drift.detection",
            "IN_SYNC",
            stack_status + (f" ({detail})" if detail and stack_status != "IN_SYNC" else ""),
            stack_status == "IN_SYNC",
        )
        drifts = cf.describe_stack_resource_drifts(StackName=self.stack_name)["StackResourceDrifts"]
        for drift in sorted(drifts, key=lambda d: d["LogicalResourceId"]):
            verdict = drift["StackResourceDriftStatus"]
            differences = [
                f"{d['PropertyPath']} {d['DifferenceType'].lower()}"
                for d in drift.get("PropertyDifferences", [])
            ]
            actual = verdict + (": " + "; ".join(differences) if differences else "")
            self.record(
                f"drift.{drift['LogicalResourceId']}",
                "IN_SYNC",
                actual,
                verdict in ("IN_SYNC", "NOT_CHECKED"),
            )
