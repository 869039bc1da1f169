"""What tracing costs a get on the direct transport: client CPU per get with OpenTelemetry absent, with its
API imported and no SDK (no provider set: kvtable's fast path), and with the SDK recording every span and
measurement into memory.

Two ways, each alternating the three modes in an order shuffled afresh every round by a seeded RNG
(printed, so a run can be repeated), each counting only the client's CPU (time.process_time), so the
engine's CPU never counts and a busy machine slows the three alike:
- in one process (`measure_in_process`), on one store: for "absent" its telemetry wrappers are taken off
  (it runs as a store built without OpenTelemetry installed), for the SDK kvtable gets the SDK's
  providers; the same store, connection, heap and caches for the three: the ratio to trust.
- in three fresh processes (`measure_in_processes`), one a mode, where "absent" cannot import OpenTelemetry
  at all: what a deployment sees, but each process's own layout moves its figure by several percent.
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import TYPE_CHECKING

from kvtable.benchmarks.measure import new_table, shuffled_rounds
from kvtable.local.dynamodb_local import dynamodb_local, local_dynamodb_client

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from kvtable.contract.store import KvTable

MODES = ("absent", "api", "sdk")
LABELS = {
    "absent": "OpenTelemetry absent",
    "api": "API imported, no SDK",
    "sdk": "SDK, in-memory exporter",
}
KEYS = 100
WARM_GETS = 200
TARGET_API_OVERHEAD = 0.03  # the API without an SDK may cost at most 3% CPU per get over absent

_WORKER = """
import sys, time
mode, url, table, keys, warm = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
if mode == "absent":
    class _NoOpenTelemetry:
        def find_spec(self, name, path=None, target=None):
            if name == "opentelemetry" or name.startswith("opentelemetry."):
                raise ImportError("OpenTelemetry is absent in this mode")
            return None
    sys.meta_path.insert(0, _NoOpenTelemetry())
elif mode == "api":
    import opentelemetry.metrics, opentelemetry.trace  # what an application's own setup imports
elif mode == "sdk":
    from opentelemetry import metrics, trace
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    trace.set_tracer_provider(provider)
    metrics.set_meter_provider(MeterProvider([InMemoryMetricReader()]))
import boto3
from kvtable.contract.store import KvTable
client = boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1",
                      aws_access_key_id="bench", aws_secret_access_key="bench")
store = KvTable(client, table)
for i in range(warm):
    store.get_key("bench", f"k{i % keys}")
loaded = any(name.startswith("opentelemetry") for name in sys.modules)
print("ready", loaded, flush=True)
for line in sys.stdin:
    count = int(line)
    start = time.process_time()
    for i in range(count):
        store.get_key("bench", f"k{i % keys}")
    cpu = time.process_time() - start
    if mode == "sdk":
        exporter.clear()  # memory stays flat; not measured
    print(cpu, flush=True)
"""


@dataclass(frozen=True)
class TracingCost:
    """Median client CPU µs per get in each mode, over `rounds` rounds of `batch` gets each."""

    per_get_us: dict[str, float]
    rounds: int
    batch: int
    seed: int
    how: str = "in one process"

    def over_absent(self, mode: str) -> float:
        """The mode's CPU per get as a fraction over OpenTelemetry absent (0.02: 2% more)."""
        return self.per_get_us[mode] / self.per_get_us["absent"] - 1

    @property
    def api_within_target(self) -> bool:
        """Whether the API without an SDK costs at most 3% CPU per get over absent."""
        return self.over_absent("api") <= TARGET_API_OVERHEAD

    def report(self) -> list[str]:
        """The figures as lines of text."""
        lines = [
            f"client CPU per get, direct transport, {self.how}: median of {self.rounds} rounds of "
            f"{self.batch} gets, modes in an order shuffled every round (seed {self.seed})"
        ]
        for mode in MODES:
            extra = "" if mode == "absent" else f"  ({self.over_absent(mode):+.1%} over absent)"
            lines.append(f"  {LABELS[mode]:<26} {self.per_get_us[mode]:8.1f} µs{extra}")
        verdict = "within" if self.api_within_target else "OVER"
        lines.append(f"  API without SDK: {verdict} the {TARGET_API_OVERHEAD:.0%} target")
        return lines


class _Worker:
    """One mode's process: sends it a batch size, reads back the batch's CPU seconds."""

    def __init__(self, mode: str, url: str, table: str) -> None:
        environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
        for name in ("OTEL_PYTHON_TRACER_PROVIDER", "OTEL_PYTHON_METER_PROVIDER", "OTEL_SDK_DISABLED"):
            environment.pop(name, None)
        self.mode = mode
        self.process = subprocess.Popen(
            [sys.executable, "-c", textwrap.dedent(_WORKER), mode, url, table, str(KEYS), str(WARM_GETS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=environment,
        )
        ready = self._line().split()
        if ready[:1] != ["ready"]:
            raise RuntimeError(f"the {mode} worker did not start: {ready}")
        # The check that makes the modes what they say: OpenTelemetry loaded in `api` and `sdk` only.
        if (ready[1] == "True") != (mode != "absent"):
            raise RuntimeError(f"the {mode} worker has OpenTelemetry loaded={ready[1]}")

    def _line(self) -> str:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.mode} worker stopped (exit {self.process.wait()})")
        return line.strip()

    def gets(self, count: int) -> float:
        """CPU seconds the worker spent on `count` gets."""
        assert self.process.stdin is not None
        self.process.stdin.write(f"{count}\n")
        self.process.stdin.flush()
        return float(self._line())

    def stop(self) -> None:
        """End the worker (closing its input ends its loop)."""
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def _workers(url: str, table: str) -> Iterator[dict[str, _Worker]]:
    with ExitStack() as stack:
        workers: dict[str, _Worker] = {}
        for mode in MODES:
            worker = _Worker(mode, url, table)
            stack.callback(worker.stop)
            workers[mode] = worker
        yield workers


def load_keys(url: str, table: str) -> None:
    """Write the keys the gets read (namespace `bench`, keys k0..k99, small values)."""
    from kvtable.contract.store import KvTable  # noqa: PLC0415 (each mode's process imports only what that mode measures)

    KvTable(local_dynamodb_client(url), table).load_keys(
        "bench", ((f"k{i}", {"n": i, "label": f"value {i}"}) for i in range(KEYS))
    )


def measure_in_processes(
    url: str, table: str, *, rounds: int = 30, batch: int = 200, seed: int | None = None
) -> TracingCost:
    """CPU per get in each mode, one fresh process a mode, against the table `table` at `url` (DynamoDB
    Local or a stub) holding the keys of load_keys."""
    seed = random.randrange(1 << 30) if seed is None else seed
    rng = random.Random(seed)
    with _workers(url, table) as workers:
        samples = shuffled_rounds(MODES, rounds, rng, lambda mode, _: workers[mode].gets(batch) / batch * 1e6)
    medians = {mode: statistics.median(values) for mode, values in samples.items()}
    return TracingCost(medians, rounds, batch, seed, "one fresh process a mode")


def measure_in_process(
    url: str, table: str, *, rounds: int = 30, batch: int = 200, seed: int | None = None
) -> TracingCost:
    """CPU per get in each mode, on one store in this process, against the table `table` at `url` holding
    the keys of load_keys. Needs the SDK installed; sets no global provider.

    One store, one connection and one heap for the three modes, so nothing but the mode differs: for
    "absent" the store's telemetry wrappers are taken off (it then runs exactly as a store built without
    OpenTelemetry installed), for the SDK kvtable is given the SDK's providers, between batches."""
    import opentelemetry.metrics  # noqa: PLC0415 (imported by the application in the `api` mode)
    import opentelemetry.trace  # noqa: PLC0415, F401 (each mode's process imports only what that mode measures)
    from opentelemetry.sdk.metrics import MeterProvider  # noqa: PLC0415 (each mode's process imports only what that mode measures)
    from opentelemetry.sdk.metrics.export import InMemoryMetricReader  # noqa: PLC0415 (each mode's process imports only what that mode measures)
    from opentelemetry.sdk.trace import TracerProvider  # noqa: PLC0415 (each mode's process imports only what that mode measures)
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor  # noqa: PLC0415 (each mode's process imports only what that mode measures)
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter  # noqa: PLC0415 (each mode's process imports only what that mode measures)

    from kvtable import telemetry  # noqa: PLC0415 (each mode's process imports only what that mode measures)
    from kvtable.contract.store import KvTable  # noqa: PLC0415 (each mode's process imports only what that mode measures)

    store = KvTable(local_dynamodb_client(url), table)
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    meter_provider = MeterProvider([InMemoryMetricReader()])
    previous = telemetry.configure()
    seed = random.randrange(1 << 30) if seed is None else seed
    rng = random.Random(seed)

    def per_get_us(mode: str, _: int) -> float:
        _set_mode(store, mode, tracer_provider, meter_provider)
        cpu = _gets(store, batch) / batch * 1e6
        exporter.clear()
        return cpu

    try:
        for mode in MODES:  # warm each path: the connection open, caches filled
            _set_mode(store, mode, tracer_provider, meter_provider)
            _gets(store, WARM_GETS)
        samples = shuffled_rounds(MODES, rounds, rng, per_get_us)
    finally:
        _set_mode(store, "api", tracer_provider, meter_provider)
        telemetry.configure(
            record_tenant_data=previous.record_tenant_data,
            tracer_provider=previous.tracer_provider,
            meter_provider=previous.meter_provider,
        )
        tracer_provider.shutdown()
        meter_provider.shutdown()
    medians = {mode: statistics.median(values) for mode, values in samples.items()}
    return TracingCost(medians, rounds, batch, seed, "in one process")


def _set_mode(store: KvTable, mode: str, tracer_provider: object, meter_provider: object) -> None:
    from kvtable import telemetry  # noqa: PLC0415 (each mode's process imports only what that mode measures)
    from kvtable.telemetry.wrappers import unwrap_store, wrap_store  # noqa: PLC0415 (each mode's process imports only what that mode measures)

    unwrap_store(store)
    if mode != "absent":
        wrap_store(store)
    if mode == "sdk":
        telemetry.configure(tracer_provider=tracer_provider, meter_provider=meter_provider)
    else:
        telemetry.configure()


def _gets(store: KvTable, count: int) -> float:
    """CPU seconds of `count` gets."""
    start = time.process_time()
    for i in range(count):
        store.get_key("bench", f"k{i % KEYS}")
    return time.process_time() - start


def run_tracing_cost(client: DynamoDBClient, url: str, rounds: int, seed: int) -> TracingCost | None:
    """`make bench --only lambda`'s second half: the three modes' CPU per get on a fresh table of the
    DynamoDB Local at `url` (its JVM's CPU never counts), printed; None without OpenTelemetry's SDK."""
    print("\n== lambda: what tracing costs a get on the direct transport (DynamoDB Local)")
    if find_spec("opentelemetry") is None or find_spec("opentelemetry.sdk") is None:
        print("opentelemetry-api and opentelemetry-sdk are not installed (requirements.txt): no figures")
        return None
    table = new_table(client, "tracing")
    load_keys(url, table)
    cost = measure_in_process(url, table, rounds=rounds, seed=seed)
    for line in cost.report():
        print(line)
    return cost


def main() -> None:
    """Measure on a DynamoDB Local of its own and print the figures."""
    with dynamodb_local() as endpoint:
        table = new_table(local_dynamodb_client(endpoint.url), "tracing")
        load_keys(endpoint.url, table)
        rounds = int(os.environ.get("KVTABLE_BENCH_ROUNDS", "30"))
        for measure in (measure_in_process, measure_in_processes):
            for line in measure(endpoint.url, table, rounds=rounds).report():
                print(line)


if __name__ == "__main__":
    main()
