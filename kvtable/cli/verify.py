"""Check the live stack, table and policies against every promise of the template; change nothing.

Exit 0 when every check holds, 4 when any does not (or could not be checked), 2 for
bad input or settings, 1 for a failure on AWS's side.
"""

from __future__ import annotations

import argparse
import sys

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.cli.hints import command_flags
from kvtable.cli.settings import add_environment_arguments, add_template_arguments, resolve_settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--format, --template, --operator-policy and the stack's settings."""
    parser.add_argument("--format", choices=("table", "json"), default="table", help="default: table")
    add_template_arguments(parser)
    parser.add_argument(
        "--operator-policy",
        action="store_true",
        help="print the read-only IAM policy verify needs for this stack, and check nothing",
    )
    parser.add_argument("--poll-seconds", type=kinds.POLL_SECONDS, default=5.0, help=argparse.SUPPRESS)
    add_environment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Verify the stack and print the report; the exit code says whether every check holds."""
    from kvtable.verify.verify import Verifier  # noqa: PLC0415 (boto3's clients and cfn-lint: kept off `kvtable --help`)

    settings = resolve_settings(args)
    if args.operator_policy:
        from kvtable.deploy.cloudformation import stack_location  # noqa: PLC0415 (boto3's clients and cfn-lint: kept off `kvtable --help`)
        from kvtable.iam.operator import operator_policy_json  # noqa: PLC0415 (awacs: the `build` extra)

        location = stack_location(settings.cloudformation(), settings.stack_name, command_flags(settings))
        sys.stdout.write(operator_policy_json(location))
        return 0
    _, template = settings.template(args.template)
    clients = settings.clients()
    verifier = Verifier(
        clients,
        settings.stack_name,
        template,
        out=sys.stderr,
        poll_seconds=args.poll_seconds,
        command_flags=command_flags(settings, args.template),
    )
    report = verifier.run()
    sys.stdout.write(report.as_json() if args.format == "json" else report.as_table())
    return report.exit_code


VERIFY = Command(
    name="verify",
    summary="check the live stack, table and policies against the template (read-only; exit 4 on drift)",
    description=__doc__ or "",
    examples=(
        "kvtable verify --env prod",
        "kvtable verify --stack-name KVDatabaseStack --format json",
        "kvtable verify --env prod --operator-policy",
    ),
    add_arguments=add_arguments,
    run=run,
    extras=("deploy",),
)
