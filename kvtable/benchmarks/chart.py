"""The benchmark's figures as an SVG chart: horizontal grouped bars, each bar labelled with its value,
the machine and the date of the run on the chart. Standard library only; the same figures give the same
bytes, so a committed chart can be checked against the figures it was drawn from."""

from __future__ import annotations

import os
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

# One colour per series, the same series the same colour in every group (Okabe-Ito: safe for colour blindness).
PALETTE = ("#0072B2", "#56B4E9", "#E69F00", "#009E73", "#CC79A7", "#D55E00", "#999999")
WIDTH = 760
LABEL_WIDTH = 190  # the series' names, right-aligned before their bars
BAR_SPACE = 470  # the longest bar of a group; its value is written after it
BAR_HEIGHT = 16
BAR_GAP = 4
GROUP_GAP = 14
MARGIN = 16
FONT = "font-family: Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class Group:
    """One group of bars: what they measure (e.g. "get (GetItem)") and each series' value."""

    label: str
    bars: tuple[tuple[str, float], ...]


@dataclass(frozen=True)
class Panel:
    """Groups of bars under one title, their values in `unit` (e.g. "µs")."""

    title: str
    unit: str
    groups: tuple[Group, ...]


def value_text(value: float, unit: str) -> str:
    """A bar's label: whole numbers with thousands separators, then the unit (e.g. "1,377 µs")."""
    return f"{value:,.0f} {unit}"


def _text(parent: ET.Element, x: float, y: float, content: str, css_class: str, **extra: str) -> None:
    element = ET.SubElement(parent, "text", {"class": css_class, "x": _number(x), "y": _number(y), **extra})
    element.text = content


def _number(value: float) -> str:
    """Coordinates to two decimals at most, so that the bytes do not depend on float noise."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _series_colours(panels: Sequence[Panel]) -> dict[str, str]:
    names = dict.fromkeys(name for panel in panels for group in panel.groups for name, _ in group.bars)
    return {name: PALETTE[number % len(PALETTE)] for number, name in enumerate(names)}


def render_svg(title: str, panels: Sequence[Panel], machine: str, measured: str) -> str:
    """The chart as SVG text. Each group's bars are scaled to the group's largest value, so that a small
    group stays readable beside a large one; the value labels carry the figures."""
    colours = _series_colours(panels)
    root = ET.Element(
        "svg",
        {"xmlns": "http://www.w3.org/2000/svg", "width": str(WIDTH), "role": "img", "aria-label": title},
    )
    ET.SubElement(root, "style").text = (
        f"text {{ {FONT}; font-size: 12px; fill: #222; }} .title {{ font-size: 16px; font-weight: bold; }} "
        ".panel-title, .group-label { font-weight: bold; } .run { fill: #555; } "
        ".label { text-anchor: end; } .value { fill: #222; }"
    )
    ET.SubElement(root, "rect", {"width": "100%", "height": "100%", "fill": "#ffffff"})
    y = MARGIN + 16.0
    _text(root, MARGIN, y, title, "title")
    y += 20
    _text(root, MARGIN, y, f"measured {measured} on {machine}; lower is better", "run")
    for panel in panels:
        y += 30
        section = ET.SubElement(root, "g", {"class": "panel"})
        scale = "; each group to its own scale" if len(panel.groups) > 1 else ""
        _text(section, MARGIN, y, f"{panel.title} ({panel.unit}{scale})", "panel-title")
        for group in panel.groups:
            y += 22
            block = ET.SubElement(section, "g", {"class": "group"})
            _text(block, MARGIN, y, group.label, "group-label")
            y += 6
            largest = max((value for _, value in group.bars), default=0.0)
            for name, value in group.bars:
                length = BAR_SPACE * value / largest if largest > 0 else 0.0
                bar = ET.SubElement(block, "g", {"class": "bar"})
                _text(bar, LABEL_WIDTH - 8, y + BAR_HEIGHT - 4, name, "label")
                shape = {"x": _number(LABEL_WIDTH), "y": _number(y), "width": _number(length)}
                shape.update({"height": str(BAR_HEIGHT), "fill": colours[name]})
                ET.SubElement(bar, "rect", shape)
                _text(
                    bar, LABEL_WIDTH + length + 6, y + BAR_HEIGHT - 4, value_text(value, panel.unit), "value"
                )
                y += BAR_HEIGHT + BAR_GAP
            y += GROUP_GAP - BAR_GAP
    height = y + MARGIN
    root.set("height", _number(height))
    root.set("viewBox", f"0 0 {WIDTH} {_number(height)}")
    ET.indent(root)
    return ET.tostring(root, encoding="unicode") + "\n"


def write_chart(path: Path, title: str, panels: Sequence[Panel], machine: str, measured: str) -> None:
    """Write the chart to `path`, making its folder; the bytes are UTF-8 with Unix line ends."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_svg(title, panels, machine, measured).encode("utf-8"))


def _first_field(path: str, name: str) -> str | None:
    """The value of the first `name: value` line of a /proc file, or None where there is none."""
    try:
        with open(path, encoding="utf-8") as lines:
            for line in lines:
                key, _, value = line.partition(":")
                if key.strip() == name:
                    return value.strip()
    except OSError:
        return None
    return None


def this_machine() -> str:
    """The machine as the docs name it: cores, processor model and memory (e.g. "2 cores, Intel(R) Xeon(R)
    Processor, 24 GiB"); the parts Linux's /proc does not give are left out."""
    parts = [f"{os.cpu_count() or 1} cores"]
    model = _first_field("/proc/cpuinfo", "model name")
    if model:
        parts.append(" ".join(model.split()))
    memory = _first_field("/proc/meminfo", "MemTotal")
    if memory and memory.split()[0].isdigit():
        parts.append(f"{round(int(memory.split()[0]) / 1024**2)} GiB")
    return ", ".join(parts)
