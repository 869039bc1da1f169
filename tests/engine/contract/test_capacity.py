"""Consumed capacity of every pattern and write: the minimum DynamoDB can charge.

DynamoDB Local reports capacity units as DynamoDB computes them (exact numbers,
so they can be asserted). The README's table lists the same figures.
"""

import time
from collections.abc import Callable

from kvtable.contract.consumed_capacity import CapacityRecorder
from kvtable.contract.store import KvTable

# (what, table units, GSI units) for small items (under 1 KB written, 4 KB read).
EXPECTED = {
    "create user (transaction: user + API key guard)": (4.0, 2.0),
    "create namespace (transaction: user check + metadata + link)": (4.0, 2.0),
    "put key": (1.0, 1.0),
    "put key again": (1.0, 1.0),
    "put key with TTL": (1.0, 1.0),
    "1 get user by id": (0.5, 0.0),
    "1 get user by id, consistent": (1.0, 0.0),
    "2 get user by API key": (0.0, 0.5),
    "3 list user namespaces": (0.5, 0.0),
    "4 get namespace metadata": (0.5, 0.0),
    "5 get key": (0.5, 0.0),
    "5 get key, consistent": (1.0, 0.0),
    "6 list keys by prefix (GSI)": (0.0, 0.5),
    "6 list keys by prefix, consistent (table)": (1.0, 0.0),
    "add usage (atomic counters)": (2.0, 2.0),
    "rotate API key (transaction)": (4.0, 4.0),
    "5 delete key": (1.0, 1.0),
}


def run_every_request(store: KvTable, capacity: CapacityRecorder) -> dict[str, tuple[float, float]]:
    """Run each pattern and write once; return the units each consumed."""
    steps: dict[str, Callable[[], object]] = {
        "create user (transaction: user + API key guard)": lambda: store.create_user(
            "user123", "test@example.com", "abc123def456"
        ),
        "create namespace (transaction: user check + metadata + link)": lambda: store.create_namespace(
            "user123", "myapp"
        ),
        "put key": lambda: store.put_key("myapp", "user:123", {"name": "John"}),
        "put key again": lambda: store.put_key("myapp", "user:123", {"name": "Jane"}),
        "put key with TTL": lambda: store.put_key("myapp", "session:1", "s", ttl=int(time.time()) + 600),
        "1 get user by id": lambda: store.get_user("user123"),
        "1 get user by id, consistent": lambda: store.get_user("user123", consistent=True),
        "2 get user by API key": lambda: store.get_user_by_api_key("abc123def456"),
        "3 list user namespaces": lambda: store.list_user_namespaces("user123"),
        "4 get namespace metadata": lambda: store.get_namespace("myapp"),
        "5 get key": lambda: store.get_key("myapp", "user:123"),
        "5 get key, consistent": lambda: store.get_key("myapp", "user:123", consistent=True),
        "6 list keys by prefix (GSI)": lambda: store.list_keys("myapp", "user:"),
        "6 list keys by prefix, consistent (table)": lambda: store.list_keys(
            "myapp", "user:", consistent=True
        ),
        "add usage (atomic counters)": lambda: store.add_usage("user123", requests=1),
        "rotate API key (transaction)": lambda: store.rotate_api_key("user123", "new-key"),
        "5 delete key": lambda: store.delete_key("myapp", "user:123"),
    }
    measured = {}
    for name, step in steps.items():
        capacity.clear()
        step()
        # Each step is one request, but two: rotation reads the user first, then its transaction; a
        # namespace's creation looks for what a deleted one left first (an empty answer: Local reports 0);
        # adding usage runs its transaction, then reads the totals back (consistent, 1 RCU).
        two = name.startswith(("rotate", "add usage", "create namespace"))
        assert len(capacity.records) == (2 if two else 1), name
        if name.startswith("create namespace"):
            assert (capacity.records[0].operation, capacity.records[0].table) == ("Query", 0.0)
        write = capacity.records[0] if name.startswith("add usage") else capacity.last
        if name.startswith("add usage"):
            assert (capacity.last.operation, capacity.last.table) == ("GetItem", 1.0)
        measured[name] = (write.table, sum(write.indexes.values()))
    return measured


def test_every_request_consumes_the_minimum(store: KvTable, capacity: CapacityRecorder) -> None:
    measured = run_every_request(store, capacity)
    width = max(map(len, measured))
    for name, (table, index) in measured.items():
        print(f"{name:<{width}}  table {table:>4}  GSI {index:>4}")
    assert measured == EXPECTED


def test_reads_cost_half_a_unit_per_4_kb_eventually_consistent(
    store: KvTable, capacity: CapacityRecorder
) -> None:
    store.put_key("myapp", "under-4kb", "x" * (4 * 1024 - 200))
    store.put_key("myapp", "over-4kb", "x" * (4 * 1024 + 1))
    capacity.clear()
    store.get_key("myapp", "under-4kb")
    store.get_key("myapp", "over-4kb")
    assert [r.table for r in capacity.records] == [0.5, 1.0]
