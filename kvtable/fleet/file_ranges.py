"""A file cut into ranges for N loaders, by bytes and aligned to lines: range r is the lines that start in
its bytes [r*size/R, (r+1)*size/R), so every worker computes the same cut from the file's size alone
and every line is in exactly one range. Each range is read in blocks of whole lines."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

RANGES_PER_WORKER = 8  # more ranges than workers: a worker done early takes another
BLOCK_LINES = 1_000  # lines a block: at most this many are loaded again after a kill
BLOCK_BYTES = 4 * 1024 * 1024


def range_count(size: int, workers: int) -> int:
    """How many ranges a file of `size` bytes is cut into for `workers` workers (at least 1, at most a byte each)."""
    return max(1, min(workers * RANGES_PER_WORKER, size))


def range_bounds(size: int, total: int, part: int) -> tuple[int, int]:
    """The bytes [start, end) of range `part` of `total`."""
    return part * size // total, (part + 1) * size // total


def first_line_start(file: BinaryIO, start: int) -> int:
    """The offset of the first line that starts at or after byte `start`."""
    if start == 0:
        return 0
    file.seek(start - 1)
    file.readline()  # the rest of a line begun before `start` (just its newline, when one ends there)
    return file.tell()


def read_block(file: BinaryIO, offset: int, end: int) -> tuple[bytes, int]:
    """The whole lines that start in [offset, end), up to BLOCK_LINES or about BLOCK_BYTES of them, and the
    offset after them (where the next block starts)."""
    file.seek(offset)
    lines: list[bytes] = []
    size = 0
    while offset < end and len(lines) < BLOCK_LINES and size < BLOCK_BYTES:
        line = file.readline()
        if not line:
            break
        lines.append(line)
        size += len(line)
        offset += len(line)
    return b"".join(lines), offset


def lines_before(path: Path, offset: int) -> int:
    """How many lines end before byte `offset` (to name a line by its number in the whole file)."""
    count = 0
    with path.open("rb") as file:
        while offset > 0:
            chunk = file.read(min(offset, 1 << 20))
            if not chunk:
                break
            count += chunk.count(b"\n")
            offset -= len(chunk)
    return count
