"""One subcommand of `kvtable`: its name, one-line summary, examples, arguments and the function it runs.

The same Command serves three doors: `kvtable NAME`, `scripts/*.py` and the Makefile.
"""

from __future__ import annotations

import argparse
import importlib.util
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from kvtable.cli.common import CALLS, one_line_errors
from kvtable.cli.report_streams import finish_report_streams, guard_report_streams

# The modules each extra brings, in pyproject.toml's order ('deploy' includes 'build').
EXTRA_MODULES: dict[str, tuple[str, ...]] = {
    "build": ("troposphere", "awacs"),
    "deploy": ("troposphere", "awacs", "cfnlint"),
}
# The names pip knows them by, where they differ from the module's.
PACKAGE_OF_MODULE = {"cfnlint": "cfn-lint"}
INTERRUPTED_EXIT_CODE = 130


class ArgumentParser(argparse.ArgumentParser):
    """argparse's parser, but a usage error is one line (the project's form) and exit code 2, and a
    flag is only ever its whole name (`--stack` is not `--stack-name`: a deploy tool must not guess)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        """Print `prog: error: message` and where to read the usage, then exit 2."""
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


@dataclass(frozen=True)
class Command:
    """A subcommand; `run` returns the exit code, and raises the project's errors for one_line_errors.

    `extras` are the optional dependencies (pyproject.toml's extras) it needs: each is checked
    before `run`, and every missing one is named in one line. `stops_on_hangup`: a closed terminal
    (SIGHUP) stops it; False for every command whose work must not stop halfway when the terminal
    that shows its report goes away (its report is then dropped, as on a closed pipe)."""

    name: str
    summary: str
    description: str
    examples: Sequence[str]
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]
    extras: tuple[str, ...] = ()
    stops_on_hangup: bool = False

    def configure(self, parser: argparse.ArgumentParser) -> None:
        """Give `parser` this command's arguments, its examples and the shared --debug flag."""
        self.add_arguments(parser)
        parser.add_argument(
            "--debug",
            action="store_true",
            help="on an error, show the Python traceback before the one line (the exit code stays)",
        )
        parser.set_defaults(command=self)

    def epilog(self) -> str:
        """The examples shown under --help."""
        return "examples:\n" + "\n".join(f"  {example}" for example in self.examples)

    def parser(self, prog: str) -> argparse.ArgumentParser:
        """A parser for this command alone, for the scripts/ door."""
        parser = ArgumentParser(
            prog=prog,
            description=self.description,
            epilog=self.epilog(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        self.configure(parser)
        return parser


def missing_extras_line(extras: Sequence[str]) -> str | None:
    """One line naming every module of `extras` that is not installed and the one pip line that
    brings them all; None when nothing is missing."""
    missing = [
        module
        for module in dict.fromkeys(m for extra in extras for m in EXTRA_MODULES[extra])
        if importlib.util.find_spec(module) is None
    ]
    if not missing:
        return None
    # The smallest set of extras that brings every missing module ('deploy' brings 'build's too).
    needed = ["deploy"] if any(module not in EXTRA_MODULES["build"] for module in missing) else ["build"]
    packages = [PACKAGE_OF_MODULE.get(module, module) for module in missing]
    listed = packages[0] if len(packages) == 1 else ", ".join(packages[:-1]) + " and " + packages[-1]
    verb = "is" if len(packages) == 1 else "are"
    return (
        f"this command needs the {needed[0]!r} extra ({listed} {verb} not installed); "
        f"run: pip install 'kvtable[{','.join(needed)}]'"
    )


def execute(args: argparse.Namespace, program: str) -> int:
    """Run the parsed command with one-line errors and the project's exit codes."""
    command: Command = args.command
    CALLS.reset()
    try:
        missing = missing_extras_line(command.extras)
        if missing is not None:
            print(f"{program}: error: {missing}", file=sys.stderr)
            return 2
        if not command.stops_on_hangup:
            outlive_the_terminal()
        with one_line_errors(program, debug=args.debug):
            return command.run(args)
    except KeyboardInterrupt:
        print(f"{program}: interrupted", file=sys.stderr)
        return INTERRUPTED_EXIT_CODE


def outlive_the_terminal() -> None:
    """Ignore SIGHUP, so that closing the terminal (or losing the SSH session) leaves the work to run to
    its end; writes to the gone terminal then fail and are dropped by the report streams."""
    hangup = getattr(signal, "SIGHUP", None)  # not on Windows
    if hangup is not None and threading.current_thread() is threading.main_thread():
        signal.signal(hangup, signal.SIG_IGN)


def run_script(command: Command, argv: Sequence[str] | None, prog: str) -> int:
    """The scripts/ door: parse `argv` for this command alone and run it."""
    args = command.parser(prog).parse_args(argv)
    return execute(args, prog)


def process_exit(run: Callable[[], int], program: str) -> int:
    """Run a whole process's command and return its exit code: a Ctrl-C at any moment, even while
    the command's modules are still being imported, is exit 130 and one line, and once the command
    has ended a late Ctrl-C can no longer turn its exit code into death by a signal. Its stdout and
    stderr are report streams: closing them (`| head`) drops the rest of the report, not the work."""
    guard_report_streams()
    try:
        try:
            code = run()
        except SystemExit as exit_request:
            code = _exit_code(exit_request)
    except KeyboardInterrupt:
        print(f"{program}: interrupted", file=sys.stderr)
        code = INTERRUPTED_EXIT_CODE
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    finish_report_streams(program)
    return code


def _exit_code(exit_request: SystemExit) -> int:
    if exit_request.code is None:
        return 0
    if isinstance(exit_request.code, int):
        return exit_request.code
    print(exit_request.code, file=sys.stderr)
    return 1
