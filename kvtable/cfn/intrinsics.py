"""Resolving a template's references to parameters, and finding what a value refers to.

Only what is known without AWS is resolved (parameters and AWS::StackName); every
other intrinsic is kept as written, so two templates can be compared structurally.
"""

import re
from typing import Any

_SUB_VARIABLE = re.compile(r"\$\{([^}!]+)\}")


def resolve(value: Any, parameters: dict[str, str], stack_name: str) -> Any:
    """Replace references to parameters and AWS::StackName by their values; keep other intrinsics."""
    known = {**parameters, "AWS::StackName": stack_name}
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in known:
            return known[value["Ref"]]
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            text = _SUB_VARIABLE.sub(lambda m: known.get(m.group(1), m.group(0)), value["Fn::Sub"])
            return text if not _SUB_VARIABLE.search(text) else {"Fn::Sub": text}
        return {k: resolve(v, parameters, stack_name) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, parameters, stack_name) for v in value]
    return value


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
                found.update(m.split(".")[0] for m in _SUB_VARIABLE.findall(text))
            found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found
