"""The cost model's capacity per operation equals what DynamoDB Local reports, on both sides of each
1 KB (write) and 4 KB (read) boundary, for key items sized by the same code the write path uses.

DynamoDB Local reports any transaction as 4 + 2 units whatever its items (see docs/data-contract.md),
so transactions are modelled on AWS's rule (twice the units) and not checked here."""

import pytest

from kvtable.contract.consumed_capacity import CapacityRecorder
from kvtable.contract.store import KvTable
from kvtable.cost.capacity import Units, key_item, operation_units, value_for_item_size
from kvtable.schema.values import item_size

NAMESPACE = "myapp"
# Item sizes just under, at and over a write unit (1 KB) and a read unit (4 KB).
SIZES = (1023, 1024, 1025, 4095, 4096, 4097)


def observed(capacity: CapacityRecorder) -> Units:
    """The one request since the recorder was cleared, as the model's Units (reads vs writes by name)."""
    (record,) = capacity.records
    capacity.clear()
    index = record.indexes.get("GSI1", 0.0)
    if record.operation in ("GetItem", "Query"):
        return Units(table_read=record.table, index_read=index)
    return Units(table_write=record.table, index_write=index)


def test_model_units_equal_the_engine_at_each_boundary(store: KvTable, capacity: CapacityRecorder) -> None:
    store.create_user("user123", "test@example.com", api_key="abc123def456")
    store.create_namespace("user123", NAMESPACE)
    for size in SIZES:
        key = f"user:{size}"
        value = value_for_item_size(NAMESPACE, key, size)
        assert item_size(key_item(NAMESPACE, key, value)) == size
        capacity.clear()
        store.put_key(NAMESPACE, key, value)
        assert observed(capacity) == operation_units("put_key", size), size
        store.put_key(NAMESPACE, key, value)  # a rewrite at the same size costs the same
        assert observed(capacity) == operation_units("update_key", size), size
        store.get_key(NAMESPACE, key)
        assert observed(capacity) == operation_units("get_key", size), size
        store.list_keys(NAMESPACE, prefix=key)
        assert observed(capacity) == operation_units("list_keys", size, page_items=1), size
        store.delete_key(NAMESPACE, key)
        assert observed(capacity) == operation_units("delete_key", size), size


@pytest.mark.parametrize("items", [3, 4])
def test_a_page_rounds_its_summed_size_once(store: KvTable, capacity: CapacityRecorder, items: int) -> None:
    """Three items of 1,365 bytes fit one 4 KB read unit together; four do not."""
    store.create_user("user123", "test@example.com", api_key="abc123def456")
    store.create_namespace("user123", NAMESPACE)
    size = 1365
    for number in range(items):
        key = f"k{number}"
        store.put_key(NAMESPACE, key, value_for_item_size(NAMESPACE, key, size))
    capacity.clear()
    store.list_keys(NAMESPACE, prefix="k")
    assert observed(capacity) == operation_units("list_keys", size, page_items=items)
