"""Reading keys from JSON Lines: one {"key": ..., "value": ...} a line, streamed (memory does not grow
with the file's length); a bad line is an InvalidInputError that names it by its number in the file."""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO

from kvtable.console.text_files import text_encoding_problem
from kvtable.schema.entities import JsonValue
from kvtable.schema.errors import InvalidInputError

FIELDS = ("key", "value")
ENTRY_SHAPE = '{"key": "...", "value": ...}'


class EntryLines:
    """The file line of each entry lately read (skipped ones too) and the reader's failure: enough to say
    where a load stopped, in the file's own line numbers, with memory bounded by `keep` entries."""

    def __init__(self, keep: int) -> None:
        self.recent: deque[int] = deque(maxlen=keep)
        self.read = 0  # entries read, skipped ones included
        self.failure: InvalidInputError | None = None

    def add(self, line: int) -> None:
        """The next entry is on `line`."""
        self.read += 1
        self.recent.append(line)

    def line(self, entry: int) -> int | None:
        """The line of entry number `entry` (from 1, skipped entries included), if still remembered."""
        index = entry - (self.read - len(self.recent)) - 1
        return self.recent[index] if 0 <= index < len(self.recent) else None


def _quoted(text: str) -> str:
    """`text` as JSON, cut short: safe to show on one line whatever the file holds."""
    shown = json.dumps(text)
    return shown if len(shown) <= 60 else shown[:56] + '..."'


def _kind(value: object) -> str:
    """The JSON name of a parsed value's type."""
    names = {dict: "an object", list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number")


def _utf8_lines(lines: IO[bytes], name: str) -> Iterator[tuple[int, str]]:
    """Each line with its number, decoded here so that text that is not UTF-8 names its line (as
    kvtable.console.text_files does for whole files): a UTF-8 byte-order mark is dropped, UTF-16 and UTF-32 refused."""
    for number, line in enumerate(lines, start=1):
        problem = text_encoding_problem(name, line, number, first=number == 1)
        if problem:
            raise InvalidInputError(problem)
        yield number, line.decode("utf-8-sig" if number == 1 else "utf-8")


def _entry(line: str, where: str) -> tuple[str, JsonValue]:
    """The (key, value) of one line; InvalidInputError says what is wrong `where`."""
    try:
        entry = json.loads(line.rstrip("\r\n"), parse_float=Decimal)  # so that a column is on this line
    except json.JSONDecodeError as error:
        raise InvalidInputError(f"{where} is not JSON ({error.msg} at column {error.colno})") from None
    except RecursionError:
        raise InvalidInputError(f"{where} is not JSON this can read (nested too deeply)") from None
    except ValueError:  # an integer past Python's limit on digits
        raise InvalidInputError(f"{where} is not JSON this can read (a number has too many digits)") from None
    if not isinstance(entry, dict):
        raise InvalidInputError(f"{where} is {_kind(entry)}, not an object {ENTRY_SHAPE}")
    unknown = [field for field in entry if field not in FIELDS]
    if unknown:
        names = ", ".join(_quoted(field) for field in unknown[:3]) + (
            f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
        )
        plural = "s" if len(unknown) > 1 else ""
        raise InvalidInputError(
            f'{where} has the unknown field{plural} {names}; an entry has only "key" and "value"'
        )
    if "key" not in entry:
        raise InvalidInputError(f'{where} has no "key" field; an entry is {ENTRY_SHAPE}')
    if not isinstance(entry["key"], str):
        raise InvalidInputError(f'{where}: "key" is {_kind(entry["key"])}, not a string')
    return entry["key"], entry.get("value")


def jsonl_entries(
    lines: IO[bytes], skip: int = 0, *, name: str = "input", positions: EntryLines | None = None
) -> Iterator[tuple[str, JsonValue]]:
    """(key, value) from each non-blank line after the first `skip` entries; InvalidInputError names a bad
    line of `name` by its number in the file. `positions` notes each entry's line and the failure."""
    seen = 0
    try:
        for number, line in _utf8_lines(lines, name):
            if not line.strip():
                continue
            seen += 1
            if positions is not None:
                positions.add(number)
            if seen <= skip:
                continue
            yield _entry(line, f"{name} line {number}")
    except InvalidInputError as error:
        if positions is not None:
            positions.failure = error
        raise


def count_entries(path: Path, name: str = "input") -> int:
    """Non-blank lines of the file: the total for the progress bar's ETA."""
    with path.open("rb") as lines:
        return sum(1 for _, line in _utf8_lines(lines, name) if line.strip())
