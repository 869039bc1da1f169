"""CloudFormation's documented behaviour for an AWS::DynamoDB::Table, on moto's DynamoDB.

TEST HARNESS ONLY, loaded by tests/harness/moto_server.py in the server's process. moto 5.2.5
cannot update a table through CloudFormation at all (it keeps the old resource and changes
nothing), so adopting a table there could never show what AWS does. Each rule below follows an
AWS page, named beside it; docs/testing.md lists them:

1. An import changes nothing on the resource: it only records the template as the stack's state.
   ("Import AWS resources into a CloudFormation stack", CloudFormation User Guide:
   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/import-resources.html, and
   "Resolve drift with an import operation":
   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/resource-import-resolve-drift.html)
   moto_server.py takes an imported table over as it is; nothing here runs for an import.
2. An update changes a resource by the difference between the template recorded for it and the
   new one, both resolved with their parameters ("Update behaviors of stack resources":
   https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html),
   through DynamoDB's own API calls, one per property
   (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-dynamodb-table.html).
3. So an update whose template (resolved) does not change for the table changes nothing on it,
   even where the live table differs from the recorded template: that is drift, which an update
   does not look at ("Detect unmanaged configuration changes to stacks and resources with drift
   detection": https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-drift.html).
4. One global secondary index created or deleted per update; more fails the update ("You can
   create or delete only one global secondary index per UpdateTable operation":
   https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateTable.html, and the
   resource page's GlobalSecondaryIndexes: "you can only create or delete one").

5. A change of a property marked "Update requires: Replacement" (TableName, KeySchema,
   LocalSecondaryIndexes) creates a new table from the new template, then deletes the old one unless
   its UpdateReplacePolicy is Retain ("Update behaviors of stack resources", Replacement, above, and
   "UpdateReplacePolicy attribute":
   https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-updatereplacepolicy.html).

What moto's DynamoDB cannot hold is refused as a failed update (the stack rolls back, naming it),
never skipped: an index changed in place, and the properties in NOT_EMULATED.

Two DynamoDB APIs moto lacks are added for the table's settings CloudFormation manages:
DescribeContributorInsights / UpdateContributorInsights (API_DescribeContributorInsights.html,
API_UpdateContributorInsights.html; statuses go straight to ENABLED or DISABLED, without the
ENABLING step), and BillingModeSummary.LastUpdateToPayPerRequestDateTime, set when a table
switches to PAY_PER_REQUEST (API_BillingModeSummary.html).
"""

import json
from datetime import UTC, datetime
from typing import Any

from moto.cloudformation import parsing
from moto.cloudformation.exceptions import ValidationError
from moto.core.responses import ActionResult
from moto.dynamodb import responses as dynamodb_responses
from moto.dynamodb.models import DynamoDBBackend, dynamodb_backends
from moto.dynamodb.models.table import Table

TABLE_TYPE = "AWS::DynamoDB::Table"
REPLACING = ("TableName", "KeySchema", "LocalSecondaryIndexes")
NOT_EMULATED = (
    "TableClass",
    "WarmThroughput",
    "OnDemandThroughput",
    "KinesisStreamSpecification",
    "ImportSourceSpecification",
)
# Properties whose change rule 2 applies through DynamoDB's API below.
APPLIED = (
    "AttributeDefinitions",
    "BillingMode",
    "ProvisionedThroughput",
    "DeletionProtectionEnabled",
    "SSESpecification",
    "PointInTimeRecoverySpecification",
    "TimeToLiveSpecification",
    "ResourcePolicy",
    "Tags",
    "ContributorInsightsSpecification",
    "GlobalSecondaryIndexes",
    "StreamSpecification",
)


class HarnessUpdateError(ValidationError):
    """An update AWS would fail, or one this harness does not emulate: the stack rolls back."""

    def __init__(self, text: str) -> None:
        super().__init__(message=text)


# ----- DynamoDB: what moto's table lacks -------------------------------------------


def set_encryption(table: Table, account_id: str, region: str, sse: dict[str, Any] | None) -> None:
    """SSE as UpdateTable's SSESpecification sets it: enabled without a key means the AWS-managed
    key aws/dynamodb; disabled means the AWS owned key (no SSEDescription)."""
    if sse and (sse.get("Enabled") or sse.get("SSEEnabled")):
        key = sse.get("KMSMasterKeyId") or table._get_default_encryption_key(account_id, region)
        table.sse_specification = {"Enabled": True, "SSEType": "KMS", "KMSMasterKeyId": key}
    else:
        table.sse_specification = None


def _insights(table: Table) -> dict[str, str]:
    """Contributor Insights status by index name ("" for the table itself)."""
    found = getattr(table, "contributor_insights", None)
    if found is None:
        found = {}
        table.contributor_insights = found  # type: ignore[attr-defined]
    return found


def set_insights(table: Table, index: str | None, enabled: bool) -> None:
    """UpdateContributorInsights' ContributorInsightsAction, ENABLE or DISABLE."""
    _insights(table)[index or ""] = "ENABLED" if enabled else "DISABLED"


def _describe_contributor_insights(self: dynamodb_responses.DynamoHandler) -> ActionResult:
    table = self.dynamodb_backend.get_table(self.body["TableName"])
    index = self.body.get("IndexName")
    answer = {
        "TableName": table.name,
        "ContributorInsightsStatus": _insights(table).get(index or "", "DISABLED"),
    }
    if index:
        answer["IndexName"] = index
    return ActionResult(answer)


def _update_contributor_insights(self: dynamodb_responses.DynamoHandler) -> ActionResult:
    table = self.dynamodb_backend.get_table(self.body["TableName"])
    index = self.body.get("IndexName")
    set_insights(table, index, self.body["ContributorInsightsAction"] == "ENABLE")
    answer = {"TableName": table.name, "ContributorInsightsStatus": _insights(table)[index or ""]}
    if index:
        answer["IndexName"] = index
    return ActionResult(answer)


_original_backend_update_table = DynamoDBBackend.update_table


def _backend_update_table(self: DynamoDBBackend, name: str, *args: Any, **kwargs: Any) -> Table:
    table = self.get_table(name)
    before = table.billing_mode
    updated = _original_backend_update_table(self, name, *args, **kwargs)
    if before != "PAY_PER_REQUEST" and updated.billing_mode == "PAY_PER_REQUEST":
        updated.last_update_to_pay_per_request = datetime.now(UTC)  # type: ignore[attr-defined]
    return updated


_original_describe = Table.describe


def _describe(self: Table, *args: Any, **kwargs: Any) -> dict[str, Any]:
    described = _original_describe(self, *args, **kwargs)
    switched = getattr(self, "last_update_to_pay_per_request", None)
    body: dict[str, Any] = next(iter(described.values()), {})
    summary = body.get("BillingModeSummary")
    if switched is not None and summary is not None:
        summary["LastUpdateToPayPerRequestDateTime"] = switched.timestamp()
    return described


# ----- CloudFormation: rules 2 to 4 ------------------------------------------------


def resolved_tables(resource_map: parsing.ResourceMap) -> dict[str, dict[str, Any]]:
    """Each table's properties in the map's template, resolved with the map's parameters and conditions."""
    resolved = {}
    for logical_id, resource in resource_map._resource_json_map.items():
        if resource.get("Type") == TABLE_TYPE:
            properties = parsing.clean_json(resource.get("Properties", {}), resource_map)
            resolved[logical_id] = json.loads(json.dumps(properties, default=str))
    return resolved


def _by_name(items: list[dict[str, Any]] | None, key: str) -> dict[str, dict[str, Any]]:
    return {item[key]: item for item in items or []}


def _without(value: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in value.items() if k not in keys}


def replaces(old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Whether a property marked "Update requires: Replacement" changes (rule 5)."""
    return any(old.get(name) != new.get(name) for name in REPLACING)


def changed_properties(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """The properties whose resolved values differ, in the order they are applied."""
    names = [n for n in sorted(set(old) | set(new)) if old.get(n) != new.get(n)]
    for name in names:
        if name not in APPLIED:
            raise HarnessUpdateError(f"test harness: a change of {name} is not emulated")
    return names


def apply_table_update(
    backend: DynamoDBBackend, table_name: str, old: dict[str, Any], new: dict[str, Any]
) -> list[str]:
    """Rule 2: apply to the live table exactly what differs between `old` and `new`; returns what changed."""
    names = changed_properties(old, new)
    table = backend.get_table(table_name)
    if "GlobalSecondaryIndexes" in names:
        _update_indexes(backend, table, old, new)
    if "BillingMode" in names or "ProvisionedThroughput" in names:
        backend.update_table(
            table_name,
            attr_definitions=[],
            global_index=[],
            throughput=new.get("ProvisionedThroughput") or {},
            billing_mode=new.get("BillingMode", "PROVISIONED"),
            stream_spec={},
            deletion_protection_enabled=None,
            warm_throughput=None,
        )
    if "DeletionProtectionEnabled" in names:
        table.deletion_protection_enabled = bool(new.get("DeletionProtectionEnabled", False))
    if "SSESpecification" in names:
        set_encryption(table, backend.account_id, backend.region_name, new.get("SSESpecification"))
    if "PointInTimeRecoverySpecification" in names:
        enabled = new.get("PointInTimeRecoverySpecification", {}).get("PointInTimeRecoveryEnabled", False)
        backend.update_continuous_backups(table_name, {"PointInTimeRecoveryEnabled": bool(enabled)})
    if "TimeToLiveSpecification" in names:
        _update_ttl(
            backend, table_name, old.get("TimeToLiveSpecification"), new.get("TimeToLiveSpecification")
        )
    _apply_settings(backend, table, names, old, new)
    return names


def _apply_settings(
    backend: DynamoDBBackend, table: Table, names: list[str], old: dict[str, Any], new: dict[str, Any]
) -> None:
    """The settings of rule 2 that each have an API call of their own."""
    arn = table.table_arn
    if "ResourcePolicy" in names:
        if "ResourcePolicy" in new:
            document = new["ResourcePolicy"]["PolicyDocument"]
            text = document if isinstance(document, str) else json.dumps(document)
            backend.put_resource_policy(arn, text, None)
        else:
            backend.delete_resource_policy(arn, None)
    if "Tags" in names:
        before = {t["Key"]: t["Value"] for t in old.get("Tags", [])}
        after = {t["Key"]: t["Value"] for t in new.get("Tags", [])}
        removed = [k for k in before if k not in after]
        if removed:
            backend.untag_resource(arn, removed)
        changed = {k: v for k, v in after.items() if before.get(k) != v}
        if changed:
            backend.untag_resource(arn, list(changed))
            backend.tag_resource(arn, changed)
    if "ContributorInsightsSpecification" in names:
        spec = new.get("ContributorInsightsSpecification") or {}
        set_insights(table, None, bool(spec.get("Enabled", False)))
    if "StreamSpecification" in names:
        if old.get("StreamSpecification"):
            table.set_stream_specification({"StreamEnabled": False})
        if new.get("StreamSpecification"):
            view = new["StreamSpecification"]["StreamViewType"]
            table.set_stream_specification({"StreamEnabled": True, "StreamViewType": view})


def _update_ttl(
    backend: DynamoDBBackend, table_name: str, old: dict[str, Any] | None, new: dict[str, Any] | None
) -> None:
    if old and old.get("Enabled") and (not new or not new.get("Enabled")):
        backend.update_time_to_live(table_name, {"Enabled": False, "AttributeName": old["AttributeName"]})
    if new and new.get("Enabled"):
        backend.update_time_to_live(table_name, {"Enabled": True, "AttributeName": new["AttributeName"]})


def _update_indexes(backend: DynamoDBBackend, table: Table, old: dict[str, Any], new: dict[str, Any]) -> None:
    """Rule 4: one index created or deleted; an index changed in place only in its Contributor Insights."""
    before = _by_name(old.get("GlobalSecondaryIndexes"), "IndexName")
    after = _by_name(new.get("GlobalSecondaryIndexes"), "IndexName")
    created, deleted = sorted(set(after) - set(before)), sorted(set(before) - set(after))
    if len(created) + len(deleted) > 1:
        raise HarnessUpdateError(
            "Cannot perform more than one GSI creation or deletion in a single update "
            f"(creating {created}, deleting {deleted})"
        )
    # An index's throughput follows the table's billing mode, which is switched on its own.
    ignored = ("ContributorInsightsSpecification", "ProvisionedThroughput")
    for name in sorted(set(before) & set(after)):
        if _without(before[name], *ignored) != _without(after[name], *ignored):
            raise HarnessUpdateError(
                f"index {name} changes in place (key schema or projection): not emulated"
            )
    updates: list[dict[str, Any]] = [{"Delete": {"IndexName": name}} for name in deleted]
    updates += [{"Create": _without(after[name], "ContributorInsightsSpecification")} for name in created]
    if updates:
        backend.update_table(
            table.name,
            attr_definitions=new.get("AttributeDefinitions", []),
            global_index=updates,
            throughput={},
            billing_mode="",
            stream_spec={},
            deletion_protection_enabled=None,
            warm_throughput=None,
        )
    for name, index in after.items():
        spec = index.get("ContributorInsightsSpecification") or {}
        was = (before.get(name) or {}).get("ContributorInsightsSpecification") or {}
        if spec != was:
            set_insights(table, name, bool(spec.get("Enabled", False)))


_original_map_update = parsing.ResourceMap.update


def _map_update(self: parsing.ResourceMap, template: dict[str, Any], parameters: Any = None) -> None:
    """Rules 2 and 3 around moto's update, which keeps the table's resource but changes nothing on it."""
    before = resolved_tables(self)
    _original_map_update(self, template, parameters)
    after = resolved_tables(self)
    backend = dynamodb_backends[self._account_id][self._region_name]
    for logical_id in sorted(set(before) & set(after)):
        table = self._parsed_resources.get(logical_id)
        if table is None or before[logical_id] == after[logical_id]:
            continue
        if replaces(before[logical_id], after[logical_id]):
            _replace_table(self, logical_id, table)
            continue
        apply_table_update(backend, table.name, before[logical_id], after[logical_id])


def _replace_table(resource_map: parsing.ResourceMap, logical_id: str, old_table: Table) -> None:
    """Rule 5: a new table from the new template, then the old one deleted unless its UpdateReplacePolicy
    is Retain."""
    resource_json = resource_map._resource_json_map[logical_id]
    if resolved_tables(resource_map)[logical_id].get("TableName") == old_table.name:
        # "If you must replace the resource, specify a new name" (the TableName property's page).
        raise HarnessUpdateError(
            f"CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename "
            f"{old_table.name} and update the stack again."
        )
    new_table = parsing.parse_and_create_resource(
        logical_id, resource_json, resource_map, resource_map._account_id, resource_map._region_name
    )
    resource_map._parsed_resources[logical_id] = new_table
    if resource_json.get("UpdateReplacePolicy") != "Retain":
        dynamodb_backends[resource_map._account_id][resource_map._region_name].delete_table(old_table.name)


def install() -> None:
    """Patch moto, in the server's process only."""
    parsing.ResourceMap.update = _map_update  # type: ignore[method-assign]
    DynamoDBBackend.update_table = _backend_update_table  # type: ignore[method-assign]
    Table.describe = _describe  # type: ignore[method-assign]
    handler = dynamodb_responses.DynamoHandler
    handler.describe_contributor_insights = _describe_contributor_insights  # type: ignore[attr-defined]
    handler.update_contributor_insights = _update_contributor_insights  # type: ignore[attr-defined]
