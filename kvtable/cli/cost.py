"""What a traffic profile costs a month per plan and in total: on-demand, provisioned at a utilisation,
the Standard-IA table class, storage, point-in-time recovery, GSI1's write amplification, Contributor
Insights and the template's alarms; and the on-demand caps (MaxReadRequestUnits, MaxWriteRequestUnits
for the table and GSI1) that bound the worst month.

The profile is a TOML file (see the example: `kvtable cost --example`); prices come from a price table
on file with its region, date and sources (default: the shipped us-east-1 table, taken 2026-11-30;
check it against AWS's pricing pages before use). See docs/cost.md.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.schema.errors import InvalidInputError

if TYPE_CHECKING:
    from kvtable.cost.bulk import BulkEstimate
    from kvtable.cost.inputs import Prices
    from kvtable.cost.model import Estimate

# The worked estimate's scale (issue #33: a first load of 100 million keys).
BULK_SCALE = 100_000_000

_LINES = (
    ("on_demand", "requests, on-demand (Standard)"),
    ("gsi_writes_on_demand", "  of which GSI1 writes (on-demand)"),
    ("provisioned", "requests, provisioned at the utilisation"),
    ("provisioned_for_peak", "requests, provisioned for the peak"),
    ("standard_ia_on_demand", "requests, on-demand (Standard-IA)"),
    ("storage", "storage (Standard, table + GSI1)"),
    ("storage_ia", "storage (Standard-IA)"),
    ("pitr", "point-in-time recovery"),
    ("contributor_insights_events", "Contributor Insights events"),
    ("month_on_demand", "MONTH on-demand, Standard"),
    ("month_provisioned", "MONTH provisioned, Standard"),
    ("month_standard_ia", "MONTH on-demand, Standard-IA"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """PROFILE, --prices, --utilisation, --headroom, --alarms, --format, --example."""
    parser.add_argument(
        "profile", metavar="PROFILE", nargs="?", type=kinds.input_file, help="the traffic profile (TOML)"
    )
    parser.add_argument("--example", action="store_true", help="use the shipped example profile")
    parser.add_argument(
        "--prices", type=kinds.input_file, help="a price table (TOML; default: the shipped us-east-1 one)"
    )
    parser.add_argument(
        "--utilisation",
        type=kinds.Amount(0, 1, low_included=False),
        default=0.7,
        help="provisioned capacity's average utilisation, above 0 to 1 (default %(default)s)",
    )
    parser.add_argument(
        "--headroom",
        type=kinds.Amount(1, 1000),
        default=1.5,
        help="the caps: the plans' peak units a second times this (default %(default)s)",
    )
    parser.add_argument(
        "--alarms",
        type=kinds.Count(0, 10_000),
        help="the alarms to price (default: counted from the template's code)",
    )
    parser.add_argument("--format", choices=("text", "json"), default="text", help="output (default text)")
    parser.add_argument(
        "--bulk",
        type=kinds.input_file,
        metavar="FILE",
        help="price a JSON Lines input (as kvtable load and import take) both ways: load against Import from S3",
    )
    parser.add_argument(
        "--namespace", type=kinds.namespace_name, default="myapp", help="with --bulk: the keys' namespace"
    )


def render(estimate: Estimate) -> str:
    """The estimate as a table: a column per plan and the total, in USD a month."""
    names = [plan.plan for plan in estimate.plans]
    width = 44
    rows = [f"{'USD a month':<{width}}" + "".join(f"{name:>12}" for name in [*names, "total"])]
    for line, label in _LINES:
        values = [plan.costs[line] for plan in estimate.plans] + [estimate.totals[line]]
        rows.append(f"{label:<{width}}" + "".join(f"{value:>12,.2f}" for value in values))
    fixed = ", ".join(f"{name} {value:,.2f}" for name, value in estimate.fixed.items())
    rows.append(
        f"(the MONTH totals include the fixed items: {fixed}; and the free 25 GB of Standard storage)"
    )
    rows.append("")
    rows.append(f"{'peak units a second':<{width}}" + "".join(f"{name:>12}" for name in names))
    for unit in ("table_read", "table_write", "index_read", "index_write"):
        rows.append(
            f"{unit:<{width}}" + "".join(f"{plan.peak_units[unit]:>12,.1f}" for plan in estimate.plans)
        )
    rows.append("")
    rows.append(
        f"suggested on-demand caps (the peaks summed x {estimate.headroom:g}), as lines for the "
        "[parameters] of config/<env>.toml:"
    )
    rows.extend(f'  {cap} = "{value}"' for cap, value in estimate.caps.items())
    rows.append(
        f"worst month at the caps (requests only, on-demand): {estimate.worst_month_at_caps:,.2f} USD"
    )
    source = estimate.prices
    rows.append(
        f"prices: {source['region']}, taken {source['date']} from {', '.join(source['sources'])}; "
        "check them against AWS's pages before use"
    )
    return "\n".join(rows)


def render_bulk(name: str, namespace: str, figures: BulkEstimate, prices: Prices) -> str:
    """A bulk input priced both ways, and the same averages at BULK_SCALE keys."""
    rows = [f"{name}: {figures.keys:,} keys into namespace {namespace!r}"]
    header = f"{'':<34}{'keys':>16}{'item bytes':>18}{'source bytes':>18}{'write units':>16}{'USD':>12}"
    rows.append(header)
    for scale in (figures, figures.scaled(BULK_SCALE)):
        rows.append(
            f"{'kvtable load (on-demand writes)':<34}{scale.keys:>16,}{scale.item_bytes:>18,}{'-':>18}"
            f"{scale.load_write_units:>16,}{scale.load_usd:>12,.2f}"
        )
        rows.append(
            f"{'kvtable import (Import from S3)':<34}{scale.keys:>16,}{'-':>18}{scale.source_bytes:>18,}"
            f"{'-':>16}{scale.import_usd:>12,.2f}"
        )
    rows.append(
        f"(the last two lines: {BULK_SCALE:,} keys at this input's averages; a load writes each key on the table "
        "and on GSI1; an import bills the source's uncompressed DynamoDB JSON)"
    )
    rows.append(
        f"prices: {prices.region}, taken {prices.date} ([bulk]: {prices.bulk_date}) from {', '.join(prices.sources)}; "
        "check them against AWS's pages before use"
    )
    return "\n".join(rows)


def _run_bulk(args: argparse.Namespace) -> int:
    from kvtable.contract.jsonl import jsonl_entries  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.cost.bulk import bulk_estimate  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.cost.inputs import load_prices  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    prices = load_prices(args.prices)
    path = Path(args.bulk)
    with path.open("rb") as lines:
        figures = bulk_estimate(jsonl_entries(lines, name=str(path)), args.namespace, prices)
    if args.format == "json":
        scaled = figures.scaled(BULK_SCALE)
        print(json.dumps({"input": vars(figures), str(BULK_SCALE): vars(scaled)}, indent=2))
    else:
        print(render_bulk(str(path), args.namespace, figures, prices))
    return 0


def run(args: argparse.Namespace) -> int:
    """Print the estimate; 0, or 2 for a bad profile or price table (one line naming the field)."""
    if args.bulk is not None:
        if args.profile is not None or args.example:
            raise InvalidInputError("give --bulk FILE alone, or a PROFILE / --example")
        return _run_bulk(args)
    from kvtable.cost.inputs import EXAMPLE_PROFILE, data_file, load_prices, load_profile  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.cost.model import estimate  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    if (args.profile is None) == (not args.example):
        raise InvalidInputError("give a PROFILE file, or --example for the shipped one")
    profile = load_profile(data_file(EXAMPLE_PROFILE) if args.example else Path(args.profile))
    result = estimate(profile, load_prices(args.prices), args.utilisation, args.headroom, args.alarms)
    print(json.dumps(result.as_json(), indent=2) if args.format == "json" else render(result))
    return 0


COST = Command(
    name="cost",
    summary="what a traffic profile costs a month per plan, and the on-demand caps that bound it",
    description=__doc__ or "",
    examples=(
        "kvtable cost --example",
        "kvtable cost traffic.toml --utilisation 0.7",
        "kvtable cost traffic.toml --format json",
        "kvtable cost --bulk keys.jsonl --namespace myapp",
    ),
    add_arguments=add_arguments,
    run=run,
)
