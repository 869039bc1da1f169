"""Many keys at once (kvtable/contract/bulk.py), driven by hand: batches of the documented sizes, the
answer in the order asked, and where a bulk load that failed part way can resume."""

from typing import Any

import pytest

from kvtable.contract.bulk import BulkKeyOperations
from kvtable.schema.errors import InvalidEntryError, InvalidInputError, PartialWriteError
from tests.unit.contract.by_hand import NOW_SECONDS, TABLE, drive, service_error, table_requests


def key_item(name: str, value: int, **more: Any) -> dict[str, Any]:
    return {
        "PK": {"S": "NS#ns"},
        "SK": {"S": f"KEY#{name}"},
        "value": {"N": str(value)},
        "version": {"N": "1"},
        **more,
    }


def test_get_keys_asks_100_keys_a_request_and_answers_live_keys_in_the_order_asked() -> None:
    names = [f"k{i:03d}" for i in range(250)]
    expired = key_item("k001", 1, ttl={"N": str(NOW_SECONDS - 1)})
    answers: list[dict[str, Any]] = [
        {"Responses": {TABLE: [key_item("k002", 2), expired, key_item("k000", 0)]}},
        {"Responses": {TABLE: [key_item("k150", 150)]}},
        {"Responses": {TABLE: []}},
    ]
    driven = drive(BulkKeyOperations(table_requests()).get_keys("ns", names), *answers)
    assert [len(call.request["RequestItems"][TABLE]["Keys"]) for call in driven.calls] == [100, 100, 50]
    assert list(driven.result) == ["k000", "k002", "k150"]


def test_a_bulk_load_writes_25_a_request_and_the_last_value_of_a_key_wins() -> None:
    entries = [(f"k{i:02d}", i) for i in range(30)] + [("k00", "last")]
    driven = drive(BulkKeyOperations(table_requests()).load_keys("ns", iter(entries)), {}, {})
    batches = [call.request["RequestItems"][TABLE] for call in driven.calls]
    assert [len(batch) for batch in batches] == [25, 6]
    assert batches[1][-1]["PutRequest"]["Item"]["value"] == {"S": "last"}
    assert driven.result == 31


def test_a_bad_entry_says_which_and_how_many_entries_are_written() -> None:
    entries = [(f"k{i:02d}", i) for i in range(30)] + [("bad#key", 1)]
    with pytest.raises(InvalidEntryError) as bad:
        drive(BulkKeyOperations(table_requests()).load_keys("ns", entries), {})
    assert (bad.value.entry, bad.value.written) == (31, 25)


def test_a_failed_write_says_where_the_written_entries_end() -> None:
    entries = ((f"k{i:02d}", i) for i in range(60))
    operation = BulkKeyOperations(table_requests()).load_keys("ns", entries)
    with pytest.raises(PartialWriteError) as partial:
        drive(operation, {}, service_error("AccessDeniedException"))
    assert (partial.value.written, partial.value.failed) == (25, (26, 50))


@pytest.mark.parametrize("workers", [0, 17, 2.0])
def test_workers_out_of_range_are_refused_before_any_request(workers: Any) -> None:
    with pytest.raises(InvalidInputError, match="workers"):
        drive(BulkKeyOperations(table_requests()).load_keys("ns", [("k", 1)], workers=workers))
