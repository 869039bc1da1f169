"""The stack's checks: status, parameters, termination protection, stack policy, template, outputs and
their exports."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, TextIO

from kvtable.cfn.evaluate import TemplateEvaluator
from kvtable.cfn.intrinsics import resolve
from kvtable.cfn.templates import Template
from kvtable.deploy import cloudformation, states
from kvtable.deploy.aws_state import Clients
from kvtable.verify.checking import Recording, Unavailable, read
from kvtable.verify.report import Check

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient


@dataclass
class StackChecks(Recording):
    """The stack's own checks against `expected`, recorded into `checks`."""

    clients: Clients
    expected: Template
    checks: list[Check]
    out: TextIO | None = None

    def run(
        self, stack: cloudformation.DeployedStack, table_ids: list[str], evaluator: TemplateEvaluator
    ) -> None:
        cf = self.clients.cloudformation
        self.record(
            "stack.status",
            " or ".join(sorted(states.SETTLED_SUCCESS)),
            stack.status,
            stack.status in states.SETTLED_SUCCESS,
        )
        declared = sorted(self.expected.get("Parameters", {}))
        self.record(
            "stack.parameters", declared, sorted(stack.parameters), sorted(stack.parameters) == declared
        )
        self.record(
            "stack.termination_protection", True, stack.termination_protection, stack.termination_protection
        )
        policy = read("GetStackPolicy", lambda: cloudformation.current_stack_policy(cf, stack.name))
        expected_policy = f"denies Update:Replace and Update:Delete on {', '.join(table_ids)}"
        if isinstance(policy, Unavailable):
            self.unchecked("stack.stack_policy", expected_policy, policy)
        else:
            protects = cloudformation.policy_protects(policy, table_ids)
            self.record(
                "stack.stack_policy",
                expected_policy,
                "as expected" if protects else (policy or "none"),
                protects,
            )
        self._template(stack)
        self._outputs(stack, evaluator)

    def _template(self, stack: cloudformation.DeployedStack) -> None:
        deployed = read(
            "GetTemplate", lambda: cloudformation.deployed_template(self.clients.cloudformation, stack.name)
        )
        expected = "the template this kvtable builds, with the stack's parameters"
        if isinstance(deployed, Unavailable):
            self.unchecked("stack.template", expected, deployed)
            return
        changed = template_differences(deployed, self.expected, stack.parameters, stack.name)
        actual = (
            "the same"
            if not changed
            else "the stack runs an older template: run `kvtable plan` (differs in "
            + ", ".join(changed)
            + ")"
        )
        self.record("stack.template", expected, actual, not changed)

    def _outputs(self, stack: cloudformation.DeployedStack, evaluator: TemplateEvaluator) -> None:
        outputs = {o["OutputKey"]: o for o in stack.outputs}
        exports = read("ListExports", lambda: _all_exports(self.clients.cloudformation))
        for name, spec in sorted(self.expected.get("Outputs", {}).items()):
            if not evaluator.conditions.get(spec.get("Condition", ""), True):
                continue  # an output its condition leaves out, such as the dashboard's name without one
            export_spec = spec.get("Export", {}).get("Name")
            export = evaluator.evaluate(export_spec) if export_spec else None
            output = outputs.get(name)
            if output is None:
                self.record(f"stack.output.{name}", f"present, exported as {export}", "missing", False)
                continue
            self.record(
                f"stack.output.{name}",
                f"present, exported as {export or '-'}",
                f"{output['OutputValue']}, exported as {output.get('ExportName') or '-'}",
                output.get("ExportName") == export,
            )
            if export:
                self.compare(f"stack.export.{name}", output["OutputValue"], exports, _value_of(str(export)))


def template_differences(
    deployed: Template, expected: Template, parameters: dict[str, str], stack_name: str
) -> list[str]:
    """Where two templates differ once the stack's parameters are resolved: `Resources.X`, `Outputs.Y`, ..."""
    old, new = resolve(deployed, parameters, stack_name), resolve(expected, parameters, stack_name)
    differences = []
    for section in sorted(set(old) | set(new)):
        before, after = old.get(section), new.get(section)
        if isinstance(before, dict) and isinstance(after, dict):
            differences += [
                f"{section}.{key}"
                for key in sorted(set(before) | set(after))
                if before.get(key) != after.get(key)
            ]
        elif before != after:
            differences.append(section)
    return differences


def _all_exports(cf: CloudFormationClient) -> dict[str, str]:
    exports: dict[str, str] = {}
    for page in cf.get_paginator("list_exports").paginate():
        exports.update({e["Name"]: e["Value"] for e in page["Exports"]})
    return exports


def _value_of(export: str) -> Callable[[dict[str, str]], str]:
    return lambda exports: exports.get(export, "missing")
