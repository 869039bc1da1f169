"""`kvtable bench`, through its scripts/ door: `python -m scripts.bench --help`."""

from collections.abc import Sequence

from kvtable.cli.bench import BENCH
from kvtable.cli.command import process_exit, run_script


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with `argv` (default: the process's arguments)."""
    return run_script(BENCH, argv, "bench")


if __name__ == "__main__":
    raise SystemExit(process_exit(main, "bench"))
