"""Resolving a template's references to parameters, and finding what a value refers to.

Only what is known without AWS is resolved (parameters and AWS::StackName); every
other intrinsic is kept as written, so two templates can be compared structurally.
"""

from collections.abc import Mapping
from typing import Any

from kvtable.cfn.evaluate import SUB_VARIABLE, evaluate_known


def resolve(
    value: Any, parameters: dict[str, str], stack_name: str, conditions: Mapping[str, bool] | None = None
) -> Any:
    """Replace references to parameters and AWS::StackName by their values; keep other intrinsics.
    Given `conditions`, each Fn::If on a known one is its branch and AWS::NoValue is left out."""
    return evaluate_known(value, {**parameters, "AWS::StackName": stack_name}, conditions)


def references(value: Any) -> set[str]:
    """Logical ids a value refers to by Ref, Fn::GetAtt or Fn::Sub."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner[0] if isinstance(inner, list) else str(inner).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = inner if isinstance(inner, str) else inner[0]
                found.update(m.split(".")[0] for m in SUB_VARIABLE.findall(text))
            found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found
