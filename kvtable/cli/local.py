"""Run DynamoDB Local in the foreground, with the table created from the template, until Ctrl-C."""

import argparse
import contextlib
import signal
import threading

from kvtable.cli.command import Command
from kvtable.cli.settings import add_table_arguments


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--table-name, --gsi-name and --no-table."""
    add_table_arguments(parser, "the table to create", "its global secondary index")
    parser.add_argument("--no-table", action="store_true", help="start empty, without creating the table")


def run(args: argparse.Namespace) -> int:
    """Start DynamoDB Local on a free loopback port and print how to reach it."""
    from kvtable.local.dynamodb_local import dynamodb_local, local_dynamodb_client  # noqa: PLC0415
    from kvtable.table_definition import create_table_from_template  # noqa: PLC0415 (the `build` extra)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with dynamodb_local() as local:
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
    examples=("kvtable local", "kvtable local --table-name kv-dev --no-table"),
    add_arguments=add_arguments,
    run=run,
    extras=("build",),
)
