"""What a traffic profile costs a month, per plan and in total, and the on-demand caps that bound it.

The profile and the price table are read by kvtable.cost.inputs; the capacity per request comes from
kvtable.cost.capacity, which sizes items with the contract's own code; the alarms are counted by
kvtable.cost.alarms.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Any

from kvtable.cfn import names
from kvtable.cost.alarms import template_alarm_count
from kvtable.cost.capacity import Units, key_item_size, operation_units
from kvtable.cost.inputs import PlanTraffic, Prices, Profile
from kvtable.schema.errors import InvalidInputError

HOURS_A_MONTH = 730  # AWS's pricing pages and calculator count a month as 730 hours
SECONDS_A_MONTH = HOURS_A_MONTH * 3600
GB = 1024**3
ITEM_OVERHEAD_BYTES = 100  # DynamoDB bills 100 bytes of index overhead on every stored item and index entry
# Contributor Insights makes 4 rules per table or index with a sort key (most accessed and most throttled,
# by partition key and by full key): the table and GSI1 (contributorinsights_HowItWorks.html).
INSIGHTS_RULES = 8


@dataclass
class PlanCost:
    """One plan's month: capacity (average and peak units a second) and the cost of each line."""

    plan: str
    key_item_bytes: float
    stored_gb: float
    average_units: dict[str, float]
    peak_units: dict[str, float]
    costs: dict[str, float] = field(default_factory=dict)


def _mixed_units(operation: str, plan: PlanTraffic, profile: Profile) -> Units:
    """Units of one request, averaged over keys with and without a TTL (the attribute weighs a few bytes)."""
    sizes = [
        (1 - plan.ttl_share, key_item_size(profile.namespace, profile.key, plan.value_bytes)),
        (plan.ttl_share, key_item_size(profile.namespace, profile.key, plan.value_bytes, ttl=True)),
    ]
    parts = [(share, operation_units(operation, size, profile.page_items)) for share, size in sizes]
    return Units(
        *(sum(share * getattr(units, name) for share, units in parts) for name in Units.__dataclass_fields__)
    )


def _items_touched(operation: str, profile: Profile) -> tuple[float, float]:
    """Items one request reads or writes on the table and on GSI1: Contributor Insights' events."""
    if operation == "list_keys":
        return 0.0, float(profile.page_items)
    if operation == "get_user_by_api_key":
        return 0.0, 1.0
    units = operation_units(operation, 1)
    return 1.0, 1.0 if units.index_write else 0.0


def plan_cost(plan: PlanTraffic, profile: Profile, prices: Prices, utilisation: float) -> PlanCost:
    """The plan's month under each capacity mode and table class, and what it stores."""
    average = dict.fromkeys(Units.__dataclass_fields__, 0.0)
    events = 0.0
    for operation, rate in plan.requests_per_second.items():
        per_second = rate * plan.users
        units = _mixed_units(operation, plan, profile)
        for name in average:
            average[name] += per_second * getattr(units, name)
        events += per_second * sum(_items_touched(operation, profile))
    peak = {name: value * plan.peak_factor for name, value in average.items()}
    item_bytes = (1 - plan.ttl_share) * key_item_size(
        profile.namespace, profile.key, plan.value_bytes
    ) + plan.ttl_share * key_item_size(profile.namespace, profile.key, plan.value_bytes, ttl=True)
    keys = plan.users * plan.keys_per_user
    table_gb = keys * (item_bytes + ITEM_OVERHEAD_BYTES) / GB
    stored_gb = 2 * table_gb  # GSI1 projects ALL: every key item is stored twice
    reads = (average["table_read"] + average["index_read"]) * SECONDS_A_MONTH / 1e6
    writes = (average["table_write"] + average["index_write"]) * SECONDS_A_MONTH / 1e6
    index_writes = average["index_write"] * SECONDS_A_MONTH / 1e6
    od, prov, store = "on_demand", "provisioned", "storage"
    # Provisioned with auto scaling that follows the load: the average consumed over the target utilisation.
    read_hours = (average["table_read"] + average["index_read"]) / utilisation * HOURS_A_MONTH
    write_hours = (average["table_write"] + average["index_write"]) / utilisation * HOURS_A_MONTH
    peak_read_hours = read_hours * plan.peak_factor
    peak_write_hours = write_hours * plan.peak_factor
    costs = {
        "on_demand": reads * prices(od, "standard_read_per_million")
        + writes * prices(od, "standard_write_per_million"),
        "provisioned": read_hours * prices(prov, "standard_rcu_hour")
        + write_hours * prices(prov, "standard_wcu_hour"),
        # Provisioned for the peak all month (no auto scaling): the ceiling of the provisioned bill.
        "provisioned_for_peak": peak_read_hours * prices(prov, "standard_rcu_hour")
        + peak_write_hours * prices(prov, "standard_wcu_hour"),
        "standard_ia_on_demand": reads * prices(od, "ia_read_per_million")
        + writes * prices(od, "ia_write_per_million"),
        "gsi_writes_on_demand": index_writes * prices(od, "standard_write_per_million"),
        "storage": stored_gb * prices(store, "standard_gb_month"),
        "storage_ia": stored_gb * prices(store, "ia_gb_month"),
        "pitr": table_gb * prices(store, "pitr_gb_month"),
        "contributor_insights_events": (
            events * SECONDS_A_MONTH / 1e6 * prices("contributor_insights", "per_million_events")
            if profile.contributor_insights
            else 0.0
        ),
    }
    shared = costs["pitr"] + costs["contributor_insights_events"]
    costs["month_on_demand"] = costs["on_demand"] + costs["storage"] + shared
    costs["month_provisioned"] = costs["provisioned"] + costs["storage"] + shared
    costs["month_standard_ia"] = costs["standard_ia_on_demand"] + costs["storage_ia"] + shared
    return PlanCost(plan.name, item_bytes, stored_gb, average, peak, costs)


@dataclass
class Estimate:
    """The whole estimate: per plan, the total, the fixed monthly items, the caps and the price source."""

    utilisation: float
    headroom: float
    plans: list[PlanCost]
    fixed: dict[str, float]
    totals: dict[str, float]
    caps: dict[str, int]
    worst_month_at_caps: float
    prices: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        """The estimate as plain JSON data (`--format json`)."""
        return asdict(self)


# Each cap, by the template parameter that sets it (the table's and GSI1's OnDemandThroughput), and the
# peak it bounds.
CAP_UNITS = {
    names.MAX_READ_PARAMETER: "table_read",
    names.MAX_WRITE_PARAMETER: "table_write",
    names.GSI_MAX_READ_PARAMETER: "index_read",
    names.GSI_MAX_WRITE_PARAMETER: "index_write",
}


def estimate(
    profile: Profile,
    prices: Prices,
    utilisation: float = 0.7,
    headroom: float = 1.5,
    alarms: int | None = None,
) -> Estimate:
    """The month's cost of every plan and in total, and the on-demand caps: the plans' summed peak units
    a second times `headroom` (caps are per table and per index, not per plan)."""
    if not 0 < utilisation <= 1:
        raise InvalidInputError(f"--utilisation must be above 0 and at most 1, got {utilisation}")
    if headroom < 1:
        raise InvalidInputError(f"--headroom must be 1 or more, got {headroom}")
    plans = [plan_cost(plan, profile, prices, utilisation) for plan in profile.plans]
    alarm_count = 0 if not profile.alarms else (template_alarm_count() if alarms is None else alarms)
    fixed = {
        "alarms": alarm_count * prices("cloudwatch", "alarm_month"),
        "contributor_insights_rules": (
            INSIGHTS_RULES * prices("contributor_insights", "rule_month")
            if profile.contributor_insights
            else 0.0
        ),
    }
    totals = {name: sum(plan.costs[name] for plan in plans) for name in plans[0].costs}
    stored = sum(plan.stored_gb for plan in plans)
    # The free 25 GB a month applies to Standard storage once per account and region, so to the total only.
    free = min(stored, prices("storage", "standard_free_gb")) * prices("storage", "standard_gb_month")
    for name in ("storage", "month_on_demand", "month_provisioned"):
        totals[name] -= free
    for name in ("month_on_demand", "month_provisioned", "month_standard_ia"):
        totals[name] += sum(fixed.values())
    caps = {
        cap: max(1, math.ceil(sum(plan.peak_units[units] for plan in plans) * headroom))
        for cap, units in CAP_UNITS.items()
    }
    reads = caps[names.MAX_READ_PARAMETER] + caps[names.GSI_MAX_READ_PARAMETER]
    writes = caps[names.MAX_WRITE_PARAMETER] + caps[names.GSI_MAX_WRITE_PARAMETER]
    worst = reads * SECONDS_A_MONTH / 1e6 * prices(
        "on_demand", "standard_read_per_million"
    ) + writes * SECONDS_A_MONTH / 1e6 * prices("on_demand", "standard_write_per_million")
    source = {"region": prices.region, "date": prices.date, "sources": prices.sources}
    return Estimate(utilisation, headroom, plans, fixed, totals, caps, worst, source)
