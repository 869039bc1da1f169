"""The `async` section: the async clients (async_clients.py) on the same DynamoDB Local, on one event
loop. First client CPU per get, put and page, each call awaited alone, the clients in an order shuffled
afresh for every call index (seeded, printed); then a concurrency run: N tasks (1, 8, 64) doing gets for
a fixed time per client, giving requests per second and client CPU per request.

CPU is this process's own (time.process_time: every thread, so pydynox's Rust threads count, DynamoDB
Local's JVM does not). On a machine whose cores DynamoDB Local shares, requests per second is bounded by
the engine as much as by the client: CPU per request is the client's own figure."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kvtable.benchmarks.async_clients import AsyncMeasured, async_clients
from kvtable.benchmarks.clients import NAMESPACE, PAGE
from kvtable.benchmarks.measure import entries, new_table, shuffled_order
from kvtable.contract.store import KvTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

LOADED_KEYS = 2_000
WARM_CALLS = 20
TASKS = (1, 8, 64)
OPERATIONS = (("get", "get (GetItem)"), ("put", "put (UpdateItem)"), ("page", f"page (Query, {PAGE} keys)"))


@dataclass(frozen=True)
class AsyncSizes:
    """How much to measure: keys loaded, awaited calls per client for get and put, pages, seconds of gets
    per client and task count in the concurrency run, and the seed of the call order."""

    keys: int
    calls: int
    pages: int
    seconds: float
    seed: int
    tasks: tuple[int, ...] = TASKS


@dataclass(frozen=True)
class Throughput:
    """One client's concurrency run: gets answered, wall seconds and CPU seconds."""

    requests: int
    seconds: float
    cpu: float

    @property
    def per_second(self) -> float:
        """Requests answered per second."""
        return self.requests / self.seconds

    @property
    def cpu_per_request(self) -> float:
        """Client CPU µs per request."""
        return self.cpu / self.requests * 1e6


async def cpu_per_call(
    clients: list[AsyncMeasured], sizes: AsyncSizes, keys: int, rng: random.Random
) -> dict[str, dict[str, list[float]]]:
    """CPU seconds of each awaited call, per operation and client, the clients' order shuffled per call."""
    by_name = {each.name: each for each in clients}
    for each in clients:  # warm every path: connections open, caches filled
        for i in range(min(WARM_CALLS, keys)):
            await each.get(i)
            await each.put(i)
        await each.page()
    samples: dict[str, dict[str, list[float]]] = {}
    clock = time.process_time
    for operation, _ in OPERATIONS:
        calls = sizes.pages if operation == "page" else sizes.calls
        seen: dict[str, list[float]] = {name: [] for name in by_name}
        for i, name in shuffled_order(list(by_name), calls, rng):
            each = by_name[name]
            start = clock()
            await (each.page() if operation == "page" else getattr(each, operation)(i % keys))
            seen[name].append(clock() - start)
        samples[operation] = seen
    return samples


async def gets_for(each: AsyncMeasured, tasks: int, seconds: float, keys: int) -> Throughput:
    """`tasks` tasks doing gets on `each` for `seconds`, after one concurrent round to open connections."""
    await asyncio.gather(*(each.get(task % keys) for task in range(tasks)))
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    answered = 0

    async def worker(first: int) -> None:
        nonlocal answered
        i = first
        while loop.time() < deadline:
            await each.get(i % keys)
            answered += 1
            i += tasks

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(task) for task in range(tasks)))
    return Throughput(answered, time.perf_counter() - wall, time.process_time() - cpu)


async def concurrency(
    clients: list[AsyncMeasured], sizes: AsyncSizes, keys: int, rng: random.Random
) -> dict[int, dict[str, Throughput]]:
    """Per task count, each client's run, the clients in a new random order for each count."""
    runs: dict[int, dict[str, Throughput]] = {}
    for tasks in sizes.tasks:
        order = list(clients)
        rng.shuffle(order)
        runs[tasks] = {each.name: await gets_for(each, tasks, sizes.seconds, keys) for each in order}
    return runs


async def measure_async(
    client: DynamoDBClient, url: str, table: str, sizes: AsyncSizes
) -> tuple[list[str], dict[str, dict[str, list[float]]], dict[int, dict[str, Throughput]], list[str]]:
    """(client names, CPU samples, concurrency runs, notes) on `table`, already loaded."""
    rng = random.Random(sizes.seed)
    clients, notes = async_clients(client, table, url)
    keys = min(sizes.keys, LOADED_KEYS)
    try:
        samples = await cpu_per_call(clients, sizes, keys, rng)
        runs = await concurrency(clients, sizes, keys, rng)
    finally:
        for each in clients:
            await each.aclose()
    return [each.name for each in clients], samples, runs, notes


def run_async(client: DynamoDBClient, url: str, sizes: AsyncSizes) -> None:
    """Load the keys, measure every async client and print both tables."""
    table = new_table(client, "async")
    KvTable(client, table).load_keys(NAMESPACE, entries(min(sizes.keys, LOADED_KEYS)), workers=4)
    names, samples, runs, notes = asyncio.run(measure_async(client, url, table, sizes))
    for note in notes:
        print(f"({note})")
    print(
        f"\n== async clients (random order: seed {sizes.seed}): client CPU per awaited call, µs: the mean of "
        f"{sizes.calls:,} gets and puts and {sizes.pages:,} pages each, one call at a time"
    )
    print(f"{'':<26}" + "".join(f"{name:>20}" for name in names))
    for operation, title in OPERATIONS:
        row = [sum(samples[operation][name]) / len(samples[operation][name]) * 1e6 for name in names]
        print(f"{title:<26}" + "".join(f"{value:>20,.0f}" for value in row))
    print(
        f"\n== async concurrency: N tasks doing gets for {sizes.seconds:g} s per client: requests/s, "
        "client CPU µs per request, requests per CPU-second"
    )
    print(f"{'':<26}" + "".join(f"{name:>20}" for name in names))
    for tasks, measured in runs.items():
        figures = {name: _figures(measured[name]) for name in names}
        for position, label in enumerate(("requests/s", "CPU µs/request", "requests/CPU-s")):
            print(f"{f'N={tasks} {label}':<26}" + "".join(f"{figures[name][position]:>20}" for name in names))


def _figures(run: Throughput) -> tuple[str, str, str]:
    per_cpu_second = f"{run.requests / run.cpu:,.0f}" if run.cpu else "-"
    return f"{run.per_second:,.0f}", f"{run.cpu_per_request:,.0f}", per_cpu_second
