"""Build the CloudFormation templates into templates/ (or check they are up to date): `kvtable template`."""

import sys
from pathlib import Path

from kvtable.cli.command import process_exit, run_script
from kvtable.cli.template import TEMPLATE

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def main(argv: list[str] | None = None) -> int:
    """Write the templates next to this file, or with --check exit 1 if the committed ones differ."""
    # The repository's templates/ whatever the current folder; a later --out wins.
    return run_script(
        TEMPLATE, ["--out", str(TEMPLATES_DIR), *(sys.argv[1:] if argv is None else argv)], "build_template"
    )


if __name__ == "__main__":
    sys.exit(process_exit(main, "build_template"))
