"""Bulk-load keys into a namespace from a JSON Lines file: one {"key": ..., "value": ...} a line.

Streams the file (memory does not grow with its length), writes 25 keys a request with
--workers threads, and shows a progress bar with rate and ETA. A bad line or a failed write
stops the load and says how many entries from the start are written: run it again with
--skip that number to resume (writing an entry twice is harmless).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import IO

from kvtable import key_design as kd
from kvtable.cli.command import Command
from kvtable.cli.settings import add_environment_arguments, resolve_settings
from kvtable.entities import JsonValue
from kvtable.errors import InvalidEntryError, InvalidInputError, PartialWriteError

STDIN = "-"


def _utf8_lines(lines: IO[bytes]) -> Iterator[tuple[int, str]]:
    """Each line with its number, decoded here so that text that is not UTF-8 names its line."""
    for number, raw in enumerate(lines, start=1):
        try:
            yield number, raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise InvalidInputError(f"line {number} is not UTF-8 text ({error.reason})") from None


def jsonl_entries(lines: IO[bytes], skip: int = 0) -> Iterator[tuple[str, JsonValue]]:
    """(key, value) from each non-blank line after the first `skip` entries; InvalidInputError names a bad line."""
    seen = 0
    for number, line in _utf8_lines(lines):
        if not line.strip():
            continue
        seen += 1
        if seen <= skip:
            continue
        try:
            entry = json.loads(line, parse_float=Decimal)
        except (json.JSONDecodeError, RecursionError) as error:
            raise InvalidInputError(f"line {number} is not JSON ({error})") from None
        if not isinstance(entry, dict) or set(entry) - {"key", "value"} or "key" not in entry:
            raise InvalidInputError(f'line {number} must be an object {{"key": "...", "value": ...}}')
        if not isinstance(entry["key"], str):
            raise InvalidInputError(f"line {number}: the key must be a string")
        yield entry["key"], entry.get("value")


def count_entries(path: Path) -> int:
    """Non-blank lines of the file: the total for the progress bar's ETA."""
    with path.open("rb") as lines:
        return sum(1 for _, line in _utf8_lines(lines) if line.strip())


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE, --namespace, --workers, --ttl, --skip, the table and the AWS settings."""
    parser.add_argument(
        "file", metavar="FILE", help='a JSON Lines file of {"key", "value"} objects, or - for stdin'
    )
    parser.add_argument("--namespace", required=True, help="the namespace to load into")
    parser.add_argument(
        "--workers",
        type=int,
        default=4,
        help="parallel writers, 1 to 16 (default 4; see docs/data-contract.md)",
    )
    parser.add_argument("--ttl", type=int, help="expire every loaded key at this time (epoch seconds)")
    parser.add_argument(
        "--skip",
        type=int,
        default=0,
        help="skip this many entries first: resume where an earlier load stopped",
    )
    parser.add_argument(
        "--table-name", help=f"the table (default: the --env file's TableName, or {kd.DEFAULT_TABLE_NAME})"
    )
    parser.add_argument("--gsi-name", default=kd.DEFAULT_GSI_NAME, help="the index (default: %(default)s)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
    add_environment_arguments(parser, stack=False)


def run(args: argparse.Namespace) -> int:
    """Load the file; 0 when every entry is written."""
    from kvtable.progress import ProgressBar  # noqa: PLC0415
    from kvtable.store import RECOMMENDED_CLIENT_CONFIG, KvTable  # noqa: PLC0415

    if args.skip < 0:
        raise InvalidInputError(f"--skip must be 0 or more, got {args.skip}")
    settings = resolve_settings(args)
    environment_table = settings.environment.parameters.get("TableName") if settings.environment else None
    table_name = args.table_name or environment_table or kd.DEFAULT_TABLE_NAME
    path = None if args.file == STDIN else Path(args.file)
    if path is not None and not path.is_file():
        raise InvalidInputError(f"{args.file}: no such file")
    total = None if path is None else max(count_entries(path) - args.skip, 0)
    client = settings.session().client(
        "dynamodb", endpoint_url=settings.endpoint_url, config=RECOMMENDED_CLIENT_CONFIG
    )
    store = KvTable(client, table_name, args.gsi_name)
    bar = ProgressBar(sys.stderr, total, time.monotonic())

    def show(done: int) -> None:
        if not args.quiet:
            bar.update(done, time.monotonic())

    lines = sys.stdin.buffer if path is None else path.open("rb")
    try:
        written = store.load_keys(
            args.namespace,
            jsonl_entries(lines, args.skip),
            args.ttl,
            workers=args.workers,
            on_progress=show,
        )
    except (InvalidEntryError, PartialWriteError) as error:
        resume = args.skip + error.written
        raise type(error)(f"{error}; to resume, run again with --skip {resume}", resume) from error
    finally:
        if path is not None:
            lines.close()
    if not args.quiet:
        bar.finish(written, time.monotonic())
    print(f"loaded {written:,} entries into namespace {args.namespace!r} of table {table_name}")
    return 0


LOAD = Command(
    name="load",
    summary="bulk-load keys into a namespace from a JSON Lines file, with a progress bar",
    description=__doc__ or "",
    examples=(
        "kvtable load --namespace myapp keys.jsonl",
        "kvtable load --env prod --namespace myapp --workers 8 keys.jsonl",
        "kvtable load --namespace myapp --skip 125000 keys.jsonl",
        "kvtable load --namespace myapp --quiet -",
    ),
    add_arguments=add_arguments,
    run=run,
)
