"""Print a stack's outputs: as a table, or as KEY=value lines for shells and CI."""

import argparse
import sys

from kvtable.cfn.names import DEFAULT_STACK_NAME
from kvtable.deploy import cloudformation as cfn
from kvtable.deploy.errors import DeployError
from kvtable.deploy.parameters import check_stack_name
from scripts.cli import add_aws_arguments, aws_session, one_line_errors


def format_outputs(outputs: list[dict[str, str]], style: str) -> str:
    """The outputs as an aligned table (with export names) or as KEY=value lines."""
    ordered = sorted(outputs, key=lambda o: o["OutputKey"])
    if style == "env":
        return "".join(f"{o['OutputKey']}={o['OutputValue']}\n" for o in ordered)
    lines = [f"{'output':<20} {'value':<60} export"]
    lines += [f"{o['OutputKey']:<20} {o['OutputValue']:<60} {o.get('ExportName') or '-'}" for o in ordered]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the outputs of a deployed stack."""
    parser = argparse.ArgumentParser(prog="outputs", description=__doc__)
    parser.add_argument("--stack-name", default=DEFAULT_STACK_NAME)
    parser.add_argument("--format", choices=["table", "env"], default="table")
    add_aws_arguments(parser)
    args = parser.parse_args(argv)
    with one_line_errors("outputs"):
        check_stack_name(args.stack_name)
        cf = aws_session(args.profile, args.region).client("cloudformation", endpoint_url=args.endpoint_url)
        stack = cfn.describe_stack(cf, args.stack_name)
        if stack is None:
            raise DeployError(f"stack {args.stack_name} does not exist; deploy it first ('make deploy')")
        sys.stdout.write(format_outputs(stack.outputs, args.format))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
