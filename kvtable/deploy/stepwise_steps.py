"""Several GSI changes as a sequence of stack updates, one GSI creation or deletion each.

AWS fails an update with more than one GSI creation or deletion. The steps go from the
deployed template to the new one: each intermediate step is the deployed template, with
its parameters, whose table holds the indexes of that moment (deletions first, then
creations), so exports keep their values and the policies stay as deployed until the
last step, which is the full new template with the new parameters.

The steps are computed from what is deployed now, so running the same deploy again after
an interruption computes only the steps that remain.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any

from kvtable.cfn.intrinsics import resolve
from kvtable.cfn.templates import Template
from kvtable.deploy.plan import IndexOperation, gsi_definitions


@dataclass(frozen=True)
class Step:
    """One stack update: what it does, the template text to send, its parameters, and the indexes
    the table holds once it is done."""

    operation: IndexOperation
    body: str
    template: Template
    parameters: dict[str, str]
    indexes_after: tuple[str, ...]
    final: bool = False


def _key_attributes(properties: dict[str, Any], indexes: list[dict[str, Any]]) -> set[str]:
    names = {k["AttributeName"] for k in properties.get("KeySchema", [])}
    for gsi in indexes:
        names |= {k["AttributeName"] for k in gsi.get("KeySchema", [])}
    return names


def _with_indexes(
    template: Template,
    table_id: str,
    *,
    parameters: dict[str, str],
    stack_name: str,
    indexes: list[dict[str, Any]],
    definitions: dict[str, str],
) -> Template:
    """`template` whose table holds exactly `indexes` (resolved), and the attribute definitions they need."""
    changed = copy.deepcopy(template)
    properties = changed["Resources"][table_id]["Properties"]
    resolved = resolve(properties, parameters, stack_name)
    if indexes:
        properties["GlobalSecondaryIndexes"] = indexes
    else:
        properties.pop("GlobalSecondaryIndexes", None)
    # DynamoDB refuses attribute definitions that no key uses, so they follow the indexes.
    needed = _key_attributes(resolved, indexes)
    properties["AttributeDefinitions"] = [
        {"AttributeName": name, "AttributeType": definitions[name]} for name in sorted(needed)
    ]
    return changed


def stepwise_steps(
    stack_name: str,
    *,
    deployed: Template,
    deployed_parameters: dict[str, str],
    new_body: str,
    new: Template,
    new_parameters: dict[str, str],
    operations: list[IndexOperation],
) -> list[Step]:
    """The updates that take the stack from `deployed` to `new`, one index operation each."""
    if not operations:
        return []
    table_id = operations[0].table_id
    old_props = resolve(deployed["Resources"][table_id]["Properties"], deployed_parameters, stack_name)
    new_props = resolve(new["Resources"][table_id]["Properties"], new_parameters, stack_name)
    definitions = {
        a["AttributeName"]: a["AttributeType"]
        for props in (old_props, new_props)
        for a in props.get("AttributeDefinitions", [])
    }
    current = gsi_definitions(old_props)
    wanted = gsi_definitions(new_props)
    steps = []
    for number, operation in enumerate(operations, start=1):
        if operation.action == "delete":
            current.pop(operation.index_name)
        else:
            current[operation.index_name] = wanted[operation.index_name]
        after = tuple(sorted(current))
        if number == len(operations):
            steps.append(Step(operation, new_body, new, new_parameters, after, final=True))
            break
        template = _with_indexes(
            deployed,
            table_id,
            parameters=deployed_parameters,
            stack_name=stack_name,
            indexes=list(current.values()),
            definitions=definitions,
        )
        body = json.dumps(template, indent=2, sort_keys=True)
        steps.append(Step(operation, body, template, deployed_parameters, after))
    return steps
