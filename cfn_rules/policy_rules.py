"""The policies' invariants: no wildcard action, nothing outside the table, TLS only."""

import re
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from cfn_rules.common import all_statements, as_list, scenarios, tables

SOURCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"


class NoWildcardAction(CloudFormationLintRule):  # type: ignore[misc]
    """No policy action (or NotAction) contains '*'."""

    id = "E9101"
    shortdesc = "kvtable: no wildcard IAM actions"
    description = "Policy actions must be named one by one; '*' and NotAction grant more than intended"
    source_url = SOURCE
    tags: ClassVar[list[str]] = ["kvtable", "iam"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches = []
        for path, statement in all_statements(cfn):
            if "NotAction" in statement:
                matches.append(RuleMatch(path, "NotAction grants every other action; name actions instead"))
            for action in as_list(statement.get("Action", [])):
                if not isinstance(action, str) or "*" in action:
                    matches.append(RuleMatch(path, f"action {action!r} is a wildcard; name each action"))
        return matches


def _table_resources(cfn: Template) -> tuple[set[str], list[Any]]:
    """Logical ids of the tables, and the key ids the tables encrypt with (as written)."""
    keys: list[Any] = []
    for resource in tables(cfn).values():
        for props in scenarios(cfn, resource.get("Properties", {})):
            key = (props.get("SSESpecification") or {}).get("KMSMasterKeyId")
            if key is not None:
                keys.append(key)
    return set(tables(cfn)), keys


# A global table's ARN in one replica region: the region a Sub variable, the name its parameter.
_REGIONAL_ARN = re.compile(
    r"arn:\$\{AWS::Partition\}:dynamodb:\$\{Region\}:\$\{AWS::AccountId\}:table/\$\{([A-Za-z0-9]+)\}(/index/[^*]+)?"
)


def _table_name_parameters(cfn: Template) -> set[str]:
    names = set()
    for resource in tables(cfn).values():
        name = (resource.get("Properties") or {}).get("TableName")
        if isinstance(name, dict) and "Ref" in name:
            names.add(name["Ref"])
    return names


def _is_table_arn(resource: Any, table_ids: set[str], name_parameters: set[str]) -> bool:
    """GetAtt <table>.Arn, Sub '${<table>.Arn}/index/<name>', or a global table's regional ARN
    (Sub ['arn:...:${Region}:...:table/${<name parameter>}', {Region: ...}]); under Fn::If, each branch."""
    if isinstance(resource, dict) and set(resource) == {"Fn::If"}:
        branches = resource["Fn::If"][1:]
        return all(
            b == {"Ref": "AWS::NoValue"} or _is_table_arn(b, table_ids, name_parameters) for b in branches
        )
    if isinstance(resource, dict) and isinstance(resource.get("Fn::Sub"), list):
        match = _REGIONAL_ARN.fullmatch(str(resource["Fn::Sub"][0]))
        return match is not None and match.group(1) in name_parameters
    if isinstance(resource, dict) and "Fn::GetAtt" in resource:
        target = resource["Fn::GetAtt"]
        parts = target if isinstance(target, list) else str(target).split(".")
        return len(parts) == 2 and parts[0] in table_ids and parts[1] == "Arn"
    if isinstance(resource, dict) and "Fn::Sub" in resource and isinstance(resource["Fn::Sub"], str):
        match = re.fullmatch(r"\$\{([A-Za-z0-9]+)\.Arn\}/index/[^*]+", resource["Fn::Sub"])
        return match is not None and match.group(1) in table_ids
    return False


class ResourcesInsideTable(CloudFormationLintRule):  # type: ignore[misc]
    """Every statement names only this template's tables and their indexes (and the table's own KMS key)."""

    id = "E9102"
    shortdesc = "kvtable: policies reach only this table, its indexes and its key"
    description = "Policy resources must be a table's ARN, one of its index ARNs, or the table's KMS key"
    source_url = SOURCE
    tags: ClassVar[list[str]] = ["kvtable", "iam"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        table_ids, keys = _table_resources(cfn)
        name_parameters = _table_name_parameters(cfn)
        matches = []
        for path, statement in all_statements(cfn):
            if "NotResource" in statement:
                matches.append(RuleMatch(path, "NotResource reaches everything else; name resources instead"))
            actions = [a for a in as_list(statement.get("Action", [])) if isinstance(a, str)]
            only_kms = bool(actions) and all(a.startswith("kms:") for a in actions)
            for resource in as_list(statement.get("Resource", [])):
                if not (
                    _is_table_arn(resource, table_ids, name_parameters) or (only_kms and resource in keys)
                ):
                    matches.append(
                        RuleMatch(
                            path, f"resource {resource!r} is outside this template's table and its indexes"
                        )
                    )
        return matches


class SecureTransportOnly(CloudFormationLintRule):  # type: ignore[misc]
    """Every Allow statement requires TLS (aws:SecureTransport true)."""

    id = "E9103"
    shortdesc = "kvtable: policies allow only over TLS"
    description = "Each Allow statement needs Condition Bool aws:SecureTransport 'true'"
    source_url = SOURCE
    tags: ClassVar[list[str]] = ["kvtable", "iam"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        matches = []
        for path, statement in all_statements(cfn):
            if statement.get("Effect") != "Allow":
                continue
            condition = statement.get("Condition") or {}
            bool_condition = (condition.get("Bool") or {}) if isinstance(condition, dict) else {}
            if str(bool_condition.get("aws:SecureTransport")).lower() != "true":
                sid = statement.get("Sid", "a statement")
                matches.append(
                    RuleMatch(path, f"{sid} allows requests without TLS; add Bool aws:SecureTransport 'true'")
                )
        return matches
