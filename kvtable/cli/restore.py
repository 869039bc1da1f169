"""Restore the stack's table to a point in time, into a new table that keeps every promise of the template.

Checks before it changes anything (PITR on, the time inside the restorable window, the
target name valid and free), waits with progress (--no-wait returns at once), re-applies
what a restore does not carry (TTL, PITR, deletion protection, tags, the resource policy),
and ends with verify's table checks. Run it again to continue where it stopped.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.cli.hints import command_flags
from kvtable.cli.settings import Settings, add_environment_arguments, add_template_arguments, resolve_settings
from kvtable.console.errors import UsageError
from kvtable.verify.report import utc_text

if TYPE_CHECKING:
    from kvtable.recovery.restore import CommandTarget


def utc_time(text: str) -> datetime:
    """An ISO 8601 time; without a zone it is taken as UTC."""
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not an ISO 8601 time such as 2026-11-26T09:30:00Z"
        ) from error
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def command_target(settings: Settings, template: Path | None = None) -> CommandTarget:
    """How the run named its stack and where it went (`command_flags`), for the hints it prints."""
    from kvtable.recovery.restore import CommandTarget  # noqa: PLC0415 (boto3's clients and cfn-lint: kept off `kvtable --help`)

    environment = settings.environment
    flags = command_flags(settings, template)
    if environment is None:
        return CommandTarget(flags)
    return CommandTarget(flags, environment.path, environment.parameters.get("TableName"))


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--target-table, --time, --source-table, --no-wait, --resume and the stack's settings."""
    parser.add_argument(
        "--target-table",
        required=True,
        type=kinds.table_name,
        help="the new table's name (must not exist yet, or be this restore's)",
    )
    parser.add_argument(
        "--time",
        type=utc_time,
        help="restore as of this UTC time (ISO 8601); default: the latest restorable time",
    )
    parser.add_argument(
        "--source-table", type=kinds.table_name, help="restore this table (default: the stack's)"
    )
    parser.add_argument(
        "--no-wait", dest="wait", action="store_false", help="start the restore and return at once"
    )
    parser.add_argument(
        "--resume", action="store_true", help="continue an earlier run (the same as running it again)"
    )
    add_template_arguments(parser)
    parser.add_argument("--poll-seconds", type=kinds.POLL_SECONDS, default=20.0, help=argparse.SUPPRESS)
    add_environment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Restore, re-apply and verify; exit 0 when the new table keeps every promise, 4 when not."""
    from kvtable.recovery.restore import RestoreOptions, Restorer  # noqa: PLC0415 (boto3's clients and cfn-lint: kept off `kvtable --help`)

    settings = resolve_settings(args)
    if args.time is not None and args.time > datetime.now(UTC):
        raise UsageError(f"--time {utc_text(args.time, precise=True)} is in the future")
    _, template = settings.template(args.template)
    clients = settings.clients()
    options = RestoreOptions(
        stack_name=settings.stack_name,
        target_table=args.target_table,
        source_table=args.source_table,
        restore_time=args.time,
        wait=args.wait,
        poll_seconds=args.poll_seconds,
        target=command_target(settings, args.template),
    )
    return Restorer(clients, options, template, sys.stdout).run()


RESTORE = Command(
    name="restore",
    summary="restore the stack's table to a point in time into a new table, with every setting re-applied",
    description=__doc__ or "",
    examples=(
        "kvtable restore --env prod --target-table kv-storage-data-restored",
        "kvtable restore --env prod --target-table kv-restored-0930 --time 2026-11-26T09:30:00Z",
        "kvtable restore --env prod --target-table kv-restored-0930 --no-wait",
    ),
    add_arguments=add_arguments,
    run=run,
    extras=("deploy",),
)
