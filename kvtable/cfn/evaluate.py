"""Evaluate a template's intrinsics as CloudFormation would for one deployed stack.

Given the stack's account, region, name, parameter values and the physical ids of its
resources, this yields the properties AWS holds (policy documents, table settings), so
they can be compared with what is live. It evaluates Ref, Fn::GetAtt (a table's Arn),
Fn::Sub, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::Join, Fn::Split, Fn::Select,
Fn::Contains (of rules), Condition and AWS::NoValue; list parameters are lists.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from kvtable.cfn.names import GLOBAL_TABLE_TYPE, TABLE_TYPE

NO_VALUE = object()
_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


@dataclass(frozen=True)
class StackContext:
    """What CloudFormation knows when it evaluates the template of one stack."""

    account: str
    region: str
    stack_name: str
    parameters: dict[str, str]
    partition: str = "aws"
    # Ref of a resource: its physical id (a table's name, a managed policy's ARN).
    physical_ids: dict[str, str] = field(default_factory=dict)


class TemplateEvaluator:
    """Evaluates one template's intrinsics in one StackContext."""

    def __init__(self, template: dict[str, Any], context: StackContext) -> None:
        self.template = template
        self.context = context
        declared = template.get("Parameters", {})
        self.values: dict[str, str] = {name: str(spec.get("Default", "")) for name, spec in declared.items()}
        self.values.update(context.parameters)
        # List parameters (CommaDelimitedList) are lists to Ref, Fn::Join, Fn::Select and Fn::Contains.
        self.lists: dict[str, list[str]] = {
            name: self.values[name].split(",") if self.values[name] else []
            for name, spec in declared.items()
            if str(spec.get("Type", "")).startswith(("CommaDelimitedList", "List<"))
        }
        self.values.update(
            {
                "AWS::AccountId": context.account,
                "AWS::Region": context.region,
                "AWS::StackName": context.stack_name,
                "AWS::Partition": context.partition,
                "AWS::URLSuffix": "amazonaws.com",
            }
        )
        self.conditions: dict[str, bool] = {}
        for name, expression in template.get("Conditions", {}).items():
            self.conditions[name] = bool(self.evaluate(expression))
        for logical_id, resource in template.get("Resources", {}).items():
            physical = context.physical_ids.get(logical_id)
            if resource.get("Type") in (TABLE_TYPE, GLOBAL_TABLE_TYPE):
                name = physical or str(
                    self.evaluate(resource.get("Properties", {}).get("TableName", logical_id))
                )
                self.values[logical_id] = name
                self.values[f"{logical_id}.Arn"] = self.table_arn(name)
            elif physical is not None:
                self.values[logical_id] = physical

    def table_arn(self, table_name: str) -> str:
        """The ARN of a table of this stack's account and region."""
        c = self.context
        return f"arn:{c.partition}:dynamodb:{c.region}:{c.account}:table/{table_name}"

    def evaluate(self, value: Any) -> Any:
        """The value with every intrinsic evaluated; AWS::NoValue entries dropped."""
        if isinstance(value, list):
            return [v for v in (self.evaluate(item) for item in value) if v is not NO_VALUE]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, arg),) = value.items()
            if key in _FUNCTIONS:
                return _FUNCTIONS[key](self, arg)
        return {k: v for k, v in ((k, self.evaluate(v)) for k, v in value.items()) if v is not NO_VALUE}

    def _value(self, name: str) -> str:
        if name not in self.values:
            raise KeyError(f"the template refers to {name}, which this stack does not know")
        return self.values[name]

    def _sub(self, arg: Any) -> str:
        text, variables = (arg, {}) if isinstance(arg, str) else (arg[0], self.evaluate(arg[1]))
        return _SUB_VARIABLE.sub(lambda m: str(variables.get(m.group(1)) or self._value(m.group(1))), text)

    def resource_properties(self, logical_id: str) -> dict[str, Any]:
        """A resource's properties, evaluated."""
        evaluated: dict[str, Any] = self.evaluate(
            self.template["Resources"][logical_id].get("Properties", {})
        )
        return evaluated


_FUNCTIONS: dict[str, Any] = {
    "Ref": lambda e, arg: NO_VALUE if arg == "AWS::NoValue" else e.lists.get(arg) or e._value(arg),
    "Fn::GetAtt": lambda e, arg: e._value(".".join(arg) if isinstance(arg, list) else arg),
    "Fn::Sub": lambda e, arg: e._sub(arg),
    "Fn::If": lambda e, arg: e.evaluate(arg[1] if e.conditions[arg[0]] else arg[2]),
    "Fn::Equals": lambda e, arg: e.evaluate(arg[0]) == e.evaluate(arg[1]),
    "Fn::Not": lambda e, arg: not e.evaluate(arg[0]),
    "Fn::And": lambda e, arg: all(e.evaluate(a) for a in arg),
    "Fn::Or": lambda e, arg: any(e.evaluate(a) for a in arg),
    "Fn::Join": lambda e, arg: str(arg[0]).join(str(v) for v in e.evaluate(arg[1])),
    "Fn::Split": lambda e, arg: str(e.evaluate(arg[1])).split(str(arg[0])),
    "Fn::Select": lambda e, arg: e.evaluate(arg[1])[int(e.evaluate(arg[0]))],
    "Fn::Contains": lambda e, arg: e.evaluate(arg[1]) in e.evaluate(arg[0]),
    "Condition": lambda e, arg: e.conditions[arg],
}
