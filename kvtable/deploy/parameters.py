"""Stack parameters from the command line, checked against the template before any call (a stack's name
and tags are checked in kvtable/aws/names.py)."""

import re
from collections.abc import Sequence
from typing import Any

from kvtable.cfn.templates import Template
from kvtable.console.errors import UsageError


def parse_assignments(items: Sequence[str], what: str) -> dict[str, str]:
    """`KEY=value` strings as a dict; refuse a missing `=`, an empty key or a repeated key."""
    parsed: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"{what} {item!r} must look like KEY=value")
        if key in parsed:
            raise UsageError(f"{what} {key!r} is given twice")
        parsed[key] = value
    return parsed


def _check_value(name: str, spec: dict[str, Any], value: str) -> None:
    problems = []
    if "MinLength" in spec and len(value) < int(spec["MinLength"]):
        problems.append(f"at least {spec['MinLength']} characters")
    if "MaxLength" in spec and len(value) > int(spec["MaxLength"]):
        problems.append(f"at most {spec['MaxLength']} characters")
    if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], value):
        problems.append(f"matching {spec['AllowedPattern']}")
    if "AllowedValues" in spec and value not in spec["AllowedValues"]:
        problems.append(f"one of {', '.join(map(str, spec['AllowedValues']))}")
    if problems:
        reason = spec.get("ConstraintDescription") or " and ".join(problems)
        raise UsageError(f"parameter {name}={value!r} is invalid: {reason}")


def check_overrides(template: Template, overrides: dict[str, str], source: str = "") -> None:
    """Refuse parameters the template does not declare, and values its constraints refuse.

    `source` (a file's name) starts the message when the values come from a file."""
    declared: dict[str, Any] = template.get("Parameters", {})
    prefix = f"{source}: " if source else ""
    unknown = sorted(set(overrides) - set(declared))
    if unknown:
        raise UsageError(
            f"{prefix}unknown parameter {', '.join(unknown)}; "
            f"the template takes {', '.join(sorted(declared)) or 'none'}"
        )
    for name, value in overrides.items():
        try:
            _check_value(name, declared[name], value)
        except UsageError as error:
            raise UsageError(f"{prefix}{error}") from error


def resolve_parameters(
    template: Template, overrides: dict[str, str], previous: dict[str, str] | None
) -> dict[str, str]:
    """Every parameter's value: the override, else the deployed value (as `aws cloudformation deploy`),
    else the template's default. Each is checked against the template's constraints."""
    check_overrides(template, overrides)
    declared: dict[str, Any] = template.get("Parameters", {})
    values: dict[str, str] = {}
    for name, spec in declared.items():
        if name in overrides:
            value = overrides[name]
        elif previous is not None and name in previous:
            value = previous[name]
        elif "Default" in spec:
            value = str(spec["Default"])
        else:
            raise UsageError(f"parameter {name} has no default; pass --parameter {name}=VALUE")
        _check_value(name, spec, value)
        values[name] = value
    return values
