"""`kvtable local`, through its scripts/ door: `python -m scripts.local_dynamodb --help`."""

from collections.abc import Sequence

from kvtable.cli.command import process_exit, run_script
from kvtable.cli.local import LOCAL


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command with `argv` (default: the process's arguments)."""
    return run_script(LOCAL, argv, "local_dynamodb")


if __name__ == "__main__":
    raise SystemExit(process_exit(main, "local_dynamodb"))
