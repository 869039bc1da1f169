"""The benchmark's chart: its bars carry the figures given, the same figures give the same bytes, and the
chart committed beside docs/benchmarks.md is the one the code draws from the figures that page quotes."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kvtable.benchmarks.transports import OPERATIONS
from kvtable.cli.main import main
from kvtable.local.dynamodb_local import LocalEndpoint
from tests.paths import REPO_ROOT
from tests.unit.benchmarks.test_bench_chart import SVG, bars

ROOT = REPO_ROOT


def test_the_benchmark_writes_its_chart_into_the_folder_given(
    dynamodb_endpoint: LocalEndpoint, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["bench", "--only", "transports", "--endpoint-url", dynamodb_endpoint.url, "--keys", "50"]
    argv += [
        "--rounds",
        "1",
        "--ops",
        "5",
        "--cold-starts",
        "1",
        "--seed",
        "7",
        "--out",
        str(tmp_path / "run"),
    ]
    assert main(argv) == 0
    chart = tmp_path / "run" / "transports.svg"
    assert f"chart of these figures: {chart}" in capsys.readouterr().out
    drawn = bars(chart.read_text(encoding="utf-8"))
    ours = ["kvtable (direct)", "kvtable (botocore)", "boto3 client"]
    for _, label in OPERATIONS:
        assert [name for group, name, *_ in drawn if group == label][:3] == ours
    cold = [name for group, name, *_ in drawn if group == "fresh process"]
    assert cold[:4] == ["python alone (for scale)", *ours]
    assert all(value.endswith(" µs") for group, _, value, _ in drawn if group != "fresh process")
    root = ET.fromstring(chart.read_text(encoding="utf-8"))
    (run_line,) = [t.text or "" for t in root.iter(f"{SVG}text") if t.get("class") == "run"]
    assert re.fullmatch(r"measured \d{4}-\d\d-\d\d \d\d:\d\d UTC on \d+ cores, .+; lower is better", run_line)
