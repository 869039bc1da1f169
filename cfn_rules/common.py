"""What the kvtable rules share: resources by type, values under each condition scenario, with their paths.

A finding names the key that is wrong (`.../Properties/BillingMode`), or, where a key is missing, the
deepest parent that is there, as cfn-lint's own rules do. Values may sit under `Fn::If`, so the rules
read them one condition scenario at a time and the path goes through the branch taken
(`.../SSESpecification/Fn::If/2/SSEEnabled`).
"""

from collections.abc import Iterable, Iterator
from typing import Any, Final

from cfnlint.rules import RuleMatch
from cfnlint.template import Template

# The names come from kvtable itself, so the rules and the builder cannot drift apart. That is safe for
# cfn-lint: `make lint` runs it with PYTHONPATH=., which makes the checkout's kvtable importable without
# installing it, and these two modules import only `typing` (and kvtable.schema.errors, which imports only
# `typing`), never boto3, troposphere or awacs. tests/unit/cfn_rules/test_cfn_rules.py proves it in a fresh interpreter.
from kvtable.cfn.names import (
    ALARM_TYPE,
    GLOBAL_TABLE_TYPE,
    MANAGED_POLICY_TYPE,
    TABLE_TYPES,
    WARM_READ_MINIMUM,
    WARM_WRITE_MINIMUM,
)
from kvtable.schema.key_design import TTL_ATTRIBUTE

# The rule modules take kvtable's names from here, so this is the one place the rules import kvtable
# (mypy --strict re-exports an imported name only when __all__ lists it).
__all__ = ["ALARM_TYPE", "GLOBAL_TABLE_TYPE", "TTL_ATTRIBUTE", "WARM_READ_MINIMUM", "WARM_WRITE_MINIMUM"]

Path = list[str | int]
NO_VALUE: Final = {"Ref": "AWS::NoValue"}


class _Missing:
    """A key that is absent, or AWS::NoValue, under a scenario: distinct from any value a template holds."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


def tables(cfn: Template) -> dict[str, Any]:
    """The template's DynamoDB tables (single-region and global) by logical id."""
    by_id: dict[str, Any] = cfn.get_resources(list(TABLE_TYPES))
    return by_id


def _if_arguments(node: Any) -> list[Any] | None:
    """The arguments of a well-formed Fn::If node, else None."""
    if isinstance(node, dict) and len(node) == 1:
        arguments = node.get("Fn::If")
        if isinstance(arguments, list) and len(arguments) == 3 and isinstance(arguments[0], str):
            return arguments
    return None


def _condition_names(node: Any) -> set[str]:
    """Every condition an Fn::If names below the node, at any depth (cfn-lint's own helper stops at the
    first dict with more than one key, which would miss an Fn::If inside a policy statement)."""
    if isinstance(node, list):
        return set().union(*(_condition_names(item) for item in node))
    if not isinstance(node, dict):
        return set()
    arguments = _if_arguments(node)
    names = {arguments[0]} if arguments else set()
    return names.union(*(_condition_names(value) for value in node.values()))


def condition_scenarios(cfn: Template, node: Any) -> list[dict[str, bool]]:
    """Each combination of the node's conditions that can hold together; one empty scenario if none."""
    names = _condition_names(node)
    possible: list[dict[str, bool]] = (
        list(cfn.conditions.build_scenarios(dict.fromkeys(sorted(names)))) if names else []
    )
    return possible or [{}]


def resolve(node: Any, path: Path, scenario: dict[str, bool]) -> tuple[Any, Path]:
    """The node as it is under the scenario, with its path through each Fn::If branch taken.

    An Fn::If on a condition the template does not define stays as written: it then fails whatever
    the rule expects, which is right for a template cfn-lint rejects anyway."""
    while (arguments := _if_arguments(node)) is not None and arguments[0] in scenario:
        branch = 1 if scenario[arguments[0]] else 2
        node, path = arguments[branch], [*path, "Fn::If", branch]
    return node, path


def lookup(node: Any, path: Path, keys: Iterable[str], scenario: dict[str, bool]) -> tuple[Path, Any]:
    """The value at `keys` below the node under the scenario, with its path; if a key is missing,
    MISSING with the path of its deepest parent that is there (or of the branch that is AWS::NoValue)."""
    node, path = resolve(node, path, scenario)
    for key in keys:
        if not isinstance(node, dict) or key not in node:
            return path, MISSING
        node, path = resolve(node[key], [*path, key], scenario)
        if node == NO_VALUE:
            return path, MISSING
    return path, node


def elements(node: Any, path: Path, scenario: dict[str, bool]) -> Iterator[tuple[Path, Any]]:
    """A policy element that may be one value or a list, value by value under the scenario, each with
    its path (its index in the list as written); AWS::NoValue entries are not there."""
    node, path = resolve(node, path, scenario)
    if not isinstance(node, list):
        if node is not MISSING and node != NO_VALUE:
            yield path, node
        return
    for index, item in enumerate(node):
        value, item_path = resolve(item, [*path, index], scenario)
        if value != NO_VALUE:
            yield item_path, value


def holds(value: Any, expected: bool | str) -> bool:
    """The value is the expected one and of its type: `1` is not `true`, nor `"true"` (CloudFormation
    would coerce them, but the templates are built to say exactly `true`)."""
    return isinstance(value, type(expected)) and value == expected


def found_suffix(value: Any) -> str:
    """What a finding's message says the template holds, where anything is there."""
    return "" if value is MISSING else f" (found {value!r})"


def unique(matches: Iterable[RuleMatch]) -> list[RuleMatch]:
    """Each finding once, in order: a key wrong under several condition scenarios is one finding."""
    seen: dict[tuple[tuple[str | int, ...], str], RuleMatch] = {}
    for match in matches:
        seen.setdefault((tuple(match.path), match.message), match)
    return list(seen.values())


def policy_documents(cfn: Template) -> Iterator[tuple[Path, Any]]:
    """Every IAM policy document in the template (managed, inline, on roles, users and groups), with its path."""
    for logical_id, resource in cfn.get_resources().items():
        resource_type = resource.get("Type")
        props = resource.get("Properties", {})
        if not isinstance(props, dict):
            continue
        if resource_type in (MANAGED_POLICY_TYPE, "AWS::IAM::Policy"):
            yield ["Resources", logical_id, "Properties", "PolicyDocument"], props.get("PolicyDocument")
        if resource_type in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            for i, policy in enumerate(props.get("Policies", []) or []):
                if isinstance(policy, dict):
                    yield (
                        ["Resources", logical_id, "Properties", "Policies", i, "PolicyDocument"],
                        policy.get("PolicyDocument"),
                    )


def all_statements(cfn: Template) -> Iterator[tuple[Path, dict[str, Any], dict[str, bool]]]:
    """Every statement of every policy document under every condition scenario of its document: its
    path, the statement as written (its values may still hold Fn::If) and the scenario to read it in."""
    for document_path, document in policy_documents(cfn):
        for scenario in condition_scenarios(cfn, document):
            path, listed = lookup(document, document_path, ["Statement"], scenario)
            for statement_path, statement in elements(listed, path, scenario):
                if isinstance(statement, dict):
                    yield statement_path, statement, scenario
