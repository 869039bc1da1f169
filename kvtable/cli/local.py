"""Run DynamoDB Local in the foreground, with the table created from the template, until Ctrl-C.

It listens on 127.0.0.1:8000 (DynamoDB Local's own default) unless --port says otherwise, so the
AWS_ENDPOINT_URL exported in another shell still holds after a restart; --port 0 takes a free port."""

import argparse
import contextlib
import signal
import threading

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.cli.settings import add_table_arguments
from kvtable.console.errors import UsageError
from kvtable.local.process import LOOPBACK

# DynamoDB Local's own default port, and the one the docs' examples use.
DEFAULT_PORT = 8000


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--port, --table-name, --gsi-name and --no-table."""
    parser.add_argument(
        "--port",
        type=kinds.Count(0, 65535),
        default=DEFAULT_PORT,
        help=f"listen on this port of 127.0.0.1 (default: {DEFAULT_PORT}; 0 for any free port)",
    )
    add_table_arguments(parser, "the table to create", "its global secondary index")
    parser.add_argument("--no-table", action="store_true", help="start empty, without creating the table")


def port_taken_line(port: int) -> str:
    """The error for a port another server holds, with the ways out."""
    return (
        f"port {port} of {LOOPBACK} is already in use (another DynamoDB Local, or a 'kvtable local' still "
        "running?); stop that, or give another port with --port (--port 0 takes a free one)"
    )


def run(args: argparse.Namespace) -> int:
    """Start DynamoDB Local on its loopback port and print how to reach it."""
    from kvtable.builders.table_definition import create_table_from_template  # noqa: PLC0415 (the `build` extra)
    from kvtable.local.dynamodb_local import (  # noqa: PLC0415 (tempfile, shutil: kept off `kvtable --help`)
        dynamodb_local,
        local_dynamodb_client,
        loopback_port_taken,
    )

    if args.port and loopback_port_taken(args.port):
        raise UsageError(port_taken_line(args.port))
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with dynamodb_local(args.port) as local:
        if not args.no_table:
            client = local_dynamodb_client(local.url)
            create_table_from_template(client, args.table_name, args.gsi_name)
            print(f"table {args.table_name} (index {args.gsi_name}) created from the template")
        print(f"DynamoDB Local is listening at {local.url} (in memory; Ctrl-C stops it)")
        print(f"  export AWS_ENDPOINT_URL={local.url}")
        with contextlib.suppress(KeyboardInterrupt):
            stop.wait()
    print("stopped")
    return 0


LOCAL = Command(
    name="local",
    summary="run DynamoDB Local in the foreground, with the table created, until Ctrl-C",
    description=__doc__ or "",
    examples=(
        "kvtable local",
        "kvtable local --port 8001 --table-name kv-dev",
        "kvtable local --port 0 --no-table",
    ),
    add_arguments=add_arguments,
    run=run,
    extras=("build",),
    # A server in the foreground: closing its terminal stops it (and its DynamoDB Local) as Ctrl-C would.
    stops_on_hangup=True,
)
