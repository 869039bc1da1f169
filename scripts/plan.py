"""`kvtable plan`, through its scripts/ door: `python -m scripts.plan --help`."""

from collections.abc import Sequence

from kvtable.cli.command import process_exit, run_script
from kvtable.cli.deploy import PLAN


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with `argv` (default: the process's arguments)."""
    return run_script(PLAN, argv, "plan")


if __name__ == "__main__":
    raise SystemExit(process_exit(main, "plan"))
