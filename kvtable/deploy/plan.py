"""What a deploy would do, computed from the deployed and the new templates, before any change.

It does not rely on the change set: it resolves parameter values, flags changes
to properties CloudFormation's resource schema lists as create-only (they force
a replacement), removals of the table, and the updates that AWS accepts and
then fails halfway (two GSIs at once, a TTL rename, an export in use).
"""

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from cfnlint.schema import PROVIDER_SCHEMA_MANAGER, ResourceNotFoundError

from kvtable.cfn.evaluate import StackContext, TemplateEvaluator
from kvtable.cfn.intrinsics import references, resolve
from kvtable.cfn.names import GLOBAL_TABLE_TYPE, TABLE_TYPE, TABLE_TYPES
from kvtable.cfn.templates import Template
from kvtable.console.errors import RefusedError

SCHEMA_REGION = "us-east-1"

# The schema lists only TableName for a table, but CloudFormation's documentation says a
# KeySchema change requires replacement ("Update requires: Replacement").
DOCUMENTED_REPLACING_PROPERTIES: dict[str, frozenset[str]] = {
    TABLE_TYPE: frozenset({"KeySchema"}),
    GLOBAL_TABLE_TYPE: frozenset({"KeySchema"}),
}

Action = Literal["Add", "Modify", "Remove"]


@dataclass(frozen=True)
class ResourceChange:
    """One resource's change: its action, whether it is replaced, and the properties that change."""

    logical_id: str
    resource_type: str
    action: Action
    replacement: bool = False
    properties: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndexOperation:
    """One GSI creation or deletion on a table; a redefinition is a deletion, then a creation."""

    table_id: str
    action: Literal["create", "delete"]
    index_name: str

    def __str__(self) -> str:
        return f"{self.action} {self.index_name}"


@dataclass(frozen=True)
class DeployPlan:
    """The verdict on a deploy: the changes, the reasons to refuse, the exports it changes or removes.

    `index_operations` lists every GSI creation and deletion, deletions first (the order AWS needs);
    when there is more than one, `index_refusal` says why one update cannot do them and `--stepwise`
    can, one update each."""

    changes: list[ResourceChange]
    refusals: list[str] = field(default_factory=list)
    affected_exports: list[str] = field(default_factory=list)
    changed_parameters: list[str] = field(default_factory=list)
    outputs_change: bool = False
    index_operations: list[IndexOperation] = field(default_factory=list)
    index_refusal: str | None = None
    # A global table's replica regions before and after, when they change by more than one.
    replica_steps: list[list[str]] = field(default_factory=list)
    replica_refusal: str | None = None

    @property
    def has_changes(self) -> bool:
        """Whether deploying would change anything in the stack."""
        return bool(self.changes or self.changed_parameters or self.outputs_change)

    @property
    def all_refusals(self) -> list[str]:
        """Every refusal of a deploy in one update."""
        extra = [r for r in (self.index_refusal, self.replica_refusal) if r]
        return self.refusals + extra


class ResourceSchemaUnreadableError(RefusedError):
    """cfn-lint's copy of a resource type's schema could not be read, so nothing can say which changes
    replace the resource: the plan refuses rather than assume none do. Exit code 3."""

    def __init__(self, resource_type: str, cause: BaseException) -> None:
        self.resource_type = resource_type
        reason = f"{type(cause).__name__}: {cause}".splitlines()[0]
        super().__init__(
            f"cannot tell which changes replace a resource: cfn-lint's resource schema for {resource_type} "
            f"could not be read ({reason}), so the plan refuses rather than assume none does; reinstall "
            "the tested cfn-lint (pip install 'kvtable[deploy]') and run again"
        )


def create_only_properties(resource_type: str) -> frozenset[str]:
    """Top-level properties whose change replaces the resource (cfn-lint's copy of the AWS schema).

    Raises ResourceSchemaUnreadableError when the schema cannot be read: never "nothing is create-only"."""
    return _create_only_properties(resource_type, PROVIDER_SCHEMA_MANAGER)


# Only successful answers are cached (functools.cache keeps no exception), so a failure is never remembered.
@cache
def _create_only_properties(resource_type: str, schemas: Any) -> frozenset[str]:
    try:
        schema = schemas.get_resource_schema(SCHEMA_REGION, resource_type).schema
    except ResourceNotFoundError:
        schema = {}  # a type with no schema (a custom resource): nothing is known to be create-only
    except Exception as error:  # any other failure: the schema could not be read
        raise ResourceSchemaUnreadableError(resource_type, error) from error
    paths = schema.get("createOnlyProperties", []) if isinstance(schema, dict) else None
    if not isinstance(paths, list) or not all(isinstance(path, str) for path in paths):
        raise ResourceSchemaUnreadableError(
            resource_type, TypeError("createOnlyProperties is not a list of paths")
        )
    names = {path.split("/")[2] for path in paths if path.count("/") >= 2}
    return frozenset(names) | DOCUMENTED_REPLACING_PROPERTIES.get(resource_type, frozenset())


def _differs(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) != json.dumps(b, sort_keys=True)


@dataclass(frozen=True)
class _Side:
    template: Template
    parameters: dict[str, str]
    stack_name: str

    @property
    def resources(self) -> dict[str, Any]:
        """The resources that exist on this side: those whose Condition holds with its parameters."""
        conditions = self.conditions
        return {
            logical_id: resource
            for logical_id, resource in self.template.get("Resources", {}).items()
            if conditions.get(resource.get("Condition", ""), True)
        }

    @property
    def conditions(self) -> dict[str, bool]:
        if not self.template.get("Conditions"):
            return {}
        # Conditions depend on parameters only here; account and region do not matter to them.
        context = StackContext("", "", self.stack_name, self.parameters)
        return TemplateEvaluator({**self.template, "Resources": {}}, context).conditions

    def properties(self, logical_id: str) -> dict[str, Any]:
        # Each Fn::If on a known condition is its branch: a setting that only a condition turns on or off
        # (Contributor Insights and its mode) is otherwise the same text on both sides.
        props = self.resources[logical_id].get("Properties", {})
        resolved: dict[str, Any] = resolve(props, self.parameters, self.stack_name, self.conditions)
        return resolved

    def exports(self) -> dict[str, Any]:
        """Resolved export name -> (resolved value)."""
        found = {}
        for output in self.template.get("Outputs", {}).values():
            if "Export" in output:
                name = resolve(output["Export"].get("Name"), self.parameters, self.stack_name)
                found[json.dumps(name) if not isinstance(name, str) else name] = resolve(
                    output.get("Value"), self.parameters, self.stack_name
                )
        return found


def _resource_changes(old: _Side, new: _Side) -> list[ResourceChange]:
    changes: list[ResourceChange] = []
    for logical_id, resource in new.resources.items():
        if logical_id not in old.resources:
            changes.append(ResourceChange(logical_id, resource.get("Type", ""), "Add"))
    for logical_id, resource in old.resources.items():
        if logical_id not in new.resources:
            changes.append(ResourceChange(logical_id, resource.get("Type", ""), "Remove"))
    for logical_id, resource in new.resources.items():
        if logical_id not in old.resources:
            continue
        resource_type = resource.get("Type", "")
        if old.resources[logical_id].get("Type") != resource_type:
            changes.append(ResourceChange(logical_id, resource_type, "Modify", True, ("Type",)))
            continue
        before, after = old.properties(logical_id), new.properties(logical_id)
        changed = tuple(sorted(k for k in set(before) | set(after) if _differs(before.get(k), after.get(k))))
        other = [
            k
            for k in set(resource) | set(old.resources[logical_id])
            if k not in ("Properties", "Type") and _differs(resource.get(k), old.resources[logical_id].get(k))
        ]
        if changed or other:
            replaced = bool(set(changed) & create_only_properties(resource_type))
            changes.append(
                ResourceChange(logical_id, resource_type, "Modify", replaced, changed + tuple(other))
            )
    # A resource whose properties refer to a replaced one gets a new value too.
    replaced_ids = {c.logical_id for c in changes if c.replacement}
    touched = {c.logical_id for c in changes}
    for logical_id in new.resources:
        refers_to_replaced = references(new.resources[logical_id].get("Properties", {})) & replaced_ids
        if logical_id in old.resources and logical_id not in touched and refers_to_replaced:
            changes.append(ResourceChange(logical_id, new.resources[logical_id].get("Type", ""), "Modify"))
    return sorted(changes, key=lambda c: c.logical_id)


def gsi_definitions(properties: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A table's GSIs by (resolved) name."""
    return {str(gsi.get("IndexName")): gsi for gsi in properties.get("GlobalSecondaryIndexes", [])}


def index_operations(logical_id: str, before: dict[str, Any], after: dict[str, Any]) -> list[IndexOperation]:
    """The GSI creations and deletions that take a table from `before` to `after`, deletions first."""
    old, new = gsi_definitions(before), gsi_definitions(after)

    def shape(gsi: dict[str, Any]) -> Any:
        return [gsi.get("KeySchema"), gsi.get("Projection")]

    redefined = sorted(n for n in set(old) & set(new) if _differs(shape(old[n]), shape(new[n])))
    deleted = sorted(set(old) - set(new)) + redefined
    created = redefined + sorted(set(new) - set(old))
    return [IndexOperation(logical_id, "delete", n) for n in deleted] + [
        IndexOperation(logical_id, "create", n) for n in created
    ]


def _index_refusal(logical_id: str, operations: list[IndexOperation]) -> str | None:
    if len(operations) <= 1:
        return None
    return (
        f"{logical_id}: this update creates or deletes {len(operations)} GSIs, and AWS fails an update with "
        'more than one GSI creation or deletion ("Cannot perform more than one GSI creation or deletion '
        'in a single update"); the same deploy with --stepwise added runs them as one update each, waiting '
        "for each index: " + "; then ".join(map(str, operations))
    )


def _ttl_refusal(logical_id: str, before: dict[str, Any], after: dict[str, Any]) -> str | None:
    old = before.get("TimeToLiveSpecification") or {}
    new = after.get("TimeToLiveSpecification") or {}
    if not (old.get("Enabled") and new.get("Enabled")):
        return None
    if old.get("AttributeName") == new.get("AttributeName"):
        return None
    return (
        f"{logical_id}: the TTL attribute would change from {old.get('AttributeName')!r} to "
        f"{new.get('AttributeName')!r}; DynamoDB allows one TTL change per hour and a rename needs "
        "disable then enable: deploy with TTL disabled first, then the new attribute an hour later"
    )


# What DynamoDB changes in place, with no replacement and no backfill (none is create-only in the
# resource schema, so the plan reports each as a Modify): the on-demand caps, warm throughput, the
# point-in-time recovery period and Contributor Insights (and its mode). Of these, only warm
# throughput has a direction: DynamoDB raises it and never lowers it, so a lower value fails the
# update once CloudFormation has started it.
IN_PLACE_PROPERTIES: frozenset[str] = frozenset(
    {
        "OnDemandThroughput",
        "ReadOnDemandThroughputSettings",
        "WriteOnDemandThroughputSettings",
        "WarmThroughput",
        "PointInTimeRecoverySpecification",
        "ContributorInsightsSpecification",
    }
)


def _evaluated(side: "_Side", logical_id: str) -> dict[str, Any]:
    context = StackContext("", "", side.stack_name, side.parameters)
    return TemplateEvaluator(side.template, context).resource_properties(logical_id)


def _warm_throughput_refusal(logical_id: str, old: "_Side", new: "_Side") -> str | None:
    before = _evaluated(old, logical_id).get("WarmThroughput") or {}
    after = _evaluated(new, logical_id).get("WarmThroughput") or {}
    lowered = [
        f"{key} {before[key]} -> {after[key]}"
        for key in ("ReadUnitsPerSecond", "WriteUnitsPerSecond")
        if key in before and key in after and int(after[key]) < int(before[key])
    ]
    if not lowered:
        return None
    return (
        f"{logical_id}: warm throughput would be lowered ({', '.join(lowered)}); DynamoDB only raises a "
        "table's warm throughput, so the update would fail: keep the value, or leave the parameter empty"
    )


def replica_regions(side: "_Side", logical_id: str) -> list[str]:
    """A global table's replica regions, as CloudFormation evaluates them with the side's parameters."""
    context = StackContext("", "", side.stack_name, side.parameters)
    properties = TemplateEvaluator(side.template, context).resource_properties(logical_id)
    return [str(r.get("Region")) for r in properties.get("Replicas", [])]


def replica_steps(before: list[str], after: list[str]) -> list[list[str]]:
    """The replica regions after each update that removes or adds one region, removals first."""
    current, steps = list(before), []
    for region in [r for r in before if r not in after]:
        current.remove(region)
        steps.append(list(current))
    for region in [r for r in after if r not in before]:
        current.append(region)
        steps.append(list(current))
    return steps


def _replica_refusal(logical_id: str, old: "_Side", new: "_Side") -> tuple[list[list[str]], str | None]:
    before, after = replica_regions(old, logical_id), replica_regions(new, logical_id)
    steps = replica_steps(before, after)
    if len(steps) <= 1:
        return steps, None
    described = [f"add {r}" for r in after if r not in before] + [
        f"remove {r}" for r in before if r not in after
    ]
    return steps, (
        f"{logical_id}: this update adds or removes {len(steps)} replicas, and AWS takes one replica change per "
        "update; the same deploy with --stepwise added runs them one per update, waiting for each: "
        + "; then ".join(sorted(described))
    )


def _global_table_refusals(logical_id: str, old: "_Side", new: "_Side") -> list[str]:
    """What AWS refuses, or fails half way, in one update of a global table."""
    before, after = replica_regions(old, logical_id), replica_regions(new, logical_id)
    refusals = []
    old_props, new_props = old.properties(logical_id), new.properties(logical_id)
    if old_props.get("BillingMode", "PROVISIONED") != new_props.get("BillingMode", "PROVISIONED"):
        refusals.append(
            f"{logical_id}: the billing mode would change; every replica shares one billing mode and kvtable "
            "keeps PAY_PER_REQUEST"
        )
    if _differs(old_props.get("StreamSpecification"), new_props.get("StreamSpecification")) and (
        len(before) > 1 or len(after) > 1
    ):
        refusals.append(
            f"{logical_id}: the stream would change while the table has more than one replica, which replication "
            "needs: remove the other replicas first, one per update"
        )
    return refusals


def compute_plan(
    stack_name: str,
    old_template: Template | None,
    old_parameters: dict[str, str],
    new_template: Template,
    new_parameters: dict[str, str],
) -> DeployPlan:
    """The plan for deploying `new_template` over `old_template` (None: the stack does not exist yet)."""
    new = _Side(new_template, new_parameters, stack_name)
    if old_template is None:
        adds = [ResourceChange(i, r.get("Type", ""), "Add") for i, r in sorted(new.resources.items())]
        return DeployPlan(adds, outputs_change=bool(new_template.get("Outputs")))
    old = _Side(old_template, old_parameters, stack_name)
    changes = _resource_changes(old, new)
    tables = _table_findings(changes, old, new)
    changed_parameters = sorted(
        name
        for name in set(old_parameters) | set(new_parameters)
        if old_parameters.get(name) != new_parameters.get(name)
    )
    outputs_change = _differs(old_template.get("Outputs"), new_template.get("Outputs"))
    return DeployPlan(
        changes,
        tables.refusals,
        _affected_exports(old, new, changes),
        changed_parameters,
        outputs_change,
        tables.operations,
        tables.index_refusal,
        tables.replica_plan,
        tables.replica_refusal,
    )


@dataclass
class _TableFindings:
    """What the changes to the stack's tables call for: refusals, index operations and replica steps."""

    refusals: list[str] = field(default_factory=list)
    operations: list[IndexOperation] = field(default_factory=list)
    index_refusal: str | None = None
    replica_plan: list[list[str]] = field(default_factory=list)
    replica_refusal: str | None = None


def _table_findings(changes: list[ResourceChange], old: _Side, new: _Side) -> _TableFindings:
    found = _TableFindings()
    for change in changes:
        if (
            change.resource_type not in TABLE_TYPES
            and old.resources.get(change.logical_id, {}).get("Type") not in TABLE_TYPES
        ):
            continue
        if change.action == "Remove":
            found.refusals.append(
                f"{change.logical_id}: the table would be removed from the stack (with Retain it is left "
                "behind, unmanaged; without, deleted with every customer's data)"
            )
        elif change.replacement:
            found.refusals.append(_replacement_refusal(change, old, new))
        elif change.action == "Modify":
            _modified_table(change, old, new, found)
    return found


def _replacement_refusal(change: ResourceChange, old: _Side, new: _Side) -> str:
    before, after = old.properties(change.logical_id), new.properties(change.logical_id)
    detail = ", ".join(
        f"{p} {before.get(p)!r} -> {after.get(p)!r}"
        for p in change.properties
        if p in create_only_properties(change.resource_type)
    )
    return (
        f"{change.logical_id}: the table would be replaced ({detail}); CloudFormation would create "
        "a new, empty table"
    )


def _modified_table(change: ResourceChange, old: _Side, new: _Side, found: _TableFindings) -> None:
    """A table updated in place: its index operations, and the settings an update cannot change."""
    before, after = old.properties(change.logical_id), new.properties(change.logical_id)
    table_operations = index_operations(change.logical_id, before, after)
    found.operations += table_operations
    found.index_refusal = found.index_refusal or _index_refusal(change.logical_id, table_operations)
    found.refusals += [
        r
        for r in (
            _ttl_refusal(change.logical_id, before, after),
            _warm_throughput_refusal(change.logical_id, old, new),
        )
        if r
    ]
    if change.resource_type == GLOBAL_TABLE_TYPE:
        found.refusals += _global_table_refusals(change.logical_id, old, new)
        found.replica_plan, found.replica_refusal = _replica_refusal(change.logical_id, old, new)


def _affected_exports(old: _Side, new: _Side, changes: list[ResourceChange]) -> list[str]:
    """The exports whose value would change, or that name a table being replaced or removed."""
    replaced = {c.logical_id for c in changes if c.replacement or c.action == "Remove"}
    old_exports, new_exports = old.exports(), new.exports()
    return sorted(
        name
        for name, value in old_exports.items()
        if name not in new_exports or _differs(value, new_exports[name]) or references(value) & replaced
    )


def change_set_refusals(changes: list[dict[str, Any]], table_ids: set[str]) -> list[str]:
    """Refusals from a change set (describe_change_set's Changes): a table replaced or removed."""
    refusals = []
    for change in changes:
        resource = change.get("ResourceChange", {})
        if (
            resource.get("LogicalResourceId") not in table_ids
            and resource.get("ResourceType") not in TABLE_TYPES
        ):
            continue
        logical_id = resource.get("LogicalResourceId")
        if resource.get("Action") == "Remove":
            refusals.append(f"{logical_id}: the change set removes the table")
        elif resource.get("Replacement") in ("True", "Conditional"):
            refusals.append(
                f"{logical_id}: the change set says the table is replaced "
                f"(Replacement: {resource.get('Replacement')})"
            )
    return refusals
