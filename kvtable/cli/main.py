"""`kvtable`: one command with a subcommand per job.

Exit codes: 0 ok, 1 a failure on AWS's side, 2 bad input or settings,
3 refused for safety, 4 verify found drift, 130 interrupted (Ctrl-C).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

# This module is the process's entry: it imports nothing more until main() runs, so that a Ctrl-C
# while the commands' modules load is caught there (process_exit) like one during the command, and
# the report streams are guarded before any module can keep a reference to the unguarded ones.


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The `kvtable` parser with every subcommand (or subcommand `only` alone, when it names one)."""
    from kvtable.cli.parser import build_parser as build  # noqa: PLC0415 (the process's entry: nothing more until main() runs, see above)

    return build(__doc__ or "", only)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `kvtable` with `argv` (default: the process's arguments); return the exit code."""
    from kvtable.cli.command import execute  # noqa: PLC0415 (the process's entry: nothing more until main() runs, see above)

    words = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(words[0] if words else None)
    args = parser.parse_args(words)
    if getattr(args, "command", None) is None:
        parser.print_help(sys.stderr)
        return 2
    return execute(args, f"kvtable {args.command.name}")


def entry() -> int:
    """The installed `kvtable` program: main() with Ctrl-C handled at every moment of the process,
    and a closed stdout or stderr dropping the report, never stopping the work."""
    try:
        from kvtable.cli.report_streams import guard_report_streams  # noqa: PLC0415 (the entry: nothing more until main() runs)

        guard_report_streams()
        from kvtable.cli.command import process_exit  # noqa: PLC0415 (the process's entry: nothing more until main() runs, see above)
    except KeyboardInterrupt:
        print("kvtable: interrupted", file=sys.stderr)
        return 130
    return process_exit(main, "kvtable")


if __name__ == "__main__":
    raise SystemExit(entry())
