"""The benchmark's own measuring, offline: traced memory is what an action held at its peak. `kvtable
bench` end to end, on DynamoDB Local, is in tests/engine/benchmarks/test_bench.py."""

from kvtable.benchmarks.measure import traced


def test_traced_memory_is_what_the_action_held_at_its_peak() -> None:
    held = traced(lambda: len(bytearray(4_000_000)))
    assert held.count == 4_000_000
    assert 4_000_000 <= held.peak_bytes < 4_200_000
