"""The alarms watch this template's table: an alarm copied from another stack watches the wrong one."""

from typing import Any, ClassVar

from cfnlint.rules import CloudFormationLintRule, RuleMatch
from cfnlint.template import Template

from cfn_rules.common import ALARM_TYPE, Path, tables

DYNAMODB_NAMESPACE = "AWS/DynamoDB"


def _table_refs(cfn: Template) -> tuple[set[str], set[str]]:
    """What may name a table in a dimension: Ref to a table or to the parameter that names it; and what
    may name an index: Ref to the parameter (or the literal) a table's GSI takes its name from."""
    table_names, index_names = set(tables(cfn)), set()
    for resource in tables(cfn).values():
        props = resource.get("Properties", {})
        if not isinstance(props, dict):
            continue
        name = props.get("TableName")
        if isinstance(name, dict) and "Ref" in name:
            table_names.add(name["Ref"])
        for index in props.get("GlobalSecondaryIndexes", []) or []:
            index_name = index.get("IndexName") if isinstance(index, dict) else None
            if isinstance(index_name, dict) and "Ref" in index_name:
                index_names.add(index_name["Ref"])
            elif isinstance(index_name, str):
                index_names.add(index_name)
    return table_names, index_names


def _names(value: Any, refs: set[str]) -> bool:
    return isinstance(value, dict) and set(value) == {"Ref"} and value["Ref"] in refs


class AlarmWatchesThisTable(CloudFormationLintRule):  # type: ignore[misc]
    """Every DynamoDB alarm's TableName dimension refers to this template's table, and a
    GlobalSecondaryIndexName dimension to one of its indexes, never to a name typed in."""

    id = "E9007"
    shortdesc = "kvtable: alarms watch this template's table and index"
    description = (
        "A DynamoDB alarm needs a TableName dimension that is a Ref to this template's table (or its name "
        "parameter), and any GlobalSecondaryIndexName dimension must name one of its indexes"
    )
    source_url = "https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Best_Practice_Recommended_Alarms_AWS_Services.html"
    tags: ClassVar[list[str]] = ["kvtable", "cloudwatch"]

    def match(self, cfn: Template) -> list[RuleMatch]:
        table_refs, index_refs = _table_refs(cfn)
        matches = []
        for logical_id, resource in cfn.get_resources([ALARM_TYPE]).items():
            props = resource.get("Properties", {})
            if not isinstance(props, dict) or props.get("Namespace") != DYNAMODB_NAMESPACE:
                continue
            path: Path = ["Resources", logical_id, "Properties"]
            if "Dimensions" in props:
                # Without the key, a missing dimension is the properties' fault; with it, the list's.
                path.append("Dimensions")
            dimensions = props.get("Dimensions") or []
            # Each dimension's value with its path; a dimension without a Value is wrong as a whole.
            by_name = {
                d.get("Name"): ([*path, i, *(["Value"] if "Value" in d else [])], d.get("Value"))
                for i, d in enumerate(dimensions)
                if isinstance(d, dict)
            }
            if "TableName" not in by_name:
                matches.append(RuleMatch(path, f"{logical_id}: a DynamoDB alarm needs a TableName dimension"))
            else:
                where, value = by_name["TableName"]
                if not _names(value, table_refs):
                    matches.append(
                        RuleMatch(
                            where,
                            f"{logical_id}: TableName dimension {value!r} is not a Ref to this template's table",
                        )
                    )
            if "GlobalSecondaryIndexName" in by_name:
                where, value = by_name["GlobalSecondaryIndexName"]
                if not (_names(value, index_refs) or (isinstance(value, str) and value in index_refs)):
                    matches.append(
                        RuleMatch(
                            where,
                            f"{logical_id}: GlobalSecondaryIndexName dimension {value!r} is not one of this "
                            "template's indexes",
                        )
                    )
        return matches
