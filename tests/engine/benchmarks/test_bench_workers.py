"""The workers' benchmark at a small size, so that it cannot rot: it runs load and migrate workers to
their end (each must exit 0) and asserts nothing about its figures."""

import pytest

from kvtable.benchmarks.workers import run_workers


@pytest.mark.dynamodb_local  # it starts one of its own, as the benchmark does
def test_the_workers_benchmark_runs_at_a_small_size() -> None:
    rows = run_workers(100, counts=(1, 2))
    assert [count for count, _, _ in rows] == [1, 2]
