"""`kvtable`: one command with a subcommand per job.

Exit codes: 0 ok, 1 a failure on AWS's side, 2 bad input or settings,
3 refused for safety, 4 verify found drift.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kvtable import __version__
from kvtable.cli.adopt import ADOPT
from kvtable.cli.bench import BENCH
from kvtable.cli.command import Command, execute
from kvtable.cli.cost import COST
from kvtable.cli.demo import DEMO
from kvtable.cli.deploy import DEPLOY, PLAN
from kvtable.cli.load import LOAD
from kvtable.cli.local import LOCAL
from kvtable.cli.migrate import MIGRATE
from kvtable.cli.outputs import OUTPUTS
from kvtable.cli.restore import RESTORE
from kvtable.cli.template import TEMPLATE
from kvtable.cli.verify import VERIFY

COMMANDS: tuple[Command, ...] = (
    TEMPLATE,
    PLAN,
    DEPLOY,
    OUTPUTS,
    VERIFY,
    RESTORE,
    ADOPT,
    LOAD,
    MIGRATE,
    COST,
    DEMO,
    BENCH,
    LOCAL,
)


def build_parser() -> argparse.ArgumentParser:
    """The `kvtable` parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="kvtable", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"kvtable {__version__}")
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.configure(
            subcommands.add_parser(
                command.name,
                help=command.summary,
                description=command.description,
                epilog=command.epilog(),
                formatter_class=argparse.RawDescriptionHelpFormatter,
            )
        )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run `kvtable` with `argv` (default: the process's arguments); return the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "command", None) is None:
        parser.print_help(sys.stderr)
        return 2
    return execute(args, f"kvtable {args.command.name}")


if __name__ == "__main__":
    raise SystemExit(main())
