"""What the kvtable rules share: resources by type and every condition scenario of a value."""

from collections.abc import Iterator
from typing import Any

from cfnlint.template import Template

TABLE_TYPE = "AWS::DynamoDB::Table"
GLOBAL_TABLE_TYPE = "AWS::DynamoDB::GlobalTable"


def tables(cfn: Template) -> dict[str, Any]:
    """The template's DynamoDB tables (single-region and global) by logical id."""
    found: dict[str, Any] = cfn.get_resources([TABLE_TYPE, GLOBAL_TABLE_TYPE])
    return found


def replicas(properties: dict[str, Any]) -> list[dict[str, Any]] | None:
    """A global table's replica specifications (NoValue entries gone); None for a single-region table."""
    if "Replicas" not in properties:
        return None
    listed = properties.get("Replicas") or []
    return [r for r in listed if isinstance(r, dict) and r != {"Ref": "AWS::NoValue"}]


def scenarios(cfn: Template, properties: Any) -> Iterator[dict[str, Any]]:
    """The properties as they are under each combination of the template's conditions."""
    if not isinstance(properties, dict):
        return
    for scenario in cfn.get_object_without_conditions(properties):
        obj = scenario["Object"]
        if isinstance(obj, dict):
            yield obj


def policy_documents(cfn: Template) -> Iterator[tuple[list[str], Any]]:
    """Every IAM policy document in the template (managed, inline, on roles, users and groups), with its path."""
    for logical_id, resource in cfn.get_resources().items():
        resource_type = resource.get("Type")
        props = resource.get("Properties", {})
        if not isinstance(props, dict):
            continue
        if resource_type in ("AWS::IAM::ManagedPolicy", "AWS::IAM::Policy"):
            yield ["Resources", logical_id, "Properties", "PolicyDocument"], props.get("PolicyDocument")
        if resource_type in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            for i, policy in enumerate(props.get("Policies", []) or []):
                if isinstance(policy, dict):
                    yield (
                        ["Resources", logical_id, "Properties", "Policies", str(i), "PolicyDocument"],
                        policy.get("PolicyDocument"),
                    )


def statements(cfn: Template, document: Any) -> Iterator[dict[str, Any]]:
    """Every statement of a policy document, under every condition scenario."""
    for scenario in scenarios(cfn, {"PolicyDocument": document}):
        body = scenario.get("PolicyDocument")
        if not isinstance(body, dict):
            continue
        listed = body.get("Statement", [])
        for statement in listed if isinstance(listed, list) else [listed]:
            if isinstance(statement, dict):
                yield statement


def as_list(value: Any) -> list[Any]:
    """A policy element that may be one value or a list, as a list."""
    return value if isinstance(value, list) else [value]


def all_statements(cfn: Template) -> Iterator[tuple[list[str], dict[str, Any]]]:
    """Every statement of every policy document, with the document's path."""
    for path, document in policy_documents(cfn):
        for statement in statements(cfn, document):
            yield path, statement
