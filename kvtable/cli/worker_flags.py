"""The flags that make a command one worker of N under a scheduler (`--worker`, `--workers-total`,
`--worker-index-variable`, `--lease-seconds`), shared by `migrate run` and `load`."""

from __future__ import annotations

import argparse

from kvtable.cli import arguments as kinds
from kvtable.fleet.shares import (
    DEFAULT_LEASE_SECONDS,
    MAX_WORKERS_TOTAL,
    WorkerShare,
    parse_share,
    share_from_environment,
)
from kvtable.schema.errors import InvalidInputError

WORKER_FLAGS = ("worker", "workers_total", "worker_index_variable", "lease_seconds")


def add_worker_arguments(parser: argparse.ArgumentParser, parts: str, only: str = "") -> None:
    """The four flags; `parts` names what the workers share (segments, line ranges), `only` the action."""
    parser.add_argument(
        "--worker",
        metavar="I/N",
        type=kinds.worker_share,
        help=f"{only}be worker I (from 0) of N sharing the {parts}, claimed in the table with a lease; "
        "auto: I from AWS_BATCH_JOB_ARRAY_INDEX or JOB_COMPLETION_INDEX, N from AWS_BATCH_JOB_ARRAY_SIZE",
    )
    parser.add_argument(
        "--workers-total",
        metavar="N",
        type=kinds.Count(1, MAX_WORKERS_TOTAL),
        help=f"{only}with --worker auto: N (a Kubernetes Job's completions)",
    )
    parser.add_argument(
        "--worker-index-variable",
        metavar="NAME",
        type=kinds.variable_name,
        help=f"{only}with --worker auto: the variable that holds I",
    )
    parser.add_argument(
        "--lease-seconds",
        type=kinds.LEASE_SECONDS,
        help=f"{only}with --worker: how long a claim lasts unless renewed (default {DEFAULT_LEASE_SECONDS:g})",
    )


def worker_share(args: argparse.Namespace) -> WorkerShare | None:
    """The share the flags give (None without --worker); InvalidInputError for flags that do not fit."""
    if args.worker is None:
        given = [name for name in WORKER_FLAGS[1:] if getattr(args, name) is not None]
        if given:
            raise InvalidInputError(f"--{given[0].replace('_', '-')} applies with --worker only")
        return None
    share = parse_share(args.worker)
    if share is not None:
        if args.worker_index_variable is not None:
            raise InvalidInputError("--worker-index-variable applies with --worker auto only")
        if args.workers_total is not None and args.workers_total != share.total:
            raise InvalidInputError(
                f"--worker {args.worker} says {share.total} workers, --workers-total {args.workers_total}"
            )
        return share
    return share_from_environment(index_variable=args.worker_index_variable, total=args.workers_total)


def lease_seconds(args: argparse.Namespace) -> float:
    """--lease-seconds, or the default."""
    return float(args.lease_seconds or DEFAULT_LEASE_SECONDS)
