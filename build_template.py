"""Build the CloudFormation templates into templates/ (or check they are up to date)."""

import argparse
import sys
from pathlib import Path

from kvtable.cfn.render import stale_templates, write_templates

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def main(argv: list[str] | None = None) -> int:
    """Write the templates, or with --check exit 1 if the committed ones differ."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--check", action="store_true", help="fail if templates/ differs from what the code builds"
    )
    parser.add_argument(
        "--out", type=Path, default=TEMPLATES_DIR, help="directory to write (default: templates/)"
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_templates(args.out)
        if stale:
            print(
                f"error: {', '.join(stale)} in {args.out} differ from what the code builds; run 'make template'",
                file=sys.stderr,
            )
            return 1
        print(f"templates in {args.out} are up to date")
        return 0
    for path in write_templates(args.out):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
