"""Reading the cost model's inputs: a traffic profile and a price table, TOML files (the package
ships an example of each), every field checked; a bad one is an InvalidInputError naming it."""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from kvtable.console.errors import UsageError
from kvtable.console.text_files import read_text_file
from kvtable.cost.capacity import OPERATIONS
from kvtable.schema.errors import InvalidInputError

PLANS = ("free", "pro", "scale")
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
    bulk_date: str | None = None  # when the optional [bulk] prices were taken

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
# Optional (price tables written before it lack it): what `kvtable cost --bulk` and `kvtable import` need.
BULK_PRICES = ("import_from_s3_per_gb", "export_to_s3_per_gb")


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
    bulk_date = None
    if "bulk" in raw:
        figures["bulk"] = {name: _number(raw["bulk"], name, "bulk") for name in BULK_PRICES}
        bulk_date = str(raw["bulk"].get("date") or raw["date"])
    return Prices(raw["region"], raw["date"], sources, figures, bulk_date)


@dataclass(frozen=True)
class PlanTraffic:
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

    plans: list[PlanTraffic]
    namespace: str = "myapp"
    key: str = "user:123"
    page_items: int = 100
    contributor_insights: bool = False
    alarms: bool = True


def _plan(name: str, raw: object) -> PlanTraffic:
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
    return PlanTraffic(
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
