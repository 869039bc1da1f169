"""Build the CloudFormation templates into a folder (templates/ by default), or check they are up to date."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kvtable.cli.command import Command

DEFAULT_TEMPLATES_DIR = Path("templates")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--check and --out."""
    parser.add_argument(
        "--check", action="store_true", help="exit 1 if the folder differs from what the code builds"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_TEMPLATES_DIR,
        help=f"the folder to write or check (default: {DEFAULT_TEMPLATES_DIR}/)",
    )


def run(args: argparse.Namespace) -> int:
    """Write the templates, or with --check exit 1 if the folder's differ from what the code builds."""
    from kvtable.cfn.render import stale_templates, write_templates  # noqa: PLC0415 (the `build` extra)

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


TEMPLATE = Command(
    name="template",
    summary="build the CloudFormation templates (--check: fail if the folder is stale)",
    description=__doc__ or "",
    examples=("kvtable template", "kvtable template --check", "kvtable template --out build/templates"),
    add_arguments=add_arguments,
    run=run,
)
