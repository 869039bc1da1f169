"""Evaluate a template's intrinsics as CloudFormation would for one deployed stack.

Given the stack's account, region, name, parameter values and the physical ids of its
resources, this yields the properties AWS holds (policy documents, table settings), so
they can be compared with what is live. It evaluates Ref, Fn::GetAtt (a table's Arn),
Fn::Sub, Fn::If, Fn::Equals, Fn::Not, Fn::And, Fn::Or, Fn::Join, Fn::Split, Fn::Select,
Fn::Contains (of rules), Condition and AWS::NoValue; list parameters are lists.

`evaluate_known` is the same evaluation where only some names are known (no AWS at hand):
what it cannot evaluate it keeps as written, so two templates can be compared structurally.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kvtable.cfn.names import GLOBAL_TABLE_TYPE, TABLE_TYPE

# What AWS::NoValue evaluates to: an entry that is left out of its dict or list.
NO_VALUE = object()
# How a template spells it.
NO_VALUE_REF = {"Ref": "AWS::NoValue"}
# A variable of Fn::Sub's text: ${Name} or ${Resource.Attribute}, not the literal ${!Name}.
SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


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
        return SUB_VARIABLE.sub(lambda m: str(variables.get(m.group(1)) or self._value(m.group(1))), text)

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


def evaluate_known(value: Any, known: Mapping[str, str], conditions: Mapping[str, bool] | None = None) -> Any:
    """The value with Ref and Fn::Sub of the `known` names evaluated and, given `conditions`, each
    Fn::If on a known condition replaced by its branch and AWS::NoValue left out; the rest as written."""
    if isinstance(value, list):
        items = (evaluate_known(item, known, conditions) for item in value)
        return [v for v in items if conditions is None or v != NO_VALUE_REF]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((key, arg),) = value.items()
        if key == "Ref" and arg in known:
            return known[arg]
        if key == "Fn::Sub" and isinstance(arg, str):
            text = SUB_VARIABLE.sub(lambda m: known.get(m.group(1), m.group(0)), arg)
            return text if not SUB_VARIABLE.search(text) else {"Fn::Sub": text}
        if key == "Fn::If" and conditions is not None and _is_choice(arg, conditions):
            return evaluate_known(arg[1 if conditions[arg[0]] else 2], known, conditions)
    entries = ((k, evaluate_known(v, known, conditions)) for k, v in value.items())
    return {k: v for k, v in entries if conditions is None or v != NO_VALUE_REF}


def _is_choice(arg: Any, conditions: Mapping[str, bool]) -> bool:
    return isinstance(arg, list) and len(arg) == 3 and arg[0] in conditions
