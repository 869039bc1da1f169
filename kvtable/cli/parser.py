"""Every `kvtable` subcommand, and the parser that knows them all."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

from kvtable import __version__
from kvtable.cli.adopt import ADOPT
from kvtable.cli.bench import BENCH
from kvtable.cli.command import ArgumentParser, Command
from kvtable.cli.cost import COST
from kvtable.cli.demo import DEMO
from kvtable.cli.deploy import DEPLOY, PLAN
from kvtable.cli.export import EXPORT
from kvtable.cli.import_table import IMPORT
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
    EXPORT,
    IMPORT,
    MIGRATE,
    COST,
    DEMO,
    BENCH,
    LOCAL,
)


class Subcommands(argparse._SubParsersAction):  # type: ignore[type-arg]
    """The subcommands, each of which refuses what it does not know itself: the error names the
    subcommand and its --help (`kvtable deploy: error: ...`), not the top level's."""

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: str | Sequence[Any] | None,
        option_string: str | None = None,
    ) -> None:
        """Parse the subcommand's words; any it leaves over is its own usage error."""
        super().__call__(parser, namespace, values, option_string)
        unknown: list[str] = vars(namespace).pop(argparse._UNRECOGNIZED_ARGS_ATTR, [])
        if unknown:
            flags = [word for word in unknown if word.startswith("-")]
            name = str(values[0]) if isinstance(values, list) else str(values)
            self._name_parser_map[name].error(f"unrecognized arguments: {' '.join(flags or unknown)}")


def build_parser(description: str, only: str | None = None) -> argparse.ArgumentParser:
    """The `kvtable` parser with every subcommand, or with subcommand `only` alone (when it names one:
    a run needs only its own, and building the other twelve costs more than parsing)."""
    parser = ArgumentParser(
        prog="kvtable", description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--version", action="version", version=f"kvtable {__version__}")
    subcommands = parser.add_subparsers(title="commands", metavar="COMMAND", action=Subcommands)
    chosen = [command for command in COMMANDS if command.name == only] or COMMANDS
    for command in chosen:
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
