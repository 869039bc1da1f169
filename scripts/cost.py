"""`kvtable cost`, through its scripts/ door: `python -m scripts.cost --help`."""

from collections.abc import Sequence

from kvtable.cli.command import process_exit, run_script
from kvtable.cli.cost import COST


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with `argv` (default: the process's arguments)."""
    return run_script(COST, argv, "cost")


if __name__ == "__main__":
    raise SystemExit(process_exit(main, "cost"))
