"""`kvtable load`, through its scripts/ door: `python -m scripts.load --help`."""

from collections.abc import Sequence

from kvtable.cli.command import process_exit, run_script
from kvtable.cli.load import LOAD


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with `argv` (default: the process's arguments)."""
    return run_script(LOAD, argv, "load")


if __name__ == "__main__":
    raise SystemExit(process_exit(main, "load"))
