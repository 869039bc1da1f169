"""Why adopt refuses a table before any step: what would make the update after the import fail or
replace the table (key schema, attribute types, indexes) and settings AWS would not change now."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from kvtable.deploy.plan import gsi_definitions
from kvtable.recovery.live_table import billing_mode
from kvtable.recovery.restore import utc_text

# AWS allows up to four switches from provisioned to on-demand in a rolling 24 hours ("Considerations
# when switching capacity modes in DynamoDB"); DescribeTable shows only the last one.
ON_DEMAND_SWITCH_WINDOW = timedelta(hours=24)


def compatibility_refusals(expected: dict[str, Any], live: dict[str, Any], table_name: str) -> list[str]:
    """Why importing the live table would make the next update fail or replace it: a different key
    schema, key attribute types, a local secondary index the template lacks, or an index with another
    key schema or projection (the import itself would succeed)."""
    refusals = []
    want_keys, have_keys = key_schema_text(expected), key_schema_text(live)
    if want_keys != have_keys:
        refusals.append(
            f"{table_name}'s key schema is {have_keys}, the template's {want_keys}: an update would replace the table"
        )
    want_types = {a["AttributeName"]: a["AttributeType"] for a in expected.get("AttributeDefinitions", [])}
    have_types = {a["AttributeName"]: a["AttributeType"] for a in live.get("AttributeDefinitions", [])}
    for attribute in sorted(set(want_types) & set(have_types)):
        if want_types[attribute] != have_types[attribute]:
            refusals.append(
                f"attribute {attribute} of {table_name} is of type {have_types[attribute]}, the template's "
                f"{want_types[attribute]}: an update would replace the table"
            )
    live_indexes = {g["IndexName"]: g for g in live.get("GlobalSecondaryIndexes", [])}
    for index_name, index in sorted(gsi_definitions(expected).items()):
        present = live_indexes.get(index_name)
        if present is not None and key_schema_text(present) != key_schema_text(index):
            refusals.append(
                f"index {index_name} of {table_name} has key schema {key_schema_text(present)}, the template's "
                f"{key_schema_text(index)}: the update would have to delete and create it"
            )
        elif present is not None and projection_text(present) != projection_text(index):
            refusals.append(
                f"index {index_name} of {table_name} projects {projection_text(present)}, the template's "
                f"{projection_text(index)}: a projection cannot change in place, and the update would have to "
                "delete and create the index, two index operations where AWS allows one"
            )
    want_local = {i["IndexName"] for i in expected.get("LocalSecondaryIndexes", [])}
    have_local = {i["IndexName"] for i in live.get("LocalSecondaryIndexes", [])}
    if want_local != have_local:
        refusals.append(
            f"{table_name} has local secondary indexes {sorted(have_local)}, the template {sorted(want_local)}: "
            "local indexes are fixed when a table is created, so an update would replace the table"
        )
    return refusals


def key_schema_text(definition: dict[str, Any]) -> str:
    """A table's or index's key schema in one spelling: `PK (HASH), SK (RANGE)`."""
    keys = [f"{k['AttributeName']} ({k['KeyType']})" for k in definition.get("KeySchema", [])]
    return ", ".join(keys) or "none"


def projection_text(index: dict[str, Any]) -> str:
    """An index's projection in one spelling: `ALL`, `KEYS_ONLY`, `INCLUDE [a, b]`."""
    projection = index.get("Projection", {})
    kind = str(projection.get("ProjectionType", "ALL"))
    extra = sorted(projection.get("NonKeyAttributes", []))
    return f"{kind} [{', '.join(extra)}]" if extra else kind


def setting_refusals(
    expected: dict[str, Any], live: dict[str, Any], ttl: dict[str, Any], now: datetime
) -> list[str]:
    """Settings the update would fail to change now: TTL on another attribute, and a switch to on-demand
    that AWS's rolling 24-hour limit may stop."""
    refusals = []
    table_name = live["TableName"]
    want_ttl = expected.get("TimeToLiveSpecification", {})
    have_attribute = ttl.get("AttributeName")
    if (
        want_ttl.get("Enabled")
        and ttl.get("TimeToLiveStatus") in ("ENABLED", "ENABLING")
        and have_attribute != want_ttl.get("AttributeName")
    ):
        refusals.append(
            f"TTL of {table_name} is on attribute {have_attribute}, the template's on {want_ttl.get('AttributeName')}: "
            "TTL moves to another attribute only by turning it off and, once that has taken effect (up to an "
            "hour), on again (UpdateTimeToLive); do that first, then adopt"
        )
    switched = live.get("BillingModeSummary", {}).get("LastUpdateToPayPerRequestDateTime")
    if (
        expected.get("BillingMode") == "PAY_PER_REQUEST"
        and billing_mode(live) == "PROVISIONED"
        and isinstance(switched, datetime)
        and now - switched < ON_DEMAND_SWITCH_WINDOW
    ):
        refusals.append(
            f"{table_name} is provisioned and was last switched to on-demand at {utc_text(switched)}; AWS allows "
            "four switches to on-demand in a rolling 24 hours and DescribeTable shows only the last, so the "
            f"update could fail half way: adopt after {utc_text(switched + ON_DEMAND_SWITCH_WINDOW)}, or switch "
            "it to on-demand yourself (UpdateTable BillingMode=PAY_PER_REQUEST) and adopt then"
        )
    return refusals
