"""Template surgery for adopt and globalize: a template without its table (every reference to the
table fixed to the old table's literal name and ARN), and a template holding only the table."""

from __future__ import annotations

import copy
from typing import Any

from kvtable.cfn import names
from kvtable.cfn.evaluate import SUB_VARIABLE, TemplateEvaluator
from kvtable.cfn.templates import Template


def _replace_references(value: Any, logical_id: str, replacements: dict[str, str]) -> Any:
    """`value` with every reference to `logical_id` (Ref, GetAtt, ${id.Attr} in Sub) and to the keys of
    `replacements` (parameters, `id.Attr`) replaced by the literal values."""
    if isinstance(value, dict):
        if set(value) == {"Ref"} and value["Ref"] in replacements:
            return replacements[value["Ref"]]
        if set(value) == {"Fn::GetAtt"}:
            target = value["Fn::GetAtt"]
            key = ".".join(target) if isinstance(target, list) else str(target)
            if key in replacements:
                return replacements[key]
        if set(value) == {"Fn::Sub"} and isinstance(value["Fn::Sub"], str):
            text = SUB_VARIABLE.sub(lambda m: replacements.get(m.group(1), m.group(0)), value["Fn::Sub"])
            return text if "${" not in text else {"Fn::Sub": text}
        return {k: _replace_references(v, logical_id, replacements) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace_references(v, logical_id, replacements) for v in value]
    return value


def detached_template(deployed: Template, table_id: str, evaluator: TemplateEvaluator) -> Template:
    """The deployed template without its table, every reference to the table (and to its name
    parameter) in the rest fixed to the old table's literal name and ARN, so that removing the
    table changes nothing else: the policies keep their resources and the exports their values."""
    name = evaluator.values[table_id]
    replacements = {
        table_id: name,
        f"{table_id}.Arn": evaluator.values[f"{table_id}.Arn"],
        names.TABLE_NAME_PARAMETER: name,
    }
    detached = copy.deepcopy(deployed)
    del detached["Resources"][table_id]
    for section in ("Resources", "Outputs"):
        detached[section] = _replace_references(detached.get(section, {}), table_id, replacements)
    for resource in detached["Resources"].values():
        depends = resource.get("DependsOn")
        if depends == table_id or (isinstance(depends, list) and table_id in depends):
            kept = [d for d in ([depends] if isinstance(depends, str) else depends) if d != table_id]
            if kept:
                resource["DependsOn"] = kept
            else:
                resource.pop("DependsOn")
    return detached


def table_only(source: Template, table_id: str) -> Template:
    """A template holding only the table (an import that creates a stack may hold nothing else)."""
    template = {
        k: copy.deepcopy(v)
        for k, v in source.items()
        if k in ("AWSTemplateFormatVersion", "Parameters", "Conditions")
    }
    template["Description"] = "kvtable: importing an existing table; the next step adds the rest"
    template["Resources"] = {table_id: copy.deepcopy(source["Resources"][table_id])}
    return template
