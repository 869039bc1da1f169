"""Bring an existing table under the stack with a CloudFormation IMPORT, in the steps AWS requires.

If the stack exists, its table is replaced by the named one (a restored table, say): the old
table leaves the stack but stays as it is, the named one is imported, then a normal update
applies every setting the template promises. If no stack exists, a new one is created by
importing the table (the one the CDK app built, say), then the update adds the rest.
--plan shows the steps and the differences the update will fix; run it again to continue.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kvtable.cli.command import Command
from kvtable.cli.settings import add_environment_arguments, merged_assignments, resolve_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--table, --plan, --template, --parameter and the stack's settings."""
    parser.add_argument("--table", required=True, help="the existing table to bring under the stack")
    parser.add_argument("--plan", action="store_true", help="show the steps and differences; change nothing")
    parser.add_argument(
        "--template",
        type=Path,
        help="the template to adopt into (default: the file's, or the one kvtable builds)",
    )
    parser.add_argument(
        "--parameter", action="append", default=None, metavar="KEY=VALUE", help="parameter value (repeatable)"
    )
    parser.add_argument("--poll-seconds", type=float, default=2.0, help=argparse.SUPPRESS)
    add_environment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Plan, then take every step left."""
    from kvtable.deploy.parameters import check_stack_name  # noqa: PLC0415
    from kvtable.deploy.templates import load_built_template, load_template  # noqa: PLC0415 (`deploy` extra)
    from kvtable.recovery.adopt import Adopter, AdoptOptions  # noqa: PLC0415

    settings = resolve_settings(args)
    check_stack_name(settings.stack_name)
    environment = settings.environment
    path = args.template or (environment.template if environment else None)
    body, template = load_built_template() if path is None else load_template(path)
    parameters = merged_assignments(
        environment.parameters if environment else None, args.parameter, "parameter"
    )
    clients = settings.clients()
    options = AdoptOptions(
        stack_name=settings.stack_name,
        table_name=args.table,
        plan_only=args.plan,
        parameters=parameters or {},
        template_path=path,
        poll_seconds=args.poll_seconds,
    )
    return Adopter(clients, options, template, body, sys.stdout).run()


ADOPT = Command(
    name="adopt",
    summary="bring an existing table (restored, or built by the CDK app) under the stack with an IMPORT",
    description=__doc__ or "",
    examples=(
        "kvtable adopt --env prod --table kv-storage-data-restored --plan",
        "kvtable adopt --env prod --table kv-storage-data-restored",
        "kvtable adopt --stack-name KVDatabaseStack --table kv-storage-data --plan",
    ),
    add_arguments=add_arguments,
    run=run,
)
