"""Deploy a kvtable stack with a change set, refusing anything that would replace or remove the table.

Examples:
  python -m scripts.deploy                                   # templates/database.yaml as KVDatabaseStack
  python -m scripts.deploy --plan --parameter TableName=kv-prod
  python -m scripts.deploy --template templates/consumer.yaml --stack-name KVAppStack
"""

import argparse
import sys
from pathlib import Path

from kvtable.cfn.names import DEFAULT_STACK_NAME
from kvtable.deploy.deploy import ALLOW_REPLACEMENT_FLAG, Deployer, DeployOptions
from kvtable.deploy.parameters import parse_assignments
from scripts.cli import add_aws_arguments, aws_session, one_line_errors

DEFAULT_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "database.yaml"


def build_parser() -> argparse.ArgumentParser:
    """The deploy command line."""
    parser = argparse.ArgumentParser(
        prog="deploy", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--stack-name", default=DEFAULT_STACK_NAME, help=f"default {DEFAULT_STACK_NAME}")
    parser.add_argument(
        "--template", type=Path, default=DEFAULT_TEMPLATE, help="default templates/database.yaml"
    )
    parser.add_argument(
        "--parameter",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="parameter override (repeatable)",
    )
    parser.add_argument(
        "--tag", action="append", default=None, metavar="KEY=VALUE", help="stack tag (repeatable)"
    )
    parser.add_argument(
        "--plan", action="store_true", help="show what would change and be replaced; change nothing"
    )
    parser.add_argument(
        ALLOW_REPLACEMENT_FLAG,
        dest="allow_table_replacement",
        action="store_true",
        help="deploy even if the table is replaced or removed (a new, EMPTY table; the old one is retained)",
    )
    parser.add_argument("--poll-seconds", type=float, default=2.0, help=argparse.SUPPRESS)
    add_aws_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a deploy from the command line."""
    args = build_parser().parse_args(argv)
    with one_line_errors("deploy"):
        options = DeployOptions(
            stack_name=args.stack_name,
            template_path=args.template,
            parameters=parse_assignments(args.parameter, "parameter"),
            tags=None if args.tag is None else parse_assignments(args.tag, "tag"),
            plan_only=args.plan,
            allow_table_replacement=args.allow_table_replacement,
            poll_seconds=args.poll_seconds,
        )
        cf = aws_session(args.profile, args.region).client("cloudformation", endpoint_url=args.endpoint_url)
        return Deployer(cf, options, sys.stdout).run()
    return 1  # unreachable: one_line_errors exits


if __name__ == "__main__":
    raise SystemExit(main())
