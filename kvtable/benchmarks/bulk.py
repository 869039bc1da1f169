"""Bulk loads: peak memory of a streamed load of 20,000 and 200,000 keys (it must not grow with the
count), and throughput with 1, 2 and 4 writers."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from kvtable.benchmarks.measure import entries, new_table, timed, traced
from kvtable.contract.store import KvTable

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MEMORY_COUNTS = (20_000, 200_000)
WORKER_COUNTS = (1, 2, 4)


def run_bulk(
    client: DynamoDBClient, throughput_keys: int, memory_counts: tuple[int, ...] = MEMORY_COUNTS
) -> None:
    """Print the memory and the worker tables."""
    store = KvTable(client, new_table(client, "bulk"))
    store.load_keys("warmup", entries(min(2_000, throughput_keys)), workers=4)
    print("\n== bulk load: peak Python memory of a streamed load (tracemalloc; 4 writers)")
    print(f"{'keys':>10}{'peak KiB':>12}{'KiB per 1,000 keys':>22}")
    peaks = []
    for count in memory_counts:
        measured = traced(partial(store.load_keys, f"memory-{count}", entries(count), workers=4))
        peaks.append(measured.peak_bytes)
        print(
            f"{count:>10,}{measured.peak_bytes / 1024:>12,.0f}{measured.peak_bytes / 1024 / count * 1000:>22,.1f}"
        )
    growth = peaks[-1] / peaks[0]
    print(
        f"peak memory at {memory_counts[-1]:,} keys is {growth:.2f}x that at {memory_counts[0]:,}: "
        f"{'flat' if growth < 1.5 else 'it GROWS with the count'}"
    )

    print(f"\n== bulk load throughput: {throughput_keys:,} keys, each writer count twice, alternated")
    runs: dict[int, list[float]] = {w: [] for w in WORKER_COUNTS}
    for round_number in range(2):
        order = WORKER_COUNTS if round_number == 0 else tuple(reversed(WORKER_COUNTS))
        for workers in order:
            namespace = f"workers-{workers}-{round_number}"
            measured = timed(partial(store.load_keys, namespace, entries(throughput_keys), workers=workers))
            runs[workers].append(measured.per_second)
    print(f"{'writers':>8}{'keys/s (best)':>16}{'vs 1 writer':>14}")
    one = max(runs[1])
    for workers in WORKER_COUNTS:
        print(f"{workers:>8}{max(runs[workers]):>16,.0f}{max(runs[workers]) / one:>13.2f}x")
