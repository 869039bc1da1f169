"""Bulk-load keys into a namespace from a JSON Lines file: one {"key": ..., "value": ...} a line.

Streams the file (kvtable.contract.jsonl reads it), writes 25 keys a request with
--workers threads, and shows a progress bar with rate and ETA. A bad line or a failed write
stops the load with the file's line number, what is written, and the command that continues
it (with --skip the number of entries written; writing an entry twice is harmless).
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.cli.environments import DEFAULT_CONFIG_DIR
from kvtable.cli.missing_table import missing_table_error, table_source
from kvtable.cli.settings import add_environment_arguments, add_table_arguments, resolve_settings
from kvtable.cli.worker_flags import add_worker_arguments, lease_seconds, worker_share
from kvtable.contract.jsonl import EntryLines, count_entries, jsonl_entries
from kvtable.schema import key_design as kd
from kvtable.schema.errors import InvalidEntryError, InvalidInputError, KvTableError, PartialWriteError
from kvtable.schema.limits import BATCH_WRITE_LIMIT, MAX_WORKERS
from kvtable.schema.table_wording import table_not_found

if TYPE_CHECKING:
    from kvtable.contract.store import KvTable
    from kvtable.fleet.shares import WorkerShare

STDIN = "-"


def _printable(text: str) -> str:
    """`text` with control characters and line breaks escaped (`\\n`), so that an error stays one line
    whatever a file's keys, values or name hold."""
    return "".join(
        char.encode("unicode_escape").decode("ascii")
        if unicodedata.category(char) in ("Cc", "Zl", "Zp")
        else char
        for char in text
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE, --namespace, --workers, --ttl, --skip, the table and the AWS settings."""
    parser.add_argument(
        "file",
        metavar="FILE",
        type=kinds.input_file_or_stdin,
        help='a JSON Lines file of {"key", "value"} objects, or - for stdin',
    )
    parser.add_argument(
        "--namespace", required=True, type=kinds.namespace_name, help="the namespace to load into"
    )
    parser.add_argument(
        "--workers",
        type=kinds.Count(1, MAX_WORKERS),
        default=4,
        help=f"parallel writers, 1 to {MAX_WORKERS} (default 4; see docs/data-contract.md)",
    )
    parser.add_argument(
        "--ttl", type=kinds.EPOCH_SECONDS, help="expire every loaded key at this time (epoch seconds)"
    )
    parser.add_argument(
        "--skip",
        type=kinds.Count(0, 10**15),
        default=0,
        help="skip this many entries first: resume where an earlier load stopped",
    )
    add_table_arguments(parser, "the table", "the index", from_file=True)
    parser.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
    add_worker_arguments(parser, "file's line ranges")
    add_environment_arguments(parser, stack=False)


def run(args: argparse.Namespace) -> int:
    """Load the file; 0 when every entry is written."""
    from kvtable.console.progress import ProgressBar  # noqa: PLC0415 (3 ms of `kvtable --help`, measured 2026-12-07)
    from kvtable.contract.store import RECOMMENDED_CLIENT_CONFIG, KvTable  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    share = worker_share(args)
    if share is not None and (args.file == STDIN or args.skip):
        raise InvalidInputError("--worker loads a file by ranges: give a file, not -, and no --skip")
    settings = resolve_settings(args)
    environment_table = settings.environment.parameters.get("TableName") if settings.environment else None
    table_name = args.table_name or environment_table or kd.DEFAULT_TABLE_NAME
    path = None if args.file == STDIN else Path(args.file)
    name = "stdin" if path is None else _printable(args.file)
    total = None if path is None else max(count_entries(path, name) - args.skip, 0)
    client = settings.session(dynamodb_only=True).client(
        "dynamodb", endpoint_url=settings.endpoint_url, config=RECOMMENDED_CLIENT_CONFIG
    )
    store = KvTable(client, table_name, args.gsi_name)
    if share is not None and path is not None:
        return _run_shared(args, store, path, name, share=share, environment_table=environment_table)
    bar = ProgressBar(sys.stderr, total, time.monotonic())
    drawn = False

    def show(done: int) -> None:
        nonlocal drawn
        if not args.quiet:
            bar.update(done, time.monotonic())
            drawn = True

    # The writes in flight trail the reader by at most two chunks a worker: remember that many lines.
    positions = EntryLines((2 * MAX_WORKERS + 2) * BATCH_WRITE_LIMIT)
    try:
        lines = sys.stdin.buffer if path is None else path.open("rb")
    except OSError as error:
        raise InvalidInputError(f"{name}: cannot read it ({error.strerror})") from None
    try:
        written = store.load_keys(
            args.namespace,
            jsonl_entries(lines, args.skip, name=name, positions=positions),
            args.ttl,
            workers=args.workers,
            on_progress=show,
        )
    except (InvalidEntryError, PartialWriteError) as error:
        if drawn and sys.stderr.isatty():
            sys.stderr.write("\n")  # end the bar's line, so the error is a line of its own
        missing = table_not_found(error)
        if missing is not None:
            raise missing_table_error(missing, table_source(args.table_name, environment_table)) from error
        raise _stopped(args, name, positions, error) from error
    finally:
        if path is not None:
            lines.close()
    if not args.quiet:
        bar.finish(written, time.monotonic())
    print(f"loaded {written:,} entries into namespace {args.namespace!r} of table {table_name}")
    return 0


def _run_shared(
    args: argparse.Namespace,
    store: KvTable,
    path: Path,
    name: str,
    *,
    share: WorkerShare,
    environment_table: str | None,
) -> int:
    """This worker's share of the file's line ranges, then any range a dead worker left; 0 once all are loaded."""
    from kvtable.fleet.shared_load import SharedLoad  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    load = SharedLoad(
        store,
        path,
        args.namespace,
        share,
        ttl=args.ttl,
        writers=args.workers,
        lease_seconds=lease_seconds(args),
        name=name,
    )
    try:
        result = load.run()
    except KvTableError as error:
        missing = table_not_found(error)
        if missing is not None:
            raise missing_table_error(missing, table_source(args.table_name, environment_table)) from error
        raise
    print(
        f"worker {share.label}: loaded {result.entries:,} entries in {result.ranges} range(s), "
        f"{result.taken_over} taken over from workers whose lease ended; the file: {result.total_entries:,} "
        f"entries in its {result.total_ranges} ranges, all loaded into namespace {args.namespace!r} of table "
        f"{store.table_name}"
    )
    return 0


def _stopped(
    args: argparse.Namespace, name: str, positions: EntryLines, error: InvalidEntryError | PartialWriteError
) -> InvalidEntryError | PartialWriteError:
    """The one line for a load that stopped: the file's line at fault, what is written, the command to go on."""
    done = args.skip + error.written  # entries from the start of the file, skipped ones included
    last = positions.line(done)
    lines = "" if last is None else " (line 1)" if last == 1 else f" (lines 1 to {last})"
    if done == 0:
        written = "nothing is written"
    elif done == 1:
        written = f"the first entry{lines} is written"
    else:
        written = f"the first {done} entries{lines} are written"
    command = continue_command(args, done)
    if isinstance(error, PartialWriteError):
        # The contract's own "nothing was written" is about the one request; the line says once, below,
        # what the whole load has written.
        cause = str(error.__cause__ or error).removesuffix("; nothing was written")
        failed = ""
        if error.failed is not None:
            first, end = (positions.line(args.skip + entry) for entry in error.failed)
            failed = f" lines {first} to {end} of" if first is not None and end is not None else ""
        return PartialWriteError(
            _printable(f"writing{failed} {name} failed: {cause}; {written}; to continue: {command}"), done
        )
    if error.entry is not None:
        line = positions.line(args.skip + error.entry)
        where = f"entry {args.skip + error.entry}" if line is None else f"line {line}"
        head = f"{name} {where}: {error.__cause__ or error}"
    else:
        head = str(positions.failure or error)
    return InvalidEntryError(
        _printable(f"{head}; {written}; after fixing it, {'continue' if done else 'run'}: {command}"), done
    )


def continue_command(args: argparse.Namespace, skip: int) -> str:
    """The `kvtable load` command that loads the file again after its first `skip` entries."""

    words = ["kvtable", "load"]
    if args.env:
        words += ["--env", str(args.env)]
        if Path(args.config_dir) != DEFAULT_CONFIG_DIR:
            words += ["--config-dir", str(args.config_dir)]
    for flag, value in [
        ("--profile", args.profile),
        ("--region", args.region),
        ("--endpoint-url", args.endpoint_url),
        ("--table-name", args.table_name),
        ("--gsi-name", None if args.gsi_name == kd.DEFAULT_GSI_NAME else args.gsi_name),
        ("--namespace", args.namespace),
        ("--workers", None if args.workers == 4 else args.workers),
        ("--ttl", args.ttl),
        ("--skip", skip or None),
    ]:
        if value is not None:
            # A value that starts with '-' would be read as a flag: it goes in one word with its flag.
            text = str(value)
            words += [f"{flag}={text}"] if text.startswith("-") else [flag, text]
    if args.quiet:
        words.append("--quiet")
    if args.file.startswith("-") and args.file != STDIN:
        words.append("--")
    words.append(args.file)
    return shlex.join(words) + (" (with the same input on stdin)" if args.file == STDIN else "")


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
