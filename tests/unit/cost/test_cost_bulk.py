"""`kvtable cost --bulk`: a load's write units and an import's source size for the same input, priced
with the shipped table (on-demand writes 0.625 USD a million; Import from S3 0.15 USD a GB)."""

import json
from pathlib import Path

import pytest

from kvtable.cli.main import main
from kvtable.cost.bulk import GB, bulk_estimate
from kvtable.cost.inputs import load_prices
from kvtable.exchange.dynamodb_json import item_line
from kvtable.exchange.staging import imported_key_item
from kvtable.schema.entities import JsonValue
from kvtable.schema.errors import InvalidInputError
from kvtable.schema.values import item_size


def test_a_load_pays_a_write_unit_per_kb_twice_and_an_import_per_gb_of_source() -> None:
    prices = load_prices()
    small: tuple[str, JsonValue] = ("k1", {"name": "John"})
    large: tuple[str, JsonValue] = (
        "k2",
        "x" * 1_500,
    )  # a 1.5 KB value: two write units on the table, two on GSI1
    figures = bulk_estimate([small, large], "myapp", prices)
    sizes = [
        item_size(imported_key_item("myapp", k, v, "2026-12-07T00:00:00.000Z", None))
        for k, v in (small, large)
    ]
    assert sizes[0] < 1024 < sizes[1] <= 2048
    assert (figures.keys, figures.item_bytes, figures.load_write_units) == (2, sum(sizes), 2 * (1 + 2))
    assert figures.load_usd == pytest.approx(6 / 1_000_000 * 0.625)
    lines = [
        item_line(imported_key_item("myapp", k, v, "2026-12-07T00:00:00.000Z", None))
        for k, v in (small, large)
    ]
    assert figures.source_bytes == sum(len(line) for line in lines)  # writeIds and timestamps: fixed widths
    assert figures.import_usd == pytest.approx(figures.source_bytes / GB * 0.15)
    scaled = figures.scaled(100_000_000)
    assert (scaled.keys, scaled.load_write_units) == (100_000_000, 300_000_000)
    assert scaled.load_usd == pytest.approx(300 * 0.625)


def test_a_price_table_without_bulk_prices_is_named(tmp_path: Path) -> None:
    shipped = Path(__file__).parents[3] / "kvtable" / "cost" / "data" / "prices-us-east-1.toml"
    older = tmp_path / "prices.toml"
    older.write_text(shipped.read_text().split("[bulk]")[0])
    with pytest.raises(InvalidInputError, match=r"\[bulk\] import_from_s3_per_gb"):
        bulk_estimate([("k", 1)], "ns", load_prices(older))


def test_the_command_prints_both_ways_and_100_million_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "keys.jsonl"
    path.write_text("".join(json.dumps({"key": f"k{n}", "value": n}) + "\n" for n in range(10)))
    assert main(["cost", "--bulk", str(path), "--namespace", "myapp"]) == 0
    out = capsys.readouterr().out
    assert f"{path}: 10 keys into namespace 'myapp'" in out
    assert "kvtable load (on-demand writes)        100,000,000" in out
    assert "200,000,000      125.00" in out  # one unit on the table and one on GSI1 a key, at 0.625 a million
    assert "([bulk]: 2026-12-07)" in out
