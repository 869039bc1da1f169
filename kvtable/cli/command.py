"""One subcommand of `kvtable`: its name, one-line summary, examples, arguments and the function it runs.

The same Command serves three doors: `kvtable NAME`, `scripts/*.py` and the Makefile.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from kvtable.cli.common import CALLS, one_line_errors


@dataclass(frozen=True)
class Command:
    """A subcommand; `run` returns the exit code, and raises the project's errors for one_line_errors."""

    name: str
    summary: str
    description: str
    examples: Sequence[str]
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]

    def configure(self, parser: argparse.ArgumentParser) -> None:
        """Give `parser` this command's arguments, its examples and the shared --debug flag."""
        self.add_arguments(parser)
        parser.add_argument(
            "--debug", action="store_true", help="on an error, show the Python traceback instead of one line"
        )
        parser.set_defaults(command=self)

    def epilog(self) -> str:
        """The examples shown under --help."""
        return "examples:\n" + "\n".join(f"  {example}" for example in self.examples)

    def parser(self, prog: str) -> argparse.ArgumentParser:
        """A parser for this command alone, for the scripts/ door."""
        parser = argparse.ArgumentParser(
            prog=prog,
            description=self.description,
            epilog=self.epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.configure(parser)
        return parser


def execute(args: argparse.Namespace, program: str) -> int:
    """Run the parsed command with one-line errors and the project's exit codes."""
    command: Command = args.command
    CALLS.reset()
    try:
        with one_line_errors(program, debug=args.debug):
            return command.run(args)
    except KeyboardInterrupt:
        print(f"{program}: interrupted", file=sys.stderr)
        return 130


def run_script(command: Command, argv: Sequence[str] | None, prog: str) -> int:
    """The scripts/ door: parse `argv` for this command alone and run it."""
    args = command.parser(prog).parse_args(argv)
    return execute(args, prog)
