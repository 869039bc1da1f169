"""Import keys into a NEW table with DynamoDB's own Import from S3: the same JSON Lines input as
`kvtable load`, each key built as `put_key` would write it (version, writeId, timestamps), staged in S3
as DynamoDB JSON, gzip, then ImportTable with the template's key schema, GSI and billing mode, followed
with progress. It uses no write capacity and is billed by the source's size.

Refused before anything starts (exit 3): a table that exists, objects already under the staging prefix,
a source over the documented limits (50,000 objects a job; 15 TB in us-east-1, us-west-2 and eu-west-1,
1 TB elsewhere). It ends with the `kvtable adopt` command that brings the table under the stack, whose
update sets what an import cannot (TTL, PITR, deletion protection, the resource policy, tags). See docs/bulk.md.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.cli.hints import command_flags
from kvtable.cli.settings import add_environment_arguments, resolve_settings
from kvtable.console.errors import UsageError
from kvtable.exchange.s3_location import S3Location, parse_s3_url
from kvtable.schema import key_design as kd
from kvtable.schema.errors import InvalidEntryError, InvalidInputError

if TYPE_CHECKING:
    from kvtable.exchange.staging import StagedObject
    from kvtable.transfer.limits import SourceSize


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """FILE, --table, --namespace, --staging, --ttl, --resume and the stack's settings."""
    parser.add_argument(
        "file", metavar="FILE", type=kinds.input_file, help='a JSON Lines file of {"key", "value"} objects'
    )
    parser.add_argument("--table", required=True, type=kinds.table_name, help="the NEW table's name")
    parser.add_argument("--namespace", required=True, type=kinds.namespace_name, help="the keys' namespace")
    parser.add_argument(
        "--staging",
        required=True,
        type=kinds.s3_url,
        metavar="s3://BUCKET/PREFIX",
        help="where the source is staged (under PREFIX/TABLE/, which must be empty)",
    )
    parser.add_argument(
        "--ttl", type=kinds.EPOCH_SECONDS, help="expire every imported key at this time (epoch seconds)"
    )
    parser.add_argument(
        "--resume", type=kinds.import_arn, metavar="ARN", help="follow an import already started (its ARN)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar, only the summary")
    parser.add_argument("--poll-seconds", type=kinds.POLL_SECONDS, default=20.0, help=argparse.SUPPRESS)
    add_environment_arguments(parser)


def _entries(path: Path, namespace: str, timestamp: str, expires: int | None) -> Iterator[StagedObject]:
    """The staged objects of the file, built afresh (the file is read once for each pass)."""
    from kvtable.contract.jsonl import EntryLines, jsonl_entries  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.exchange.staging import staged_objects  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    positions = EntryLines(2)
    with path.open("rb") as lines:
        try:
            yield from staged_objects(
                jsonl_entries(lines, name=str(path), positions=positions), namespace, timestamp, expires
            )
        except InvalidEntryError as error:
            line = positions.line(error.entry or 0)
            where = f"line {line}" if line is not None else f"entry {error.entry}"
            raise InvalidInputError(f"{path} {where}: {error}; nothing was uploaded") from None


def _price_line(raw_bytes: int, args: argparse.Namespace) -> str:
    """What Import from S3 bills for this source, at the shipped price table's [bulk] price."""
    from kvtable.cost.bulk import GB  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.cost.inputs import load_prices  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    prices = load_prices()
    per_gb = prices("bulk", "import_from_s3_per_gb")
    usd = raw_bytes / GB * per_gb
    shown = f"{usd:,.2f} USD" if usd >= 0.01 else "under 0.01 USD"
    return (
        f"Import from S3 bills this source about {shown} ({per_gb} USD a GB, "
        f"{prices.region}, {prices.bulk_date}); compare with kvtable load: kvtable cost --bulk {shlex.quote(str(args.file))} "
        f"--namespace {shlex.quote(args.namespace)}"
    )


def _expires(ttl: int | None) -> int | None:
    if ttl is not None and ttl <= time.time():
        raise UsageError(f"--ttl {ttl} is not in the future (now is {int(time.time())}); give epoch seconds")
    return ttl


def _stage(args: argparse.Namespace, ddb: Any, s3: Any, staging: S3Location) -> SourceSize:
    """Build the source (every line checked before any call), refuse what must be refused, then upload it."""
    from kvtable.console.progress import ProgressBar  # noqa: PLC0415 (3 ms of `kvtable --help`, measured 2026-12-07)
    from kvtable.contract.clock import iso_timestamp, utc_now  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.transfer import import_job, limits  # noqa: PLC0415 (boto3's clients and cfn-lint: kept off `kvtable --help`)

    path, expires = Path(args.file), _expires(args.ttl)
    timestamp = iso_timestamp(utc_now())  # one moment for every key, as a load's
    size = import_job.measure(_entries(path, args.namespace, timestamp, expires))
    limits.check_limits(size, ddb.meta.region_name)
    import_job.check_new_table(ddb, args.table)
    import_job.check_staging_empty(s3, staging)
    print(
        f"source: {size.items:,} keys in {size.objects:,} object{'' if size.objects == 1 else 's'}, {size.stored_bytes:,} bytes gzip, "
        f"{size.raw_bytes:,} bytes of DynamoDB JSON (what Import from S3 bills); staging in {staging}/",
        flush=True,
    )
    print(_price_line(size.raw_bytes, args), flush=True)
    bar = ProgressBar(sys.stderr, size.items, time.monotonic(), what="keys staged")
    import_job.upload(
        s3,
        staging,
        _entries(path, args.namespace, timestamp, expires),
        lambda done: None if args.quiet else bar.update(done, time.monotonic()),
    )
    if not args.quiet:
        bar.finish(size.items, time.monotonic())
    return size


def _resume_command(args: argparse.Namespace, flags: str, arn: str) -> str:
    words = ["kvtable", "import", str(args.file), "--table", args.table, "--namespace", args.namespace]
    return shlex.join([*words, "--staging", args.staging, *shlex.split(flags), "--resume", arn])


def run(args: argparse.Namespace) -> int:
    """Check, stage, import and follow; 0 when the import COMPLETED."""
    from kvtable.builders.table_definition import create_table_request  # noqa: PLC0415 (troposphere and awacs, the `build` extra: only when building)
    from kvtable.transfer import import_job  # noqa: PLC0415 (boto3's clients and cfn-lint: kept off `kvtable --help`)

    settings = resolve_settings(args)
    session = settings.session()
    ddb = session.client("dynamodb", endpoint_url=settings.endpoint_url)
    s3 = session.client("s3", endpoint_url=settings.endpoint_url)
    staging = parse_s3_url(args.staging).under(args.table)
    total = None
    arn = args.resume
    if arn is None:
        total = _stage(args, ddb, s3, staging).items
        environment = settings.environment.parameters if settings.environment else {}
        gsi = environment.get("GsiName") or kd.DEFAULT_GSI_NAME
        parameters = import_job.table_creation_parameters(create_table_request(args.table, gsi))
        arn = import_job.start_import(ddb, staging, parameters)["ImportArn"]
        print(f"import into the new table {args.table} started: {arn}", flush=True)
        print(
            "  if this stops, the import goes on in AWS; follow it again with: "
            + _resume_command(args, command_flags(settings), arn),
            flush=True,
        )
    follower = import_job.ImportFollower(ddb, sys.stderr, args.poll_seconds, quiet=args.quiet)
    description = follower.follow(arn, total)
    print(
        f"imported {int(description.get('ImportedItemCount') or 0):,} items into {args.table} "
        f"({int(description.get('ErrorCount') or 0):,} in error, "
        f"{int(description.get('ProcessedSizeBytes') or 0):,} bytes processed)"
    )
    print(
        f"Next: bring it under the stack, which sets what an import cannot (TTL, PITR, deletion protection, "
        f"the resource policy, tags): kvtable adopt {command_flags(settings)} --table {args.table}"
    )
    return 0


IMPORT = Command(
    name="import",
    summary="import keys from a JSON Lines file into a NEW table with DynamoDB's Import from S3",
    description=__doc__ or "",
    examples=(
        "kvtable import keys.jsonl --env prod --table kv-storage-data-new --namespace myapp "
        "--staging s3://my-staging/kvtable",
        "kvtable import keys.jsonl --env prod --table kv-storage-data-new --namespace myapp "
        "--staging s3://my-staging/kvtable --resume arn:aws:dynamodb:us-east-1:123456789012:table/kv-storage-data-new/import/01733572800000-a1b2c3d4",
    ),
    add_arguments=add_arguments,
    run=run,
    extras=("build",),
)
