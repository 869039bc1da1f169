"""Print a stack's outputs: as a table, as JSON, or as KEY=value lines for shells and CI."""

from __future__ import annotations

import argparse
import json
import sys

from kvtable.cli.command import Command
from kvtable.cli.hints import command_flags
from kvtable.cli.settings import add_environment_arguments, resolve_settings
from kvtable.console.columns import aligned

FORMATS = ("table", "json", "env")


def format_outputs(outputs: list[dict[str, str]], style: str) -> str:
    """The outputs as an aligned table (with export names), a JSON object, or KEY=value lines."""
    ordered = sorted(outputs, key=lambda o: o["OutputKey"])
    if style == "env":
        return "".join(f"{o['OutputKey']}={o['OutputValue']}\n" for o in ordered)
    if style == "json":
        document = {
            o["OutputKey"]: {"value": o["OutputValue"], "export": o.get("ExportName")} for o in ordered
        }
        return json.dumps(document, indent=2, sort_keys=True) + "\n"
    rows = [("output", "value", "export")]
    rows += [(o["OutputKey"], o["OutputValue"], o.get("ExportName") or "-") for o in ordered]
    return "\n".join(aligned(rows)) + "\n"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--format and the stack's settings."""
    parser.add_argument("--format", choices=FORMATS, default="table", help="default: table")
    add_environment_arguments(parser)


def run(args: argparse.Namespace) -> int:
    """Print the outputs of a deployed stack."""
    from kvtable.deploy import cloudformation  # noqa: PLC0415 (keeps --help free of botocore)

    settings = resolve_settings(args)
    stack = cloudformation.existing_stack(
        settings.cloudformation(), settings.stack_name, command_flags(settings)
    )
    sys.stdout.write(format_outputs(stack.outputs, args.format))
    return 0


OUTPUTS = Command(
    name="outputs",
    summary="print the stack's outputs and export names (table, json, or KEY=value lines)",
    description=__doc__ or "",
    examples=("kvtable outputs --env prod", 'kvtable outputs --format env >> "$GITHUB_ENV"'),
    add_arguments=add_arguments,
    run=run,
)
