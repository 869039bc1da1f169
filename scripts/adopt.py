"""`kvtable adopt`, through its scripts/ door: `python -m scripts.adopt --help`."""

from collections.abc import Sequence

from kvtable.cli.adopt import ADOPT
from kvtable.cli.command import process_exit, run_script


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with `argv` (default: the process's arguments)."""
    return run_script(ADOPT, argv, "adopt")


if __name__ == "__main__":
    raise SystemExit(process_exit(main, "adopt"))
