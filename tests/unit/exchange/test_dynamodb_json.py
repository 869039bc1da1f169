"""The DynamoDB JSON lines an import stages and an export holds, and the items the import builds."""

import gzip
import json
import re
from decimal import Decimal

import pytest

from kvtable.exchange.dynamodb_json import entity, item_line, line_item
from kvtable.exchange.staging import imported_key_item, staged_objects
from kvtable.schema.errors import InvalidEntryError, InvalidInputError
from kvtable.schema.values import serialize_item

STAMP = "2026-12-07T12:00:00.000Z"


def test_an_imported_key_is_put_keys_new_key_on_the_wire() -> None:
    item = imported_key_item(
        "myapp", "user:123", {"name": "John", "price": Decimal("0.1")}, STAMP, 4_000_000_000
    )
    write_id = item.pop("writeId")
    assert re.fullmatch(r"\{'S': '[0-9a-f]{32}'\}", repr(write_id))
    assert item == {
        "PK": {"S": "NS#myapp"},
        "SK": {"S": "KEY#user:123"},
        "GSI1PK": {"S": "NS#myapp"},
        "GSI1SK": {"S": "KEY#user:123"},
        "entityType": {"S": "KEY"},
        "value": {"M": {"name": {"S": "John"}, "price": {"N": "0.1"}}},
        "updatedAt": {"S": STAMP},
        "ttl": {"N": "4000000000"},
        "createdAt": {"S": STAMP},
        "version": {"N": "1"},
    }
    again = imported_key_item("myapp", "user:123", 1, STAMP, None)
    assert "ttl" not in again and again["writeId"] != write_id


def test_an_item_over_400_kb_or_a_bad_key_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="DynamoDB's limit is 409600"):
        imported_key_item("ns", "k", "x" * 410_000, STAMP, None)
    with pytest.raises(InvalidInputError):
        imported_key_item("ns", "", 1, STAMP, None)


def test_a_line_round_trips_and_reads_as_the_contract_reads() -> None:
    stored = serialize_item(
        {"PK": "NS#a", "SK": "KEY#b", "entityType": "KEY", "value": {"n": 12, "f": Decimal("1.5")}}
    )
    line = item_line(stored)
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert json.loads(line) == {"Item": stored}
    assert line_item(line, "x") == stored
    # A key from before versions reads as version 1, as get_key reads it.
    assert entity(stored) == {
        "PK": "NS#a",
        "SK": "KEY#b",
        "entityType": "KEY",
        "value": {"n": 12, "f": 1.5},
        "version": 1,
    }


def test_an_incremental_exports_lines() -> None:
    keys = {"PK": {"S": "NS#a"}, "SK": {"S": "KEY#b"}}
    new = {**keys, "entityType": {"S": "KEY"}, "value": {"S": "v"}}
    change = {
        "Metadata": {"WriteTimestampMicros": {"N": "1"}},
        "Keys": keys,
        "NewImage": new,
        "OldImage": keys,
    }
    assert line_item(json.dumps(change), "x") == new
    assert line_item(json.dumps({"Metadata": {}, "Keys": keys, "OldImage": new}), "x") is None  # a deletion


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("not json", "f line 3 is not JSON"),
        ("[1]", "f line 3 is not a JSON object"),
        ('{"Other": 1}', 'has neither "Item" nor "Keys"'),
        ('{"Item": {"PK": "NS#a"}}', "attribute 'PK' is not in DynamoDB JSON"),
        ('{"Item": {"PK": {"S": "NS#a"}}}', "the item has no SK string"),
        ('{"Item": {"PK": {"X": "a"}, "SK": {"S": "b"}}}', "attribute 'PK' is not in DynamoDB JSON"),
    ],
)
def test_a_bad_line_is_named(line: str, message: str) -> None:
    with pytest.raises(InvalidInputError, match=re.escape(message)):
        line_item(line, "f line 3")


def test_objects_hold_a_fixed_number_of_items_gzip() -> None:
    entries = [(f"k{n}", n) for n in range(7)]
    objects = list(staged_objects(entries, "ns", STAMP, None, items_per_object=3))
    assert [(o.number, o.name, o.items) for o in objects] == [
        (1, "part-00001.json.gz", 3),
        (2, "part-00002.json.gz", 3),
        (3, "part-00003.json.gz", 1),
    ]
    lines = [line for o in objects for line in gzip.decompress(o.body).splitlines(keepends=True)]
    assert [json.loads(line)["Item"]["SK"] for line in lines] == [{"S": f"KEY#k{n}"} for n in range(7)]
    assert sum(o.raw_bytes for o in objects) == sum(len(line) for line in lines)
    assert list(staged_objects([], "ns", STAMP, None)) == []


def test_a_bad_entry_says_how_many_came_before() -> None:
    with pytest.raises(InvalidEntryError) as error:
        list(staged_objects([("a", 1), ("b", 2), ("", 3)], "ns", STAMP, None, items_per_object=2))
    assert (error.value.written, error.value.entry) == (2, 3)
