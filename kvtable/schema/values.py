"""Converting JSON values to DynamoDB attribute values and back, and DynamoDB's item size rule."""

import base64
import functools
import math
from decimal import Context, Decimal
from typing import TYPE_CHECKING, Any, cast

from kvtable.schema.entities import JsonValue
from kvtable.schema.errors import InvalidInputError
from kvtable.schema.key_design import utf8_text

MAX_ITEM_BYTES = 400 * 1024

# DynamoDB numbers: up to 38 significant digits, magnitude 1E-130 to 9.99E+125.
_MAX_DIGITS = 38
_MAX_NUMBER = Decimal("9.9999999999999999999999999999999999999E+125")
_MIN_NUMBER = Decimal("1E-130")
_DIGITS_38 = Context(prec=_MAX_DIGITS)
_LARGEST_EXACT_INT = 10**_MAX_DIGITS

if TYPE_CHECKING:
    from boto3.dynamodb.types import TypeDeserializer, TypeSerializer


# boto3's converters serve only the rare shapes (sets, bytes, values written by other clients): loaded on
# first use, so that reading and writing JSON values imports no boto3.
@functools.cache
def _serializer() -> "TypeSerializer":
    from boto3.dynamodb.types import TypeSerializer  # noqa: PLC0415 (botocore: not on `kvtable --help`'s nor `kvtable.connect`'s path)

    return TypeSerializer()


@functools.cache
def _deserializer() -> "TypeDeserializer":
    from boto3.dynamodb.types import TypeDeserializer  # noqa: PLC0415 (botocore: not on `kvtable --help`'s nor `kvtable.connect`'s path)

    return TypeDeserializer()


AttributeValue = dict[str, Any]


def _number(value: int | float | Decimal, path: str) -> Decimal:
    if isinstance(value, float | Decimal) and not math.isfinite(value):
        raise InvalidInputError(f"value at {path} is {value}; DynamoDB cannot store NaN or infinity")
    # str() keeps what a person wrote (0.1 stays 0.1), not the binary float's expansion.
    number = value if isinstance(value, Decimal) else Decimal(str(value))
    magnitude = number.copy_abs()  # exact: abs() would round to the context's 28 digits
    if magnitude != 0 and not (_MIN_NUMBER <= magnitude <= _MAX_NUMBER):
        raise InvalidInputError(f"number at {path} is outside DynamoDB's range (1E-130 to 9.99E+125)")
    # Counted by hand: Decimal.normalize() would round to the context's 28 digits first.
    significant = "".join(map(str, number.as_tuple().digits)).strip("0")
    if len(significant) > _MAX_DIGITS:
        raise InvalidInputError(f"number at {path} has more than the 38 significant digits DynamoDB keeps")
    # At most 38 significant digits, so this only drops trailing zeros (10**125 has one digit), which
    # boto3's serializer, held to 38 digits, would otherwise refuse as rounding.
    return _DIGITS_38.create_decimal(number)


# DynamoDB allows 32 levels of nesting, counting the item's own attribute (here `value`) as the first.
MAX_DEPTH = 31


def check_depth(value: object) -> None:
    """Refuse nesting deeper than DynamoDB's 32 levels, without recursion (any depth is safe to check)."""
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list | tuple):
            if depth >= MAX_DEPTH:
                raise InvalidInputError(
                    f"value is nested deeper than DynamoDB's 32 levels ({MAX_DEPTH} below the item's attribute)"
                )
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)


def to_storable(value: object, path: str = "value") -> object:
    """The JSON value with numbers as Decimal; refuse what DynamoDB cannot store, naming where."""
    if path == "value":
        check_depth(value)
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, str):
        utf8_text(f"text at {path}", value)
        return value
    if isinstance(value, int) and -_LARGEST_EXACT_INT < value < _LARGEST_EXACT_INT:
        return value  # a whole number under 38 digits is stored exactly as it is
    if isinstance(value, int | float | Decimal):
        return _number(value, path)
    if isinstance(value, list | tuple):
        return [to_storable(v, f"{path}[{i}]") for i, v in enumerate(value)]
    if isinstance(value, dict):
        stored = {}
        for key, item in value.items():
            if not isinstance(key, str) or key == "":
                raise InvalidInputError(
                    f"object key {key!r} at {path} must be a non-empty string for DynamoDB"
                )
            utf8_text(f"object key at {path}", key)
            stored[key] = to_storable(item, f"{path}.{key}")
        return stored
    raise InvalidInputError(f"value at {path} is a {type(value).__name__}, which is not a JSON value")


def exact_number(number: Decimal) -> int | float | Decimal:
    """A stored number as int when whole, as float when a float holds it exactly, else as the Decimal
    (38 significant digits do not fit a float: the number must come back as it went in)."""
    if number == number.to_integral_value():
        return int(number)
    as_float = float(number)
    return as_float if Decimal(repr(as_float)) == number else number


def from_stored(value: object) -> JsonValue:
    """A deserialized DynamoDB value as plain JSON: numbers as int, float or (when only it is exact) Decimal."""
    if isinstance(value, Decimal):
        return exact_number(value)
    if isinstance(value, list):
        return [from_stored(v) for v in value]
    if isinstance(value, set | frozenset):
        # Written by another client: the data layer itself never stores sets.
        return sorted((from_stored(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {k: from_stored(v) for k, v in value.items()}
    if value is None or isinstance(value, bool | str):
        return value
    raise TypeError(f"unexpected stored type {type(value).__name__}")


def serialize_value(value: object) -> AttributeValue:
    """One Python value in DynamoDB's wire format: what boto3's TypeSerializer makes, in one pass
    over the shapes a checked JSON value has (every write's hot path), and through it for the rest."""
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if value is None:
        return {"NULL": True}
    if isinstance(value, Decimal) and value.is_finite():
        return {"N": str(_DIGITS_38.create_decimal(value))}
    if isinstance(value, int) and -_LARGEST_EXACT_INT < value < _LARGEST_EXACT_INT:
        return {"N": str(value)}
    if isinstance(value, dict) and all(isinstance(key, str) for key in value):
        return {"M": {key: serialize_value(item) for key, item in value.items()}}
    if isinstance(value, list):
        return {"L": [serialize_value(item) for item in value]}
    return cast(AttributeValue, _serializer().serialize(value))


def serialize_item(item: dict[str, object]) -> dict[str, AttributeValue]:
    """A Python item (numbers as int or Decimal) in DynamoDB's wire format."""
    return {k: serialize_value(v) for k, v in item.items()}


def _number_from_wire(text: str) -> int | float | Decimal:
    if text.lstrip("-").isdigit():
        return int(text)
    return exact_number(Decimal(text))


def from_wire(value: AttributeValue) -> Any:
    """One wire-format value as plain Python: numbers as int or float, sets as sorted lists, binary as
    base64 text.

    Converts in one pass, without building Decimals first: listing is the hot path, so the common
    kinds are looked up directly (a dict lookup costs less than unpacking the one-entry dict).
    """
    text = value.get("S")
    if text is not None:
        return text
    number = value.get("N")
    if number is not None:
        return _number_from_wire(number)
    members = value.get("M")
    if members is not None:
        return {k: from_wire(v) for k, v in members.items()}
    elements = value.get("L")
    if elements is not None:
        return [from_wire(v) for v in elements]
    ((kind, data),) = value.items()
    if kind == "BOOL":
        return data
    if kind == "NULL":
        return None
    if kind == "B":
        return _binary_text(data)
    if kind == "BS":
        return sorted(_binary_text(member) for member in data)
    return from_stored(_deserializer().deserialize(cast(Any, value)))


def _binary_text(data: str | bytes) -> str:
    """Binary written by another client, as the base64 text DynamoDB's JSON carries: botocore hands over
    the decoded bytes, the direct transport the text itself, and both read back the same."""
    return data if isinstance(data, str) else base64.b64encode(data).decode("ascii")


def deserialize_item(item: dict[str, AttributeValue]) -> dict[str, Any]:
    """A wire-format item as Python, with numbers as int or float."""
    item_out: dict[str, Any] = {}
    for name, value in item.items():
        # Most of an item's attributes are text: taken here without a call.
        text = value.get("S")
        item_out[name] = text if text is not None else from_wire(value)
    return item_out


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").lstrip("0") or "0"
    return (len(digits) + 1) // 2 + 1


def attribute_value_size(value: AttributeValue) -> int:
    """Bytes DynamoDB counts for one attribute value (its documented sizing rules)."""
    ((kind, data),) = value.items()
    if kind == "S":
        return _text_size(data)
    if kind == "N":
        return _number_size(data)
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + attribute_value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + attribute_value_size(v) for k, v in data.items())
    if kind == "SS":
        return sum(len(s.encode("utf-8")) for s in data)
    if kind == "NS":
        return sum(_number_size(n) for n in data)
    return sum(len(b) for b in data)


def _text_size(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


def item_size(item: dict[str, AttributeValue]) -> int:
    """Bytes DynamoDB counts for a whole item: names plus values."""
    size = 0
    for name, value in item.items():
        # Most attributes are text: sized here without a call per attribute (every write pays this).
        text = value.get("S")
        size += _text_size(name) + (
            _text_size(text) if isinstance(text, str) else attribute_value_size(value)
        )
    return size


def check_item_size(item: dict[str, AttributeValue]) -> None:
    """Refuse an item over DynamoDB's 400 KB limit before sending it."""
    size = item_size(item)
    if size > MAX_ITEM_BYTES:
        raise InvalidInputError(f"item is {size} bytes; DynamoDB's limit is {MAX_ITEM_BYTES} (400 KB)")
