"""Export the stack's table to S3 with DynamoDB's own Export to S3: a full export as of now, or with
--incremental the changes between two times. It reads from point-in-time recovery and uses no read
capacity; AWS runs it (minutes to hours), and this command starts it, follows it with progress, and
prints its manifest: files, items, bytes and the export time. --resume ARN follows a started export.

Read an export back with `kvtable.export.read_export` (docs/bulk.md). Exit 3 when PITR is off (with the
command that turns it on), 2 for bad input, 1 when the export fails on AWS's side.
"""

from __future__ import annotations

import argparse
import shlex
import sys
from datetime import UTC, datetime

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.cli.hints import command_flags
from kvtable.cli.restore import utc_time
from kvtable.cli.settings import Settings, add_environment_arguments, resolve_settings
from kvtable.console.errors import UsageError
from kvtable.exchange.s3_location import parse_s3_url


def export_to(text: str) -> str | datetime:
    """`--to`: the S3 location (`s3://bucket/prefix`), or with --incremental the end of the changes (a time)."""
    if text.startswith("s3://"):
        return kinds.s3_url(text)
    return utc_time(text)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--to, --incremental, --from, --resume and the stack's settings."""
    parser.add_argument(
        "--to",
        dest="to",
        action="append",
        type=export_to,
        default=[],
        metavar="s3://BUCKET/PREFIX | TIME",
        help="where to export (s3://bucket/prefix); with --incremental, given again with a UTC time: "
        "the end of the changes (default: now)",
    )
    parser.add_argument(
        "--incremental",
        action="store_true",
        help="export the changes between --from and --to, not the whole table",
    )
    parser.add_argument(
        "--from", dest="from_time", type=utc_time, help="with --incremental: the changes after this UTC time"
    )
    parser.add_argument(
        "--resume", type=kinds.export_arn, metavar="ARN", help="follow an export already started (its ARN)"
    )
    parser.add_argument("--poll-seconds", type=kinds.POLL_SECONDS, default=20.0, help=argparse.SUPPRESS)
    add_environment_arguments(parser)


def _destination(args: argparse.Namespace) -> tuple[str | None, datetime | None]:
    """The S3 URL and the incremental end given with --to; UsageError for a combination that makes no sense."""
    urls = [value for value in args.to if isinstance(value, str)]
    times = [value for value in args.to if isinstance(value, datetime)]
    if len(urls) > 1 or len(times) > 1:
        raise UsageError("give --to once with s3://bucket/prefix and, with --incremental, once with a time")
    if not urls and args.resume is None:
        raise UsageError("give --to s3://bucket/prefix: where to export")
    if (times or args.from_time) and not args.incremental:
        raise UsageError("--from and a --to time go with --incremental")
    if args.incremental and args.from_time is None and args.resume is None:
        raise UsageError("--incremental needs --from: the start of the changes to export")
    return (urls[0] if urls else None), (times[0] if times else None)


def _stack_table(settings: Settings) -> str:
    from kvtable.cfn import names  # noqa: PLC0415 (boto3's clients and cfn-lint: kept off `kvtable --help`)
    from kvtable.deploy.cloudformation import existing_stack, physical_ids  # noqa: PLC0415 (boto3's clients and cfn-lint: kept off `kvtable --help`)

    cf = settings.cloudformation()
    stack = existing_stack(cf, settings.stack_name, command_flags(settings))
    table = physical_ids(cf, stack.name).get(names.TABLE_RESOURCE) or stack.parameters.get(
        names.TABLE_NAME_PARAMETER
    )
    if not table:
        raise UsageError(f"stack {stack.name} holds no table to export")
    return table


def run(args: argparse.Namespace) -> int:
    """Start (or --resume) the export, follow it, print its manifest; 0 when it COMPLETED."""
    from kvtable.exchange.read import read_manifest  # noqa: PLC0415 (the contract's modules (gzip, decimal, ...): kept off `kvtable --help`)
    from kvtable.transfer import export_job  # noqa: PLC0415 (boto3's clients and cfn-lint: kept off `kvtable --help`)

    url, end = _destination(args)
    settings = resolve_settings(args)
    ddb = settings.dynamodb()
    arn = args.resume
    if arn is None:
        assert url is not None  # _destination refused a run without one
        table = _stack_table(settings)
        table_arn, earliest = export_job.exportable_table(ddb, table)
        window = None
        if args.incremental:
            now = datetime.now(UTC)
            window = export_job.ExportWindow(args.from_time, end or now)
            export_job.check_window(window, earliest, now)
        started = export_job.start_export(ddb, table_arn, parse_s3_url(url), window)
        arn = started["ExportArn"]
        again = shlex.join(["kvtable", "export", *shlex.split(command_flags(settings)), "--resume", arn])
        print(f"export of {table} to {url} started: {arn}", flush=True)
        print(f"  if this stops, the export goes on in AWS; follow it again with: {again}", flush=True)
    description = export_job.follow_export(ddb, arn, sys.stderr, args.poll_seconds)
    s3 = settings.session().client("s3", endpoint_url=settings.endpoint_url)
    manifest = read_manifest(export_job.manifest_url(description), s3=s3)
    print("\n".join(export_job.report(manifest)))
    return 0


EXPORT = Command(
    name="export",
    summary="export the stack's table to S3 (DynamoDB's Export to S3: full, or --incremental), with its manifest",
    description=__doc__ or "",
    examples=(
        "kvtable export --env prod --to s3://my-exports/kvtable",
        "kvtable export --env prod --to s3://my-exports/kvtable --incremental --from 2026-12-07T00:00:00Z",
        "kvtable export --env prod --resume arn:aws:dynamodb:us-east-1:123456789012:table/kv-storage-data/export/01733572800000-a1b2c3d4",
    ),
    add_arguments=add_arguments,
    run=run,
    extras=("deploy",),
)
