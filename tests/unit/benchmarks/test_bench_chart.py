"""The benchmark's chart: its bars carry the figures given, the same figures give the same bytes, and the
chart committed beside docs/benchmarks.md is the one the code draws from the figures that page quotes."""

import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from kvtable.benchmarks.chart import Group, Panel, render_svg, value_text, write_chart
from kvtable.benchmarks.transports import CHART_TITLE, OPERATIONS, chart_panels
from tests.paths import REPO_ROOT

ROOT = REPO_ROOT
PAGE = ROOT / "docs" / "benchmarks.md"
COMMITTED = ROOT / "docs" / "benchmarks-transports.svg"
SVG = "{http://www.w3.org/2000/svg}"
UPDATE_VARIABLE = "KVTABLE_UPDATE_DOC_SAMPLES"


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n## {heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end != -1 else len(text)]


def _rows(table_text: str) -> list[list[str]]:
    return [
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in table_text.splitlines()
        if line.startswith("|") and not line.startswith("| ---")
    ]


def _figure(cell: str, unit: str) -> float:
    match = re.fullmatch(rf"([\d,]+(?:\.\d+)?) {unit}", cell)
    assert match, f"{cell!r} is not a figure in {unit}"
    return float(match.group(1).replace(",", ""))


def documented_run() -> tuple[dict[str, dict[str, float]], dict[str, float], str, str]:
    """What docs/benchmarks.md quotes from the transports section's last run: CPU per call by operation
    and client (µs), cold-start CPU by client (ms), the machine and the moment."""
    section = _section(PAGE.read_text(encoding="utf-8"), "The request path against other clients")
    moment = re.search(
        r"Measured on (\d{4}-\d\d-\d\d) at (\d\d:\d\d) UTC on this project's machine \((\d+ cores),\s+"
        r"([^,]+),\s+(\d+ GiB),",
        section,
    )
    assert moment, "the section no longer says when and on what its figures were measured"
    day, time, cores, processor, memory = moment.groups()
    tables = re.findall(r"(?:^\|.*\n)+", section, re.M)
    header, *body = _rows(tables[0])
    clients = [(column, name) for column, name in enumerate(header) if column and "/" not in name]
    per_call = {row[0]: {name: _figure(row[column], "µs") for column, name in clients} for row in body}
    cold_header, *cold_body = _rows(tables[1])
    cpu = cold_header.index("CPU")
    cold = {row[0]: _figure(row[cpu], "ms") for row in cold_body}
    return per_call, cold, f"{cores}, {' '.join(processor.split())}, {memory}", f"{day} {time} UTC"


def documented_chart() -> str:
    per_call, cold, machine, measured = documented_run()
    return render_svg(CHART_TITLE, chart_panels(per_call, cold), machine, measured)


def bars(svg: str) -> list[tuple[str, str, str, float]]:
    """(group, bar label, value text, bar length) of every bar, in order, read back from the SVG."""
    root = ET.fromstring(svg)
    found = []
    for group in root.iter(f"{SVG}g"):
        if group.get("class") != "group":
            continue
        (group_label,) = [t.text for t in group.findall(f"{SVG}text") if t.get("class") == "group-label"]
        for bar in group.findall(f"{SVG}g"):
            texts = {t.get("class"): t.text for t in bar.findall(f"{SVG}text")}
            rect = bar.find(f"{SVG}rect")
            assert rect is not None
            found.append(
                (str(group_label), str(texts["label"]), str(texts["value"]), float(rect.get("width", "nan")))
            )
    return found


def test_the_documented_run_is_read_whole() -> None:
    per_call, cold, machine, measured = documented_run()
    assert list(per_call) == [label for _, label in OPERATIONS]
    assert per_call["get (GetItem)"]["kvtable (direct)"] == 216
    assert per_call["page (Query, 100 keys)"]["boto3 client"] == 7852
    assert len(per_call["put (UpdateItem)"]) == 5
    assert cold["kvtable (direct)"] == 302 and cold["pydynox"] == 106 and len(cold) == 6
    assert (machine, measured) == ("2 cores, Intel Xeon Processor, 24 GiB", "2026-11-30 12:16 UTC")


def test_each_bar_carries_its_figure_and_its_length_is_to_scale() -> None:
    per_call, cold, _, _ = documented_run()
    drawn = bars(documented_chart())
    expected = [
        (label, name, value_text(value, "µs"), value)
        for label, row in per_call.items()
        for name, value in row.items()
    ]
    expected += [("fresh process", name, value_text(value, "ms"), value) for name, value in cold.items()]
    assert [bar[:3] for bar in drawn] == [bar[:3] for bar in expected]
    assert ("get (GetItem)", "kvtable (direct)", "216 µs") in [bar[:3] for bar in drawn]
    for group in {bar[0] for bar in drawn}:
        lengths = [
            (bar[3], value) for bar, (*_, value) in zip(drawn, expected, strict=True) if bar[0] == group
        ]
        longest = max(length for length, _ in lengths)
        largest = max(value for _, value in lengths)
        for length, value in lengths:
            assert length == pytest.approx(longest * value / largest, abs=0.01)


def test_the_chart_names_the_machine_and_the_date() -> None:
    root = ET.fromstring(
        render_svg(
            "t",
            [Panel("p", "ms", (Group("g", (("a", 1.0),)),))],
            "2 cores, X, 24 GiB",
            "2026-11-30 12:16 UTC",
        )
    )
    texts = [element.text or "" for element in root.iter(f"{SVG}text")]
    assert "measured 2026-11-30 12:16 UTC on 2 cores, X, 24 GiB; lower is better" in texts


def test_the_same_figures_give_the_same_bytes(tmp_path: Path) -> None:
    panels = chart_panels({"get (GetItem)": {"a": 216.0, "b": 1377.25}}, {"a": 302.0})
    write_chart(tmp_path / "one" / "chart.svg", "t", panels, "m", "d")
    write_chart(tmp_path / "two.svg", "t", panels, "m", "d")
    assert (tmp_path / "one" / "chart.svg").read_bytes() == (tmp_path / "two.svg").read_bytes()
    other = chart_panels({"get (GetItem)": {"a": 216.0, "b": 1378.0}}, {"a": 302.0})
    assert render_svg("t", other, "m", "d") != render_svg("t", panels, "m", "d")


def test_the_committed_chart_is_drawn_from_the_figures_the_page_quotes() -> None:
    drawn = documented_chart()
    if os.environ.get(UPDATE_VARIABLE) == "1":
        COMMITTED.write_bytes(drawn.encode("utf-8"))
    assert COMMITTED.read_bytes() == drawn.encode("utf-8"), (
        f"{COMMITTED.name} differs from the figures docs/benchmarks.md quotes: run this test with {UPDATE_VARIABLE}=1"
    )
    page = PAGE.read_text(encoding="utf-8")
    assert f"]({COMMITTED.name})" in page
