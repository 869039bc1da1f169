"""Deploy a kvtable stack with a change set, refusing anything that would replace or remove the table.

Without --template it deploys the database template this kvtable builds (the same
bytes as templates/database.yaml). `kvtable plan` is `kvtable deploy --plan`.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace

from kvtable.aws.names import check_tags
from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.cli.hints import command_flags
from kvtable.cli.settings import (
    add_environment_arguments,
    add_template_arguments,
    merged_assignments,
    print_settings,
    resolve_settings,
)
from kvtable.deploy.options import ALLOW_REPLACEMENT_FLAG, DeployOptions


def add_arguments(parser: argparse.ArgumentParser, planning: bool = False) -> None:
    """The deploy's flags; `plan` (`planning`) takes the template, parameter, tag and stack flags, and
    --stepwise, and none of the flags that only change how a deploy runs."""
    add_template_arguments(parser, parameters=True)
    parser.add_argument(
        "--tag",
        action="append",
        type=kinds.assignment,
        default=None,
        metavar="KEY=VALUE",
        help="stack tag, over the file's (repeatable)",
    )
    if planning:
        parser.add_argument(
            "--stepwise",
            action="store_true",
            help="show the updates a deploy with --stepwise would run: several GSI (or replica) changes, one "
            "update each",
        )
        parser.set_defaults(
            plan=True,
            allow_table_replacement=False,
            wait_for_backfill=True,
            poll_seconds=2.0,
            index_poll_seconds=15.0,
        )
        add_environment_arguments(parser)
        return
    parser.add_argument(
        "--plan", action="store_true", help="show what would change and be replaced; change nothing"
    )
    parser.add_argument(
        ALLOW_REPLACEMENT_FLAG,
        dest="allow_table_replacement",
        action="store_true",
        help="deploy even if the table is replaced or removed (a new, EMPTY table; the old one is retained)",
    )
    parser.add_argument(
        "--stepwise",
        action="store_true",
        help="run several GSI creations and deletions as one update each, waiting for each index; "
        "run it again after an interruption to continue",
    )
    parser.add_argument(
        "--no-wait-for-backfill",
        dest="wait_for_backfill",
        action="store_false",
        help="say done when CloudFormation does, without waiting for new indexes to finish backfilling",
    )
    parser.add_argument("--poll-seconds", type=kinds.POLL_SECONDS, default=2.0, help=argparse.SUPPRESS)
    parser.add_argument("--index-poll-seconds", type=kinds.POLL_SECONDS, default=15.0, help=argparse.SUPPRESS)
    add_environment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Plan or deploy with the merged settings; every input is checked before the first call."""
    from kvtable.deploy.deploy import Deployer  # noqa: PLC0415 (the `deploy` extra)

    settings = resolve_settings(args)
    environment = settings.environment
    parameters = merged_assignments(
        environment.parameters if environment else None, args.parameter, "parameter"
    )
    tags = merged_assignments(environment.tags if environment else None, args.tag, "tag")
    options = DeployOptions(
        stack_name=settings.stack_name,
        parameters=parameters or {},
        tags=tags,
        plan_only=args.plan,
        allow_table_replacement=args.allow_table_replacement,
        poll_seconds=args.poll_seconds,
        stepwise=args.stepwise,
        wait_for_backfill=args.wait_for_backfill,
        index_poll_seconds=args.index_poll_seconds,
        file_parameters=environment.parameters if environment else {},
        settings_file=str(environment.path) if environment else "",
        command_flags=command_flags(settings, args.template),
    )
    print_settings(settings, options.parameters, tags, sys.stdout)
    cloudformation, dynamodb = settings.cloudformation(), settings.dynamodb()
    if tags is not None:
        check_tags(tags)  # before the template is read or built, as the deploy itself checks them
    # The cli builds the template (or reads --template's file) and hands it down: deploy never builds.
    options = replace(options, template=settings.template(args.template))
    return Deployer(cloudformation, options, sys.stdout, dynamodb=dynamodb).run()


def add_plan_arguments(parser: argparse.ArgumentParser) -> None:
    """`kvtable plan`'s flags."""
    add_arguments(parser, planning=True)


def run_plan(args: argparse.Namespace) -> int:
    """`kvtable plan`: a deploy that only plans."""
    args.plan = True
    return run(args)


DEPLOY = Command(
    name="deploy",
    summary="deploy the stack through a change set, refusing to replace or remove the table",
    description=__doc__ or "",
    examples=(
        "kvtable deploy --env prod",
        "kvtable deploy --stack-name KVDatabaseStack --parameter TableName=kv-prod --tag team=storage",
        "kvtable deploy --template templates/consumer.yaml --stack-name KVAppStack",
        "kvtable deploy --env prod --template new-indexes.yaml --stepwise",
    ),
    add_arguments=add_arguments,
    run=run,
    extras=("deploy",),
)

PLAN = Command(
    name="plan",
    summary="show what a deploy would change and replace, and which settings it used; change nothing",
    description="Plan a deploy from the templates: what would change and be replaced, what would be "
    "refused, and every setting used; nothing is changed (a deploy then previews CloudFormation's change set).",
    examples=(
        "kvtable plan --env prod",
        "kvtable plan --parameter TableName=kv-prod",
        "kvtable plan --env prod --template new-indexes.yaml --stepwise",
    ),
    add_arguments=add_plan_arguments,
    run=run_plan,
    extras=("deploy",),
)
