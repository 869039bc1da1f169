"""Benchmarks on DynamoDB Local, in one run: the data layer against plain boto3 (load and list), bulk
loads (memory at 20,000 and 200,000 keys, throughput with 1, 2 and 4 writers), the import's cost,
client CPU per operation beside the boto3 client, the boto3 Table resource and PynamoDB, kvtable's
transports beside the boto3 client, pydynox and aiodynamo (client CPU, cold start, and the signing and HTTP
building blocks), the async clients (kvtable's asyncio transport, pydynox async, aiodynamo: CPU per
awaited call, and requests per second with 1, 8 and 64 tasks), where a request's CPU goes, and a Lambda
cold start (kvtable.connect beside boto3 and pydynox, against a loopback stub). A benchmark, not a test: its timings depend on the machine.
"""

import argparse
import random
from pathlib import Path

from kvtable.cli import arguments as kinds
from kvtable.cli.command import Command

SECTIONS = ("compare", "bulk", "import", "clients", "transports", "async", "profile", "startup", "lambda")
# Sections of whole processes, run first, before the engine's JVM shares the cores: startup needs no
# engine at all; lambda's cold starts go first, its tracing figures later on DynamoDB Local.
WITHOUT_ENGINE = {"startup"}
# build/ is ignored by git: a run's chart is never committed by accident.
DEFAULT_OUT = Path("build", "bench")
CHART_NAME = "transports.svg"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """--keys, --rounds, --only, --endpoint-url and the sizes of each section."""
    parser.add_argument(
        "--keys",
        type=kinds.Count(1, 10_000_000),
        default=20_000,
        help="keys to load and list (default 20000)",
    )
    parser.add_argument(
        "--rounds", type=kinds.Count(1, 1000), default=3, help="measured rounds per side (default 3)"
    )
    parser.add_argument(
        "--only", choices=SECTIONS, action="append", help="run only this section (repeatable; default: all)"
    )
    parser.add_argument(
        "--large-keys",
        type=kinds.Count(1, 10_000_000),
        default=200_000,
        help="the larger bulk load traced for memory (default 200000)",
    )
    parser.add_argument(
        "--import-pairs",
        type=kinds.Count(1, 1000),
        default=20,
        help="process pairs for the import cost (default 20)",
    )
    parser.add_argument(
        "--ops",
        type=kinds.Count(1, 1_000_000),
        default=300,
        help="operations per client per round (default 300)",
    )
    parser.add_argument(
        "--cold-starts",
        type=kinds.Count(1, 1000),
        default=21,
        help="fresh processes per client for the cold start, and per command for startup (default 21)",
    )
    parser.add_argument(
        "--seed",
        type=kinds.Count(0, 2**32 - 1),
        help="seed of the random call order of clients and transports (default: a new one)",
    )
    parser.add_argument(
        "--concurrency-seconds",
        type=kinds.Amount(0.0, 600.0, low_included=False),
        default=3.0,
        help="seconds of gets per async client and task count in the async section's concurrency run (default 3)",
    )
    parser.add_argument("--endpoint-url", type=kinds.endpoint_url, help="an already running DynamoDB Local")
    parser.add_argument(
        "--out",
        type=kinds.folder,
        default=DEFAULT_OUT,
        help=f"the folder the transports section writes its chart to, as {CHART_NAME} (default {DEFAULT_OUT}/)",
    )


def run(url: str, args: argparse.Namespace) -> None:
    """Run the chosen sections against the DynamoDB Local at `url`."""
    from kvtable.benchmarks.bulk import run_bulk  # noqa: PLC0415 (the sections import boto3's resources)
    from kvtable.benchmarks.clients import run_clients  # noqa: PLC0415 (boto3 and the benchmarks: kept off `kvtable --help`)
    from kvtable.benchmarks.compare import run_comparison  # noqa: PLC0415 (boto3 and the benchmarks: kept off `kvtable --help`)
    from kvtable.benchmarks.imports import run_imports  # noqa: PLC0415 (boto3 and the benchmarks: kept off `kvtable --help`)
    from kvtable.benchmarks.profile import run_profile  # noqa: PLC0415 (boto3 and the benchmarks: kept off `kvtable --help`)
    from kvtable.benchmarks.transports import Sizes, run_transports  # noqa: PLC0415 (boto3 and the benchmarks: kept off `kvtable --help`)
    from kvtable.local.dynamodb_local import local_dynamodb_client  # noqa: PLC0415 (tempfile, shutil: kept off `kvtable --help`)

    client = local_dynamodb_client(url)
    sections = args.only or SECTIONS
    # Printed with each table that uses it, so that a run's call order can be repeated.
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(2**32)
    print(f"DynamoDB Local at {url}")
    if "compare" in sections:
        run_comparison(client, url, args.keys, args.rounds)
    if "bulk" in sections:
        run_bulk(client, args.keys, (args.keys, args.large_keys))
    if "import" in sections:
        run_imports(url, args.import_pairs)
    if "clients" in sections:
        run_clients(client, url, args.keys, args.ops, max(args.rounds, 5), seed=seed)
    if "transports" in sections:
        calls = args.ops * max(args.rounds, 5)
        sizes = Sizes(
            args.keys, calls, max(calls // 10, 5), max(args.cold_starts, 1), seed, args.out / CHART_NAME
        )
        run_transports(client, url, sizes)
    if "async" in sections:
        from kvtable.benchmarks.async_run import AsyncSizes, run_async  # noqa: PLC0415 (asyncio and the async peers: this section's alone)

        calls = args.ops * max(args.rounds, 5)
        run_async(
            client, url, AsyncSizes(args.keys, calls, max(calls // 10, 5), args.concurrency_seconds, seed)
        )
    if "profile" in sections:
        run_profile(client, args.ops * 3)
    if "lambda" in sections:
        from kvtable.benchmarks.tracing_cost import run_tracing_cost  # noqa: PLC0415 (OpenTelemetry's SDK)

        run_tracing_cost(client, url, max(args.rounds * 10, 30), seed)


def run_bench(args: argparse.Namespace) -> int:
    """Start DynamoDB Local (or use --endpoint-url) and run the benchmark; `startup` needs no engine."""
    sections = args.only or SECTIONS
    if "startup" in sections:
        # Whole `kvtable` processes; first, before DynamoDB Local's JVM shares the cores.
        from kvtable.benchmarks.startup import run_startup  # noqa: PLC0415 (boto3 and the benchmarks: kept off `kvtable --help`)

        run_startup(args.cold_starts, args.seed)
    if "lambda" in sections:
        from kvtable.benchmarks.lambda_cold import run_lambda  # noqa: PLC0415 (boto3 and the benchmarks: kept off `kvtable --help`)

        run_lambda(args.cold_starts, args.seed)
    if not set(sections) - WITHOUT_ENGINE:
        return 0
    from kvtable.local.dynamodb_local import dynamodb_local  # noqa: PLC0415 (keeps --help free of boto3)

    if args.endpoint_url:
        run(args.endpoint_url, args)
    else:
        with dynamodb_local() as local:
            run(local.url, args)
    return 0


BENCH = Command(
    name="bench",
    summary="benchmarks on DynamoDB Local: load, list, bulk loads, import cost, client CPU",
    description=__doc__ or "",
    examples=(
        "kvtable bench",
        "kvtable bench --keys 2000 --rounds 1 --large-keys 20000",
        "kvtable bench --only clients --only profile",
        "kvtable bench --only transports --seed 7",
        "kvtable bench --only async --concurrency-seconds 5",
        "kvtable bench --only lambda",
    ),
    add_arguments=add_arguments,
    run=run_bench,
    extras=("build",),
)
