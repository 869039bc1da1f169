"""What every benchmark shares: the keys it writes, timing and memory tracing, and the table it writes to."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    import random

    from mypy_boto3_dynamodb import DynamoDBClient

PREFIX = "item:"
Result = TypeVar("Result")


@dataclass(frozen=True)
class Measurement:
    """Seconds for a run over `count` keys, and the peak traced memory in bytes."""

    seconds: float
    count: int
    peak_bytes: int = 0

    @property
    def per_second(self) -> float:
        """Keys a second."""
        return self.count / self.seconds


def key_name(i: int) -> str:
    """The i-th benchmark key."""
    return f"{PREFIX}{i:06d}"


def key_value(i: int) -> dict[str, Any]:
    """The i-th benchmark value: small, as most values of a key-value service are."""
    return {"n": i, "label": f"value {i}"}


def entries(count: int) -> Iterator[tuple[str, Any]]:
    """`count` (key, value) entries, made on demand."""
    return ((key_name(i), key_value(i)) for i in range(count))


def timed(action: Callable[[], int]) -> Measurement:
    """Wall time of `action`, which returns how many keys it handled."""
    start = time.perf_counter()
    count = action()
    return Measurement(time.perf_counter() - start, count)


def traced(action: Callable[[], int]) -> Measurement:
    """Peak Python memory `action` allocated (tracemalloc), traced apart from timing: tracing is slow."""
    tracemalloc.start()
    try:
        start = time.perf_counter()
        count = action()
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Measurement(seconds, count, peak)


def consumed(items: Iterable[object]) -> int:
    """Count items without keeping them, as a streaming reader would."""
    return sum(1 for _ in items)


def best(measurements: list[Measurement]) -> Measurement:
    """The fastest run: the one least disturbed by the rest of the machine."""
    return min(measurements, key=lambda m: m.seconds)


def median(values: Iterable[float]) -> float:
    """The median, robust to the odd slow run."""
    return statistics.median(list(values))


def shuffled_rounds(
    labels: Iterable[str], rounds: int, rng: random.Random, measure: Callable[[str, int], Result]
) -> dict[str, list[Result]]:
    """`measure(label, round)` of every label, `rounds` times, the labels in a new random order each round:
    none always runs right after another (warm caches), and a machine that speeds up or slows down
    meanwhile affects every label alike."""
    results: dict[str, list[Result]] = {label: [] for label in labels}
    for index, label in shuffled_order(list(results), rounds, rng):
        results[label].append(measure(label, index))
    return results


def shuffled_order(labels: list[str], rounds: int, rng: random.Random) -> Iterator[tuple[int, str]]:
    """(round, label) for every label once a round, in a new random order each round: shuffled_rounds'
    order, for a caller that measures in its own way (the async section awaits each call)."""
    order = list(labels)
    for index in range(rounds):
        rng.shuffle(order)
        for label in order:
            yield index, label


def compiled_bytecode_environment() -> dict[str, str]:
    """This process's environment for fresh processes that write bytecode, into a new cache folder:
    installed packages carry compiled bytecode; a checkout under PYTHONDONTWRITEBYTECODE would not."""
    environment = dict(os.environ)
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = tempfile.mkdtemp(prefix="kvtable-bench-pyc-")
    return environment


def fresh_process_figures(source: str, environment: dict[str, str], what: str) -> tuple[float, list[float]]:
    """Run `source` in a fresh Python process (`python -c`); (the wall-clock time it was started at, the
    numbers it printed). A process that fails is RuntimeError naming `what`, with the end of its stderr."""
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-c", source], env=environment, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed: {done.stderr.strip()[-500:]}")
    return started, [float(value) for value in done.stdout.split()]


def new_table(client: DynamoDBClient, purpose: str) -> str:
    """A fresh table from the template, named for what the benchmark does with it."""
    from kvtable.builders.table_definition import create_table_from_template  # noqa: PLC0415 (the `build` extra)

    name = f"bench-{purpose}-{uuid.uuid4().hex[:8]}"
    create_table_from_template(client, name)
    return name
