"""Rows of text in aligned columns, each as wide as its widest cell, so a long ARN or logical id
moves the next column along instead of breaking the alignment."""

from __future__ import annotations

from collections.abc import Sequence


def aligned(rows: Sequence[Sequence[str]], indent: str = "", gap: int = 2) -> list[str]:
    """One line a row: every column but the last padded to its widest cell, `gap` spaces between
    columns, `indent` first, and no trailing spaces."""
    widths: list[int] = []
    for row in rows:
        for column, cell in enumerate(row[:-1]):
            if column == len(widths):
                widths.append(0)
            widths[column] = max(widths[column], len(cell))
    separator = " " * gap
    lines = []
    for row in rows:
        cells = [cell.ljust(widths[column]) for column, cell in enumerate(row[:-1])] + list(row[-1:])
        lines.append((indent + separator.join(cells)).rstrip())
    return lines
