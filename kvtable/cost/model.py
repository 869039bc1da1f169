"""What a traffic profile costs a month, per plan and in total, and the on-demand caps that bound it.

The profile and the price table are TOML files (the package ships an example of each); the capacity per
request comes from kvtable.cost.capacity, which sizes items with the contract's own code.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import asdict, dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from kvtable.cfn import names
from kvtable.cost.capacity import OPERATIONS, Units, key_item_size, operation_units
from kvtable.errors import InvalidInputError
from kvtable.text_files import read_text_file
from kvtable.tool_errors import UsageError

PLANS = ("free", "pro", "scale")
HOURS_A_MONTH = 730  # AWS's pricing pages and calculator count a month as 730 hours
SECONDS_A_MONTH = HOURS_A_MONTH * 3600
GB = 1024**3
ITEM_OVERHEAD_BYTES = 100  # DynamoDB bills 100 bytes of index overhead on every stored item and index entry
# Contributor Insights makes 4 rules per table or index with a sort key (most accessed and most throttled,
# by partition key and by full key): the table and GSI1 (contributorinsights_HowItWorks.html).
INSIGHTS_RULES = 8
EXAMPLE_PROFILE = "example-profile.toml"
PRICE_TABLE = "prices-us-east-1.toml"


def data_file(name: str) -> Path:
    """A file shipped in the package's data directory."""
    # Found from the package, not as a package of its own: the data folder has no __init__.py.
    return Path(str(resources.files("kvtable.cost").joinpath("data", name)))


def _read_toml(path: Path, what: str) -> dict[str, Any]:
    try:
        return tomllib.loads(read_text_file(path))
    except UsageError as error:
        raise InvalidInputError(f"{what} {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise InvalidInputError(f"{what} {path} is not TOML: {error}") from None


def _number(
    table: dict[str, Any], name: str, where: str, *, whole: bool = False, most: float | None = None
) -> float:
    """A number of 0 or more at `where.name`; InvalidInputError naming the field otherwise."""
    value = table.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or not math.isfinite(value):
        raise InvalidInputError(f"{where}.{name} must be a number of 0 or more, got {value!r}")
    if whole and not isinstance(value, int):
        raise InvalidInputError(f"{where}.{name} must be a whole number, got {value!r}")
    if most is not None and value > most:
        raise InvalidInputError(f"{where}.{name} must be at most {most}, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Prices:
    """The price table: every figure in USD, with where and when it was taken."""

    region: str
    date: str
    sources: list[str]
    figures: dict[str, dict[str, float]]

    def __call__(self, section: str, name: str) -> float:
        return self.figures[section][name]


_PRICE_FIELDS = {
    "on_demand": (
        "standard_write_per_million",
        "standard_read_per_million",
        "ia_write_per_million",
        "ia_read_per_million",
    ),
    "provisioned": ("standard_wcu_hour", "standard_rcu_hour", "ia_wcu_hour", "ia_rcu_hour"),
    "storage": ("standard_gb_month", "standard_free_gb", "ia_gb_month", "pitr_gb_month"),
    "contributor_insights": ("rule_month", "per_million_events"),
    "cloudwatch": ("alarm_month",),
}


def load_prices(path: Path | None = None) -> Prices:
    """The price table at `path` (default: the shipped us-east-1 table), every field checked."""
    raw = _read_toml(path or data_file(PRICE_TABLE), "price table")
    for name in ("region", "date"):
        if not isinstance(raw.get(name), str):
            raise InvalidInputError(f"price table: {name} must be text, got {raw.get(name)!r}")
    sources = raw.get("sources")
    if not isinstance(sources, list) or not sources or not all(isinstance(s, str) for s in sources):
        raise InvalidInputError("price table: sources must be a list of the pages the prices come from")
    figures = {
        section: {name: _number(raw.get(section) or {}, name, section) for name in names}
        for section, names in _PRICE_FIELDS.items()
    }
    return Prices(raw["region"], raw["date"], sources, figures)


@dataclass(frozen=True)
class Plan:
    """One plan's traffic: users, requests a second per user by operation, and what they store."""

    name: str
    users: int
    peak_factor: float
    value_bytes: int
    keys_per_user: int
    ttl_share: float
    requests_per_second: dict[str, float]


@dataclass(frozen=True)
class Profile:
    """A traffic profile: its plans and the settings they share."""

    plans: list[Plan]
    namespace: str = "myapp"
    key: str = "user:123"
    page_items: int = 100
    contributor_insights: bool = False
    alarms: bool = True


def _plan(name: str, raw: object) -> Plan:
    where = f"plans.{name}"
    if not isinstance(raw, dict):
        raise InvalidInputError(f"{where} must be a table")
    rates = raw.get("requests_per_second")
    if not isinstance(rates, dict):
        raise InvalidInputError(f"{where}.requests_per_second must be a table of operation = rate")
    for operation in rates:
        if operation not in OPERATIONS:
            raise InvalidInputError(
                f"{where}.requests_per_second.{operation} is not an operation the model knows ({', '.join(OPERATIONS)})"
            )
    value_bytes = int(_number(raw, "value_bytes", where, whole=True))
    if value_bytes < 8:
        raise InvalidInputError(
            f'{where}.value_bytes must be 8 or more (the size of {{"name": ""}}), got {value_bytes}'
        )
    peak = _number(raw, "peak_factor", where) if "peak_factor" in raw else 1.0
    if peak < 1:
        raise InvalidInputError(f"{where}.peak_factor must be 1 or more, got {peak}")
    return Plan(
        name=name,
        users=int(_number(raw, "users", where, whole=True)),
        peak_factor=peak,
        value_bytes=value_bytes,
        keys_per_user=int(_number(raw, "keys_per_user", where, whole=True)),
        ttl_share=_number(raw, "ttl_share", where, most=1.0) if "ttl_share" in raw else 0.0,
        requests_per_second={op: _number(rates, op, f"{where}.requests_per_second") for op in rates},
    )


def load_profile(path: Path) -> Profile:
    """The traffic profile at `path`; InvalidInputError naming the first bad field."""
    raw = _read_toml(path, "profile")
    plans = raw.get("plans")
    if not isinstance(plans, dict) or not plans:
        raise InvalidInputError(
            f"plans: the profile needs a [plans.<name>] table for some of {', '.join(PLANS)}"
        )
    unknown = sorted(set(plans) - set(PLANS))
    if unknown:
        raise InvalidInputError(f"plans.{unknown[0]} is not a plan ({', '.join(PLANS)})")
    settings = raw.get("settings", {})
    if not isinstance(settings, dict):
        raise InvalidInputError("settings must be a table")
    for flag in ("contributor_insights", "alarms"):
        if not isinstance(settings.get(flag, False), bool):
            raise InvalidInputError(f"settings.{flag} must be true or false")
    for text in ("namespace", "key"):
        if not isinstance(settings.get(text, "x"), str) or not settings.get(text, "x"):
            raise InvalidInputError(f"settings.{text} must be non-empty text")
    page_items = (
        int(_number(settings, "page_items", "settings", whole=True)) if "page_items" in settings else 100
    )
    if page_items < 1:
        raise InvalidInputError("settings.page_items must be 1 or more")
    return Profile(
        plans=[_plan(name, plans[name]) for name in PLANS if name in plans],
        namespace=settings.get("namespace", "myapp"),
        key=settings.get("key", "user:123"),
        page_items=page_items,
        contributor_insights=settings.get("contributor_insights", False),
        alarms=settings.get("alarms", True),
    )


def template_alarm_count() -> int:
    """The CloudWatch alarms the database template creates (with an alarm topic): AWS's recommended alarms
    for the table, the index and each operation the contract uses (kvtable.cfn.names.RECOMMENDED_ALARMS)."""
    return len(names.RECOMMENDED_ALARMS)


@dataclass
class PlanCost:
    """One plan's month: capacity (average and peak units a second) and the cost of each line."""

    plan: str
    key_item_bytes: float
    stored_gb: float
    average_units: dict[str, float]
    peak_units: dict[str, float]
    costs: dict[str, float] = field(default_factory=dict)


def _mixed_units(operation: str, plan: Plan, profile: Profile) -> Units:
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


def plan_cost(plan: Plan, profile: Profile, prices: Prices, utilisation: float) -> PlanCost:
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
