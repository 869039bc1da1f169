"""Bring an existing table under the stack with a CloudFormation IMPORT, in the steps AWS requires.

If the stack exists, its table is replaced by the named one (a restored table, say): the old
table leaves the stack but stays as it is, the named one is imported, then a normal update
applies every setting the template promises. If no stack exists, a new one is created by
importing the table (the one the CDK app built, say), then the update adds the rest.
With --as-global-table, the stack's own table becomes a global table in --regions.
--plan shows the steps and the differences the update will fix; run it again to continue.
"""

from __future__ import annotations

import argparse
import sys

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.cli.hints import command_flags
from kvtable.cli.restore import command_target
from kvtable.cli.settings import (
    Settings,
    add_environment_arguments,
    add_template_arguments,
    merged_assignments,
    resolve_settings,
)
from kvtable.console.errors import UsageError

# The global template's replica slots (kvtable.builders.global_database.MAX_REPLICAS, which needs troposphere).
MAX_REPLICAS = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--table, --plan, --template, --parameter and the stack's settings."""
    parser.add_argument("--table", type=kinds.table_name, help="the existing table to bring under the stack")
    parser.add_argument(
        "--as-global-table",
        action="store_true",
        help="instead: turn the stack's own table into a global table in --regions, without copying data",
    )
    parser.add_argument(
        "--regions",
        type=kinds.region_list,
        help="with --as-global-table: every region, comma-separated, the stack's own among them",
    )
    parser.add_argument("--plan", action="store_true", help="show the steps and differences; change nothing")
    add_template_arguments(parser, parameters=True)
    parser.add_argument("--poll-seconds", type=kinds.POLL_SECONDS, default=2.0, help=argparse.SUPPRESS)
    add_environment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Plan, then take every step left."""
    from kvtable.recovery.adopt import Adopter, AdoptOptions  # noqa: PLC0415 (boto3's clients and cfn-lint: kept off `kvtable --help`)

    settings = resolve_settings(args)
    if args.as_global_table:
        return _globalize(args, settings)
    if not args.table:
        raise UsageError("give --table (the table to adopt), or --as-global-table with --regions")
    environment = settings.environment
    body, template = settings.template(args.template)
    parameters = merged_assignments(
        environment.parameters if environment else None, args.parameter, "parameter"
    )
    clients = settings.clients()
    options = AdoptOptions(
        stack_name=settings.stack_name,
        table_name=args.table,
        plan_only=args.plan,
        parameters=parameters or {},
        poll_seconds=args.poll_seconds,
        target=command_target(settings, args.template),
    )
    return Adopter(clients, options, template, body, sys.stdout).run()


def _globalize(args: argparse.Namespace, settings: Settings) -> int:
    from kvtable.builders.render import load_built_template  # noqa: PLC0415 (`deploy` extra)
    from kvtable.recovery.globalize import GlobalizeOptions, Globalizer  # noqa: PLC0415 (boto3's clients and cfn-lint: kept off `kvtable --help`)

    if not args.regions:
        raise UsageError("--as-global-table needs --regions, e.g. --regions us-east-1,eu-west-1")
    regions: tuple[str, ...] = args.regions
    if len(regions) > MAX_REPLICAS:
        raise UsageError(f"--regions: at most {MAX_REPLICAS} regions (the global template's replica slots)")
    global_body, global_template = load_built_template("global-database")
    options = GlobalizeOptions(
        settings.stack_name,
        regions,
        plan_only=args.plan,
        poll_seconds=args.poll_seconds,
        command_flags=command_flags(settings),
    )
    globalizer = Globalizer(
        settings.cloudformation(),
        settings.dynamodb(),
        options,
        global_template,
        sys.stdout,
        kms=settings.clients().kms,
        global_body=global_body,
    )
    return globalizer.run()


ADOPT = Command(
    name="adopt",
    summary="bring an existing table (restored, or built by the CDK app) under the stack with an IMPORT",
    description=__doc__ or "",
    examples=(
        "kvtable adopt --env prod --table kv-storage-data-restored --plan",
        "kvtable adopt --env prod --table kv-storage-data-restored",
        "kvtable adopt --stack-name KVDatabaseStack --table kv-storage-data --plan",
        "kvtable adopt --env prod --as-global-table --regions us-east-1,eu-west-1 --plan",
    ),
    add_arguments=add_arguments,
    run=run,
    extras=("deploy",),
)
