"""The template-based plan on its own: create-only properties, exports, GSIs, TTL; and the change set's
own verdict, on DescribeChangeSet answers in AWS's documented shape (validated against botocore's output
shape, so they cannot drift from what AWS sends), for what moto cannot signal: a replaced table."""

import copy
import json
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest

from kvtable.deploy import plan as plan_module
from kvtable.deploy.plan import (
    IN_PLACE_PROPERTIES,
    ResourceSchemaUnreadableError,
    change_set_refusals,
    compute_plan,
    create_only_properties,
)
from tests.aws_shapes import assert_aws_shape
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
TEMPLATE: dict[str, Any] = json.loads((ROOT / "templates" / "database.json").read_text())
PARAMETERS = {"TableName": "kv-storage-data", "GsiName": "GSI1"}


def plan_for(edit: Any = None, parameters: dict[str, str] | None = None) -> Any:
    new = copy.deepcopy(TEMPLATE)
    if edit:
        edit(new["Resources"]["KVStorageTable"]["Properties"])
    return compute_plan("KVDatabaseStack", TEMPLATE, PARAMETERS, new, parameters or PARAMETERS)


def test_create_only_properties_come_from_the_resource_schema() -> None:
    assert {"TableName", "KeySchema"} <= create_only_properties("AWS::DynamoDB::Table")
    assert "Properties" not in create_only_properties("AWS::DynamoDB::Table")
    assert create_only_properties("AWS::IAM::ManagedPolicy") == {"ManagedPolicyName", "Description", "Path"}


def test_the_same_template_and_parameters_plan_no_change() -> None:
    plan = plan_for()
    assert not plan.has_changes
    assert plan.refusals == []


def test_a_key_schema_change_replaces_the_table() -> None:
    def swap(props: dict[str, Any]) -> None:
        props["KeySchema"] = [{"AttributeName": "SK", "KeyType": "HASH"}]

    plan = plan_for(swap)
    (change,) = [c for c in plan.changes if c.logical_id == "KVStorageTable"]
    assert change.replacement
    assert "table would be replaced (KeySchema" in plan.refusals[0]


def test_a_replaced_table_changes_its_exports_and_the_policies_that_name_it() -> None:
    plan = plan_for(parameters={**PARAMETERS, "TableName": "renamed"})
    assert plan.affected_exports == ["KVDatabaseStack-TableArn", "KVDatabaseStack-TableName"]
    actions = {c.logical_id: (c.action, c.replacement) for c in plan.changes}
    # The dashboard names the table too; the alarms, off without a topic, are not in the stack.
    assert actions == {
        "KVStorageTable": ("Modify", True),
        "ReadPolicy": ("Modify", False),
        "ReadWritePolicy": ("Modify", False),
        "Dashboard": ("Modify", False),
    }
    assert plan.changed_parameters == ["TableName"]


def test_billing_or_pitr_changes_modify_in_place_without_refusal() -> None:
    def pitr_off(props: dict[str, Any]) -> None:
        props["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] = False

    plan = plan_for(pitr_off)
    assert [(c.logical_id, c.replacement) for c in plan.changes] == [("KVStorageTable", False)]
    assert plan.refusals == []


def test_disabling_ttl_is_allowed_but_renaming_is_refused() -> None:
    def disable(props: dict[str, Any]) -> None:
        props["TimeToLiveSpecification"] = {"AttributeName": "ttl", "Enabled": False}

    def rename(props: dict[str, Any]) -> None:
        props["TimeToLiveSpecification"] = {"AttributeName": "expires", "Enabled": True}

    assert plan_for(disable).refusals == []
    assert "TTL attribute would change" in plan_for(rename).refusals[0]


def test_a_redefined_gsi_counts_as_a_delete_and_a_create() -> None:
    def redefine(props: dict[str, Any]) -> None:
        props["GlobalSecondaryIndexes"][0]["Projection"] = {"ProjectionType": "KEYS_ONLY"}

    plan = plan_for(redefine)
    (refusal,) = plan.all_refusals
    assert "creates or deletes 2 GSIs" in refusal
    assert "delete GSI1; then create GSI1" in refusal
    assert "the same deploy with --stepwise added runs them as one update each" in refusal
    assert [str(op) for op in plan.index_operations] == ["delete GSI1", "create GSI1"]
    assert plan.refusals == []


CAPS_AND_SETTINGS = {
    "MaxReadRequestUnits": "400",
    "GsiMaxWriteRequestUnits": "50",
    "WarmReadUnitsPerSecond": "15000",
    "RecoveryPeriodInDays": "7",
    "ContributorInsights": "true",
    "ContributorInsightsMode": "THROTTLED_KEYS",
}


@pytest.mark.parametrize("name", sorted(CAPS_AND_SETTINGS))
def test_caps_warm_throughput_recovery_and_insights_change_in_place(name: str) -> None:
    # The mode is read only where Contributor Insights is on, so it changes with it on on both sides.
    before = {**PARAMETERS, **({"ContributorInsights": "true"} if name == "ContributorInsightsMode" else {})}
    plan = compute_plan(
        "KVDatabaseStack", TEMPLATE, before, TEMPLATE, {**before, name: CAPS_AND_SETTINGS[name]}
    )
    (change,) = [c for c in plan.changes if c.logical_id == "KVStorageTable"]
    assert (change.action, change.replacement) == ("Modify", False)
    # A GSI's own settings change with it, in place: no index is created or deleted.
    assert set(change.properties) <= IN_PLACE_PROPERTIES | {"GlobalSecondaryIndexes"}
    assert plan.index_operations == []
    assert plan.all_refusals == []


def test_lowering_warm_throughput_is_refused_and_raising_it_is_not() -> None:
    before = {**PARAMETERS, "WarmReadUnitsPerSecond": "20000"}
    lowered = compute_plan(
        "KVDatabaseStack", TEMPLATE, before, TEMPLATE, {**before, "WarmReadUnitsPerSecond": "15000"}
    )
    assert lowered.refusals == [
        "KVStorageTable: warm throughput would be lowered (ReadUnitsPerSecond 20000 -> 15000); DynamoDB only "
        "raises a table's warm throughput, so the update would fail: keep the value, or leave the parameter empty"
    ]
    raised = compute_plan(
        "KVDatabaseStack", TEMPLATE, before, TEMPLATE, {**before, "WarmReadUnitsPerSecond": "30000"}
    )
    assert raised.refusals == []


class SchemaLookupThatFails:
    """cfn-lint's schema manager after an upgrade that changed its API: every lookup fails."""

    def get_resource_schema(self, region: str, resource_type: str) -> Any:
        raise AttributeError("'Schema' object has no attribute 'schema'")


def test_a_schema_lookup_that_fails_is_a_refusal_not_no_create_only_properties(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plan_module, "PROVIDER_SCHEMA_MANAGER", SchemaLookupThatFails())
    with pytest.raises(ResourceSchemaUnreadableError) as refused:
        create_only_properties("AWS::DynamoDB::Table")
    assert refused.value.exit_code == 3
    assert str(refused.value) == (
        "cannot tell which changes replace a resource: cfn-lint's resource schema for AWS::DynamoDB::Table "
        "could not be read (AttributeError: 'Schema' object has no attribute 'schema'), so the plan refuses "
        "rather than assume none does; reinstall the tested cfn-lint (pip install 'kvtable[deploy]') and run again"
    )


def test_a_plan_whose_schema_cannot_be_read_refuses_even_a_billing_change(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(plan_module, "PROVIDER_SCHEMA_MANAGER", SchemaLookupThatFails())

    def stream_view(props: dict[str, Any]) -> None:
        props["StreamSpecification"] = {"StreamViewType": "KEYS_ONLY"}

    with pytest.raises(ResourceSchemaUnreadableError, match="AWS::DynamoDB::Table"):
        plan_for(stream_view)


def test_a_failed_lookup_is_not_remembered(monkeypatch: pytest.MonkeyPatch) -> None:
    with monkeypatch.context() as broken:
        broken.setattr(plan_module, "PROVIDER_SCHEMA_MANAGER", SchemaLookupThatFails())
        with pytest.raises(ResourceSchemaUnreadableError):
            create_only_properties("AWS::SSM::Parameter")
    assert "Name" in create_only_properties("AWS::SSM::Parameter")


def test_a_schema_without_a_list_of_create_only_paths_is_unreadable(monkeypatch: pytest.MonkeyPatch) -> None:
    class SchemaOfAnotherShape:
        def get_resource_schema(self, region: str, resource_type: str) -> Any:
            return SimpleNamespace(schema={"createOnlyProperties": "/properties/TableName"})

    monkeypatch.setattr(plan_module, "PROVIDER_SCHEMA_MANAGER", SchemaOfAnotherShape())
    with pytest.raises(ResourceSchemaUnreadableError, match="createOnlyProperties is not a list of paths"):
        create_only_properties("AWS::DynamoDB::Table")


def test_a_type_without_a_schema_has_no_create_only_properties_but_the_documented_ones() -> None:
    assert create_only_properties("AWS::Nope::Thing") == frozenset()


def detailed_change(logical_id: str, resource_type: str, action: str, replacement: str) -> dict[str, Any]:
    return {
        "Type": "Resource",
        "ResourceChange": {
            "Action": action,
            "LogicalResourceId": logical_id,
            "PhysicalResourceId": "kv-storage-data" if action != "Add" else None,
            "ResourceType": resource_type,
            "Replacement": replacement,
            "Scope": ["Properties"],
            "Details": [
                {
                    "Target": {
                        "Attribute": "Properties",
                        "Name": "TableName",
                        "RequiresRecreation": "Always",
                    },
                    "Evaluation": "Static",
                    "ChangeSource": "DirectModification",
                }
            ],
        },
    }


def aws_change_set(changes: list[dict[str, Any]]) -> dict[str, Any]:
    for change in changes:
        if change["ResourceChange"]["PhysicalResourceId"] is None:
            del change["ResourceChange"]["PhysicalResourceId"]
    response = {
        "ChangeSetName": "kvtable-20261125-120000",
        "ChangeSetId": "arn:aws:cloudformation:us-east-1:123456789012:changeSet/kvtable-20261125-120000/1",
        "StackId": "arn:aws:cloudformation:us-east-1:123456789012:stack/KVDatabaseStack/1",
        "StackName": "KVDatabaseStack",
        "CreationTime": datetime(2026, 11, 25, tzinfo=UTC),
        "ExecutionStatus": "AVAILABLE",
        "Status": "CREATE_COMPLETE",
        "Capabilities": ["CAPABILITY_IAM"],
        "Changes": changes,
    }
    assert_aws_shape("DescribeChangeSet", response)
    return response


@pytest.mark.parametrize(
    ("action", "replacement", "expected"),
    [
        ("Modify", "True", "the change set says the table is replaced (Replacement: True)"),
        ("Modify", "Conditional", "the change set says the table is replaced (Replacement: Conditional)"),
        ("Remove", "False", "the change set removes the table"),
    ],
)
def test_a_change_set_that_replaces_or_removes_the_table_is_refused(
    action: str, replacement: str, expected: str
) -> None:
    response = aws_change_set(
        [detailed_change("KVStorageTable", "AWS::DynamoDB::Table", action, replacement)]
    )
    assert change_set_refusals(response["Changes"], {"KVStorageTable"}) == [f"KVStorageTable: {expected}"]


def test_a_change_set_that_only_modifies_the_table_or_replaces_a_policy_passes() -> None:
    response = aws_change_set(
        [
            detailed_change("KVStorageTable", "AWS::DynamoDB::Table", "Modify", "False"),
            detailed_change("ReadPolicy", "AWS::IAM::ManagedPolicy", "Modify", "True"),
        ]
    )
    assert change_set_refusals(response["Changes"], {"KVStorageTable"}) == []
