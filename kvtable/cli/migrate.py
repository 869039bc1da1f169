"""Migrations of the data: plan what they change and cost, run them, and see where they stand.

`plan` counts the items each pending migration changes (a scan of only what it decides on) and what
that costs, or with --estimate works it out from DescribeTable. `run` applies the pending migrations in
order: a parallel scan whose writes are conditional (a write the service made meanwhile is never
overwritten), paced to --max-write-units, checkpointed in the table after every page; run it again
after a kill, an error or Ctrl-C and it resumes. `status` reads the checkpoints.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command
from kvtable.cli.missing_table import missing_table_error, table_source
from kvtable.cli.settings import add_environment_arguments, add_table_arguments, resolve_settings
from kvtable.cli.worker_flags import WORKER_FLAGS, add_worker_arguments, lease_seconds, worker_share
from kvtable.migrate.options import (
    DEFAULT_MAX_WRITE_UNITS,
    DEFAULT_PAGE_SIZE,
    DEFAULT_WORKERS,
    MAX_PAGE_SIZE,
    MAX_SEGMENTS,
    MAX_WORKERS,
    RunOptions,
)
from kvtable.schema import key_design as kd
from kvtable.schema.errors import InvalidInputError, KvTableError
from kvtable.schema.table_wording import table_not_found

if TYPE_CHECKING:
    from kvtable.contract.requests import TableRequests
    from kvtable.fleet.shares import WorkerShare
    from kvtable.migrate.checkpoints import MigrationStatus
    from kvtable.migrate.runner import RunResult
    from kvtable.schema.migration import Migration

ACTIONS = ("plan", "run", "status")
INTERRUPTED = "interrupted; run it again to resume"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """ACTION, --migration, the plan's and the run's flags, the table and the AWS settings."""
    parser.add_argument("action", choices=ACTIONS, help="plan, run or status")
    parser.add_argument(
        "--migration",
        metavar="ID",
        type=kinds.migration_id,
        help="only this migration (an example migration runs only when named here)",
    )
    parser.add_argument(
        "--estimate",
        action="store_true",
        help="plan: estimate from DescribeTable's ItemCount and TableSizeBytes instead of counting (no scan)",
    )
    parser.add_argument(
        "--workers",
        type=kinds.Count(1, MAX_WORKERS),
        help=f"plan, run: parallel scan workers, 1 to {MAX_WORKERS} (default {DEFAULT_WORKERS})",
    )
    parser.add_argument(
        "--segments",
        type=kinds.Count(1, MAX_SEGMENTS),
        help="plan, run: scan segments (default: the checkpoints' count, or 4 a worker)",
    )
    parser.add_argument(
        "--max-write-units",
        type=kinds.Amount(0, 10_000_000, low_included=False),
        help=f"plan, run: write capacity a second across all workers, the N of --worker included (default {DEFAULT_MAX_WRITE_UNITS:g})",
    )
    parser.add_argument(
        "--page-size",
        type=kinds.Count(1, MAX_PAGE_SIZE),
        help=f"plan, run: items a scan page evaluates, one checkpoint each (default {DEFAULT_PAGE_SIZE})",
    )
    add_table_arguments(parser, "the table", None, from_file=True)
    parser.add_argument("--quiet", action="store_true", help="run: no progress bar, only the summaries")
    add_worker_arguments(parser, "scan's segments", only="run: ")
    add_environment_arguments(parser, stack=False)


def _refuse_foreign_flags(args: argparse.Namespace) -> None:
    """A flag of another action is a mistake worth saying, not one to ignore."""
    both: tuple[str, ...] = ("plan", "run")
    only: dict[str, tuple[str, ...]] = {"estimate": ("plan",), "quiet": ("run",)}
    only.update(dict.fromkeys(("workers", "segments", "max_write_units", "page_size"), both))
    only.update(dict.fromkeys(WORKER_FLAGS, ("run",)))
    for name, actions in only.items():
        if getattr(args, name) not in (None, False) and args.action not in actions:
            flag = "--" + name.replace("_", "-")
            raise InvalidInputError(f"{flag} applies to `kvtable migrate {' or '.join(actions)}` only")


def _requests(args: argparse.Namespace) -> tuple[TableRequests, str]:
    """The request layer on the table, and where the table's name came from (for a missing table's line)."""
    from kvtable.contract.store import RECOMMENDED_CLIENT_CONFIG, KvTable  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.migrate.runner import table_requests  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    settings = resolve_settings(args)
    environment_table = settings.environment.parameters.get("TableName") if settings.environment else None
    client = settings.session(dynamodb_only=True).client(
        "dynamodb", endpoint_url=settings.endpoint_url, config=RECOMMENDED_CLIENT_CONFIG
    )
    store = KvTable(client, args.table_name or environment_table or kd.DEFAULT_TABLE_NAME)
    return table_requests(store), table_source(args.table_name, environment_table)


def _chosen(args: argparse.Namespace) -> Sequence[Migration]:
    """The migration --migration names, else every one `status` shows, or every applied one."""
    from kvtable.schema import migrations as registry  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    if args.migration:
        return (registry.find(args.migration),)
    return registry.MIGRATIONS if args.action == "status" else registry.applied()


def run(args: argparse.Namespace) -> int:
    """plan, run or status; 0 when done (or nothing is pending)."""
    _refuse_foreign_flags(args)
    given = {name: getattr(args, name) for name in ("workers", "segments", "max_write_units", "page_size")}
    options = RunOptions(**{name: value for name, value in given.items() if value is not None})
    options.check()
    share = worker_share(args)  # bad flags or an unset variable: said before any call
    requests, source = _requests(args)
    migrations = _chosen(args)
    try:
        return _act(args, requests, migrations, options, share)
    except KvTableError as error:
        missing = table_not_found(error)
        if missing is None:
            raise
        raise missing_table_error(missing, source) from error


def _act(
    args: argparse.Namespace,
    requests: TableRequests,
    migrations: Sequence[Migration],
    options: RunOptions,
    share: WorkerShare | None,
) -> int:
    """The action itself, on a table whose requests are ready."""
    if args.action == "status":
        show_status(requests, migrations)
        return 0
    from kvtable.migrate.checkpoints import Checkpoints  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    checkpoints = Checkpoints(requests)
    pending = [migration for migration in migrations if not checkpoints.load(migration).complete]
    if not pending:
        print(f"nothing to migrate in table {requests.table_name}: every migration asked for is complete")
        return 0
    if args.action == "plan":
        show_plan(requests, pending, options, estimate=args.estimate)
        return 0
    try:
        for migration in pending:
            run_one(
                requests, migration, options, quiet=args.quiet, share=share, lease_seconds=lease_seconds(args)
            )
    except KeyboardInterrupt:
        print(f"kvtable migrate: {INTERRUPTED}", file=sys.stderr)
        return 130
    return 0


def show_plan(
    requests: TableRequests, migrations: Sequence[Migration], options: RunOptions, *, estimate: bool
) -> None:
    """Print each migration's items to change and the capacity they cost, counted or estimated."""
    from kvtable.migrate import plan  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    figures = plan.describe(requests)
    segments = options.segment_count()
    print(
        f"table {requests.table_name}: {figures.item_count:,} items, {figures.size_bytes:,} bytes "
        f"(DescribeTable), {len(figures.indexes)} index(es)"
    )
    for migration in migrations:
        print(f"{migration.id}: {migration.description}")
        if estimate:
            found = plan.estimate(migration, figures, segments, options.page_size)
            print(
                f"  estimated from DescribeTable (AWS refreshes its figures about every six hours): at most "
                f"{found.to_change:,} items to change"
            )
            bound = "at most "
        else:
            found = plan.count(requests, migration, figures, segments, options.page_size)
            print(
                f"  counted by a scan: {found.scanned:,} items scanned, {found.to_change:,} to change; "
                f"the count read {found.read_units:,.1f} units"
            )
            bound = "about "
        print(
            f"  the run: {bound}{found.total_write_units:,.1f} write units ({found.write_units:,.1f} for the changes, "
            f"{found.checkpoint_units:,.1f} for {found.checkpoint_writes:,} checkpoint writes) and "
            f"{bound}{found.read_units:,.1f} read units for its own scan"
        )
        seconds = found.seconds_at(options.max_write_units)
        print(f"  at --max-write-units {options.max_write_units:g}: at least {seconds:,.0f}s")


def run_one(
    requests: TableRequests,
    migration: Migration,
    options: RunOptions,
    *,
    quiet: bool,
    share: WorkerShare | None = None,
    lease_seconds: float = 60.0,
) -> None:
    """Run one migration to the end with a progress bar (as worker `share` of N, when given); its
    summary on stdout."""
    from kvtable.console.progress import ProgressBar  # noqa: PLC0415 (3 ms of `kvtable --help`, measured 2026-12-07)
    from kvtable.migrate.checkpoints import Checkpoints  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.migrate.plan import describe  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.migrate.runner import MigrationRun  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    print(f"{migration.id}: {migration.description}", flush=True)
    already = Checkpoints(requests).load(migration).scanned
    left = max(describe(requests).item_count - already, 0)
    bar = ProgressBar(sys.stderr, left or None, time.monotonic(), what="items")

    def show(scanned: int) -> None:
        if not quiet:
            # ItemCount lags on AWS: a table that grew would run past 100%.
            bar.total = max(bar.total or 0, scanned) or None
            bar.update(scanned, time.monotonic())

    lease_units = 0.0
    if share is None:
        result = MigrationRun(requests, migration, options).run(on_progress=show)
    else:
        result, lease_units = _run_shared(
            requests, migration, options, share, lease_seconds=lease_seconds, show=show
        )
    if not quiet:
        bar.finish(result.scanned, time.monotonic())
    status = result.status
    print(
        f"{migration.id}: {'complete' if status.complete else 'stopped'}: {result.changed:,} changed, {result.skipped:,} skipped, "
        f"{result.scanned:,} scanned by this run; {result.write_units:,.1f} write units "
        f"({result.write_units - result.checkpoint_units - lease_units:,.1f} for the changes, "
        f"{result.checkpoint_units:,.1f} for {result.checkpoint_writes:,} checkpoint writes"
        + (f", {lease_units:,.1f} for lease writes" if share is not None else "")
        + f"), {result.read_units:,.1f} read units"
        + (f" (all runs: {status.changed:,} changed, {status.skipped:,} skipped)" if already else "")
    )


def _run_shared(
    requests: TableRequests,
    migration: Migration,
    options: RunOptions,
    share: WorkerShare,
    *,
    lease_seconds: float,
    show: Callable[[int], None],
) -> tuple[RunResult, float]:
    """Worker `share`'s run of the migration, to its end; its result and its lease writes' units."""
    from kvtable.migrate.shared_run import SharedMigrationRun  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    shared = SharedMigrationRun(requests, migration, options, share, lease_seconds=lease_seconds)
    result = shared.run(on_progress=show)
    print(
        f"{migration.id}: worker {share.label}: took over {shared.taken_over} segment(s) from workers "
        "whose lease ended",
        flush=True,
    )
    return result, shared.lease_units


def show_status(requests: TableRequests, migrations: Sequence[Migration]) -> None:
    """Print each migration's segments done and counts, from its checkpoints."""
    from kvtable.migrate.checkpoints import Checkpoints  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    checkpoints = Checkpoints(requests)
    for migration in migrations:
        status = checkpoints.load(migration)
        example = " (example: runs only with --migration)" if migration.example else ""
        if status.total_segments is None:
            print(f"{migration.id}: not started{example}")
            continue
        state = "complete" if status.complete else "in progress"
        print(
            f"{migration.id}: {state}{example}, {status.segments_done}/{status.total_segments} segments done, "
            f"{status.changed:,} changed, {status.skipped:,} skipped, {status.scanned:,} scanned "
            f"({status.matched:,} of its kind)"
        )
        _show_segments(requests, migration, status)


def _show_segments(requests: TableRequests, migration: Migration, status: MigrationStatus) -> None:
    """For a migration run by workers (`--worker`): each segment's worker, lease and progress."""
    from kvtable.console.columns import aligned  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.fleet.leases import read_leases  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.migrate.checkpoints import migration_partition_key  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)
    from kvtable.migrate.shared_run import segment_rows  # noqa: PLC0415 (the contract's modules (decimal, ...): kept off `kvtable --help`)

    total = status.total_segments or 0
    leases = read_leases(requests, migration_partition_key(migration.id), total)
    if any(lease.owner is not None for lease in leases.values()):
        print("\n".join(aligned(segment_rows(status, leases, time.time()), indent="  ")))


MIGRATE = Command(
    name="migrate",
    summary="plan, run and follow the data's migrations: online, paced, resumable backfills",
    description=__doc__ or "",
    examples=(
        "kvtable migrate plan --env prod",
        "kvtable migrate plan --env prod --estimate",
        "kvtable migrate run --env prod --workers 8 --max-write-units 1000",
        "kvtable migrate status --env prod",
        "kvtable migrate run --migration 0002-keys-by-change --endpoint-url http://127.0.0.1:8000",
    ),
    add_arguments=add_arguments,
    run=run,
)
