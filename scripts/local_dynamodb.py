"""Run DynamoDB Local in the foreground, with the table created from the template, until Ctrl-C."""

import argparse
import contextlib
import signal
import threading

from kvtable import key_design as kd
from kvtable.local.dynamodb_local import dynamodb_local, local_dynamodb_client
from kvtable.table_definition import create_table_from_template
from scripts.cli import one_line_errors


def main(argv: list[str] | None = None) -> int:
    """Start DynamoDB Local on a free loopback port and print how to reach it."""
    parser = argparse.ArgumentParser(prog="local", description=__doc__)
    parser.add_argument("--table-name", default=kd.DEFAULT_TABLE_NAME)
    parser.add_argument("--gsi-name", default=kd.DEFAULT_GSI_NAME)
    parser.add_argument("--no-table", action="store_true", help="start empty, without creating the table")
    args = parser.parse_args(argv)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with one_line_errors("local"), dynamodb_local() as local:
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


if __name__ == "__main__":
    raise SystemExit(main())
