"""The policies' invariants: no wildcard action, nothing outside the table, TLS only."""

import re
from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from cfn_rules.common import (
    MISSING,
    Path,
    all_statements,
    condition_scenarios,
    elements,
    lookup,
    tables,
    unique,
)

SOURCE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/best-practices.html#grant-least-privilege"


# What is wrong with one statement (its path, the statement, the condition scenario to read it in).
StatementCheck = Callable[[Path, dict[str, Any], dict[str, bool]], Iterator[RuleMatch]]


class _StatementRule:
    """Checks every policy statement under every condition scenario: a key no statement may have
    (`negated_key`, refused for `negated_problem`), then the rule's `statement_check` for the template.

    A mixin, not a rule itself: cfn-lint instantiates every CloudFormationLintRule subclass it finds.
    """

    source_url = SOURCE
    tags: ClassVar[list[str]] = ["kvtable", "iam"]
    negated_key = ""
    negated_problem = ""

    def match(self, cfn: Template) -> list[RuleMatch]:
        check = self.statement_check(cfn)
        matches = []
        for path, statement, scenario in all_statements(cfn):
            if self.negated_key and self.negated_key in statement:
                matches.append(RuleMatch([*path, self.negated_key], self.negated_problem))
            matches.extend(check(path, statement, scenario))
        return unique(matches)

    def statement_check(self, cfn: Template) -> StatementCheck:
        """The check of one statement of the template `cfn`."""
        raise NotImplementedError


def _wildcard_actions(
    path: Path, statement: dict[str, Any], scenario: dict[str, bool]
) -> Iterator[RuleMatch]:
    for where, action in elements(statement.get("Action", []), [*path, "Action"], scenario):
        if not isinstance(action, str) or "*" in action:
            yield RuleMatch(where, f"action {action!r} is a wildcard; name each action")


class NoWildcardAction(_StatementRule, CloudFormationLintRule):  # type: ignore[misc]
    """No policy action (or NotAction) contains '*'."""

    id = "E9101"
    shortdesc = "kvtable: no wildcard IAM actions"
    description = "Policy actions must be named one by one; '*' and NotAction grant more than intended"
    negated_key = "NotAction"
    negated_problem = "NotAction grants every other action; name actions instead"

    def statement_check(self, cfn: Template) -> StatementCheck:
        return _wildcard_actions


def _table_resources(cfn: Template) -> tuple[set[str], list[Any]]:
    """Logical ids of the tables, and the key ids the tables encrypt with (as written)."""
    keys: list[Any] = []
    for resource in tables(cfn).values():
        props = resource.get("Properties", {})
        for scenario in condition_scenarios(cfn, props):
            _, key = lookup(props, [], ["SSESpecification", "KMSMasterKeyId"], scenario)
            if key is not MISSING:
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
    (Sub ['arn:...:${Region}:...:table/${<name parameter>}', {Region: ...}]); an Fn::If is resolved
    before, by the scenario the statement is read in."""
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


class ResourcesInsideTable(_StatementRule, CloudFormationLintRule):  # type: ignore[misc]
    """Every statement names only this template's tables and their indexes (and the table's own KMS key)."""

    id = "E9102"
    shortdesc = "kvtable: policies reach only this table, its indexes and its key"
    description = "Policy resources must be a table's ARN, one of its index ARNs, or the table's KMS key"
    negated_key = "NotResource"
    negated_problem = "NotResource reaches everything else; name resources instead"

    def statement_check(self, cfn: Template) -> StatementCheck:
        table_ids, keys = _table_resources(cfn)
        name_parameters = _table_name_parameters(cfn)

        def outside(path: Path, statement: dict[str, Any], scenario: dict[str, bool]) -> Iterator[RuleMatch]:
            actions = [
                a for _, a in elements(statement.get("Action", []), [], scenario) if isinstance(a, str)
            ]
            only_kms = bool(actions) and all(a.startswith("kms:") for a in actions)
            for where, resource in elements(statement.get("Resource", []), [*path, "Resource"], scenario):
                if not (
                    _is_table_arn(resource, table_ids, name_parameters) or (only_kms and resource in keys)
                ):
                    yield RuleMatch(
                        where, f"resource {resource!r} is outside this template's table and its indexes"
                    )

        return outside


class SecureTransportOnly(_StatementRule, CloudFormationLintRule):  # type: ignore[misc]
    """Every Allow statement requires TLS (aws:SecureTransport true)."""

    id = "E9103"
    shortdesc = "kvtable: policies allow only over TLS"
    description = "Each Allow statement needs Condition Bool aws:SecureTransport 'true'"

    def statement_check(self, cfn: Template) -> StatementCheck:
        return _without_tls


def _without_tls(path: Path, statement: dict[str, Any], scenario: dict[str, bool]) -> Iterator[RuleMatch]:
    if lookup(statement, path, ["Effect"], scenario)[1] != "Allow":
        return
    # The condition's value when it is there, else the deepest of Condition and Bool that is.
    where, tls = lookup(statement, path, ["Condition", "Bool", "aws:SecureTransport"], scenario)
    if tls is MISSING or str(tls).lower() != "true":
        sid = statement.get("Sid", "a statement")
        yield RuleMatch(where, f"{sid} allows requests without TLS; add Bool aws:SecureTransport 'true'")
