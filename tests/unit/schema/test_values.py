"""JSON values DynamoDB can store, and its item size rule."""

from decimal import Decimal

import pytest

from kvtable.schema.errors import InvalidInputError
from kvtable.schema.values import (
    AttributeValue,
    check_item_size,
    deserialize_item,
    item_size,
    serialize_item,
    to_storable,
)


def test_json_round_trips_with_ints_and_floats() -> None:
    value = {"name": "John", "age": 42, "score": 0.1, "tags": ["a", None, True], "nested": {"x": []}}
    stored = to_storable(value)
    assert stored == {
        "name": "John",
        "age": Decimal(42),
        "score": Decimal("0.1"),
        "tags": ["a", None, True],
        "nested": {"x": []},
    }
    assert deserialize_item(serialize_item({"value": stored})) == {"value": value}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (float("nan"), "NaN"),
        (float("inf"), "NaN or infinity"),
        ({"a": {1: "x"}}, "object key 1"),
        ({"": 1}, "object key ''"),
        ({1, 2}, "set"),
        (b"bytes", "bytes"),
        (10**200, "range"),
        (int("1" * 39), "38 significant digits"),
        (1e-200, "range"),
    ],
)
def test_values_dynamodb_cannot_store_are_refused(value: object, message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        to_storable(value)


def test_38_digits_and_large_round_numbers_are_accepted() -> None:
    assert to_storable(int("9" * 38)) == Decimal("9" * 38)
    assert to_storable(10**100) == Decimal(10**100)


def test_item_size_counts_names_and_values_as_dynamodb_does() -> None:
    # "PK" (2) + "USER#a" (6) + "n" (1) + number 123 (2 digits' bytes + 1) + "ok" (2) + bool (1)
    item = serialize_item({"PK": "USER#a", "n": 123, "ok": True})
    assert item_size(item) == 2 + 6 + 1 + 3 + 2 + 1


def test_items_over_400_kb_are_refused_and_at_the_limit_accepted() -> None:
    overhead = len("v")
    check_item_size(serialize_item({"v": "x" * (400 * 1024 - overhead)}))
    with pytest.raises(InvalidInputError, match="400 KB"):
        check_item_size(serialize_item({"v": "x" * (400 * 1024 - overhead + 1)}))


def test_wire_numbers_and_sets_from_other_writers_read_back_as_json() -> None:
    item: dict[str, AttributeValue] = {
        "whole": {"N": "1E+2"},
        "fraction": {"N": "-2.50"},
        "big": {"N": "123456789012345678901234567890"},
        "tags": {"SS": ["b", "a"]},
        "flag": {"BOOL": False},
        "none": {"NULL": True},
    }
    assert deserialize_item(item) == {
        "whole": 100,
        "fraction": -2.5,
        "big": 123456789012345678901234567890,
        "tags": ["a", "b"],
        "flag": False,
        "none": None,
    }


def test_binary_written_by_another_client_reads_as_its_base64_text_from_either_transport() -> None:
    # botocore hands over decoded bytes, the direct transport DynamoDB's base64 text: both read the same.
    from_botocore: list[AttributeValue] = [{"B": b"\x00\xffbin"}, {"BS": [b"b", b"a"]}]
    from_the_wire: list[AttributeValue] = [{"B": "AP9iaW4="}, {"BS": ["Yg==", "YQ=="]}]
    for botocore_value, wire_value in zip(from_botocore, from_the_wire, strict=True):
        assert deserialize_item({"v": botocore_value}) == deserialize_item({"v": wire_value})
    assert deserialize_item({"v": from_the_wire[0]}) == {"v": "AP9iaW4="}
    assert deserialize_item({"v": from_the_wire[1]}) == {"v": ["YQ==", "Yg=="]}
