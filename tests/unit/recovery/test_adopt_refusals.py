"""Why adopt refuses a table before any step: what would make the update after the import fail or
replace the table, and settings AWS would not change now; each refusal one line naming both sides."""

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

from kvtable.recovery.adopt_refusals import (
    compatibility_refusals,
    key_schema_text,
    projection_text,
    setting_refusals,
)
from tests.aws_shapes import design_keys

TABLE = "kv-storage-data"


def expected() -> dict[str, Any]:
    """The template's table, resolved: PK/SK, GSI1 on GSI1PK/GSI1SK projecting ALL, TTL on `ttl`."""
    return {
        "TableName": TABLE,
        "BillingMode": "PAY_PER_REQUEST",
        **design_keys(),
        "TimeToLiveSpecification": {"AttributeName": "ttl", "Enabled": True},
    }


def test_the_same_table_is_compatible() -> None:
    assert compatibility_refusals(expected(), expected(), TABLE) == []


def test_another_key_schema_would_replace_the_table() -> None:
    live = expected()
    live["KeySchema"] = [{"AttributeName": "PK", "KeyType": "HASH"}]
    assert compatibility_refusals(expected(), live, TABLE) == [
        f"{TABLE}'s key schema is PK (HASH), the template's PK (HASH), SK (RANGE): an update would replace the table"
    ]


def test_another_attribute_type_would_replace_the_table() -> None:
    live = expected()
    live["AttributeDefinitions"][1] = {"AttributeName": "SK", "AttributeType": "N"}
    assert compatibility_refusals(expected(), live, TABLE) == [
        f"attribute SK of {TABLE} is of type N, the template's S: an update would replace the table"
    ]


def test_an_index_of_another_projection_needs_two_index_operations() -> None:
    live = expected()
    live["GlobalSecondaryIndexes"][0]["Projection"] = {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": ["v", "a"],
    }
    (refusal,) = compatibility_refusals(expected(), live, TABLE)
    assert refusal.startswith(f"index GSI1 of {TABLE} projects INCLUDE [a, v], the template's ALL:")


def test_an_index_of_another_key_schema_would_be_deleted_and_created() -> None:
    live = copy.deepcopy(expected())
    live["GlobalSecondaryIndexes"][0]["KeySchema"] = [{"AttributeName": "GSI1PK", "KeyType": "HASH"}]
    assert compatibility_refusals(expected(), live, TABLE) == [
        f"index GSI1 of {TABLE} has key schema GSI1PK (HASH), the template's GSI1PK (HASH), GSI1SK (RANGE): "
        "the update would have to delete and create it"
    ]


def test_a_local_index_the_template_lacks_would_replace_the_table() -> None:
    live = expected()
    live["LocalSecondaryIndexes"] = [{"IndexName": "LSI1"}]
    (refusal,) = compatibility_refusals(expected(), live, TABLE)
    assert refusal.startswith(f"{TABLE} has local secondary indexes ['LSI1'], the template []:")


def test_a_missing_index_is_no_refusal_the_update_creates_it() -> None:
    live = expected()
    del live["GlobalSecondaryIndexes"]
    assert compatibility_refusals(expected(), live, TABLE) == []


def test_key_schemas_and_projections_have_one_spelling() -> None:
    assert key_schema_text({}) == "none"
    assert projection_text({}) == "ALL"
    assert projection_text({"Projection": {"ProjectionType": "KEYS_ONLY"}}) == "KEYS_ONLY"


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


def test_ttl_on_another_attribute_is_refused_until_moved_by_hand() -> None:
    live = {"TableName": TABLE, "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"}}
    ttl = {"TimeToLiveStatus": "ENABLED", "AttributeName": "expires"}
    (refusal,) = setting_refusals(expected(), live, ttl, NOW)
    assert refusal.startswith(f"TTL of {TABLE} is on attribute expires, the template's on ttl:")
    assert setting_refusals(expected(), live, {"TimeToLiveStatus": "DISABLED"}, NOW) == []


def test_a_provisioned_table_switched_to_on_demand_in_the_last_day_is_refused_until_the_day_is_over() -> None:
    switched = NOW - timedelta(hours=3)
    live = {
        "TableName": TABLE,
        "BillingModeSummary": {"BillingMode": "PROVISIONED", "LastUpdateToPayPerRequestDateTime": switched},
    }
    (refusal,) = setting_refusals(expected(), live, {}, NOW)
    assert "last switched to on-demand at 2026-12-07T09:00:00Z" in refusal
    assert "adopt after 2026-12-08T09:00:00Z" in refusal
    assert setting_refusals(expected(), live, {}, NOW + timedelta(hours=21, seconds=1)) == []
