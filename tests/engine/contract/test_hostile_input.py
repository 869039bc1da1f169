"""Whatever a client of the service sends, the data contract answers with its own error type, before
any request, and writes nothing: cursors, numbers, text, types, nesting and TTLs, on DynamoDB Local."""

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, cast

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.schema.errors import InvalidInputError, KvTableError
from kvtable.transport import TransportChoice

NOW = 1_800_000_000  # the store's clock below: 2027-01-15


def at_now() -> datetime:
    return datetime.fromtimestamp(NOW, UTC)


def every_item(client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    return sorted(client.scan(TableName=table)["Items"], key=lambda i: json.dumps(i, sort_keys=True))


@pytest.fixture
def seeded(store: KvTable, dynamodb_client: DynamoDBClient, table_name: str) -> list[dict[str, Any]]:
    """A user, a namespace and a key; returns every item of the table."""
    store.create_user("u1", "u1@example.com", "key-one")
    store.create_namespace("u1", "ns1")
    store.put_key("ns1", "k1", {"v": 1})
    return every_item(dynamodb_client, table_name)


def refused(call: Callable[[], object]) -> InvalidInputError:
    """The call raises the project's InvalidInputError (and nothing else)."""
    with pytest.raises(KvTableError) as error:
        result = call()
        if hasattr(result, "__next__"):
            next(result)
    assert isinstance(error.value, InvalidInputError), repr(error.value)
    return error.value


def cursor_of(document: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode().rstrip("=")


HOSTILE_CURSORS: list[Any] = [
    17,
    True,
    ["a"],
    {"PK": {"S": "NS#ns1"}},
    "!!!not base64!!!",
    "x" * 100_000,
    cursor_of("a string"),
    cursor_of([1, 2, 3]),
    cursor_of({"PK": {"S": "NS#other"}, "SK": {"S": "KEY#a"}}),
    cursor_of({"PK": {"N": "1"}, "SK": {"S": "KEY#a"}}),
    cursor_of({"PK": {"S": "NS#ns1"}, "SK": {"S": "KEY#a"}, "extra": {"S": "x"}}),
    base64.urlsafe_b64encode(b"[" * 50_000 + b"]" * 50_000).decode(),
    base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(),
    "\ud800",
]


@pytest.mark.parametrize("cursor", HOSTILE_CURSORS, ids=range(len(HOSTILE_CURSORS)))
def test_cursors_are_untrusted_input(store: KvTable, seeded: list[dict[str, Any]], cursor: Any) -> None:
    for listing in (
        lambda: store.list_keys("ns1", "", 10, cursor),
        lambda: store.list_keys("ns1", "", 10, cursor, consistent=True),
        lambda: store.list_user_namespaces("u1", 10, cursor),
    ):
        refused(listing)


def test_a_cursor_from_another_listing_namespace_or_prefix_is_refused(
    store: KvTable, seeded: list[dict[str, Any]]
) -> None:
    for i in range(3):
        store.put_key("ns1", f"a{i}", i)
    gsi_cursor = store.list_keys("ns1", "", page_size=1).cursor
    table_cursor = store.list_keys("ns1", "", page_size=1, consistent=True).cursor
    assert gsi_cursor and table_cursor
    refused(lambda: store.list_keys("ns1", "", 1, table_cursor))  # a table cursor on the GSI listing
    refused(lambda: store.list_keys("ns1", "", 1, gsi_cursor, consistent=True))
    refused(lambda: store.list_user_namespaces("u1", 1, gsi_cursor))
    store.create_namespace("u1", "ns2")
    refused(lambda: store.list_keys("ns2", "", 1, gsi_cursor))


EDGE_NUMBERS = [
    Decimal("12345678901234567890123456789012345678"),  # 38 significant digits
    Decimal("-12345678901234567890123456789012345678"),
    Decimal("9.9999999999999999999999999999999999999E+125"),
    Decimal("1E+125"),  # one significant digit
    Decimal("1E-130"),
    Decimal("-1E-130"),
    10**125,
    12345678901234567890123456789012345678,
    0,
]


@pytest.mark.parametrize("number", EDGE_NUMBERS, ids=[str(n)[:20] for n in EDGE_NUMBERS])
def test_numbers_dynamodb_keeps_round_trip_exactly(
    store: KvTable, seeded: list[dict[str, Any]], number: Any
) -> None:
    stored = store.put_key("ns1", "n", number)
    assert Decimal(str(stored["value"])) == Decimal(number)
    assert Decimal(str(store.get_key("ns1", "n", consistent=True)["value"])) == Decimal(number)


@pytest.mark.parametrize(
    "number",
    [
        Decimal("1E+126"),
        Decimal("1E-131"),
        Decimal("123456789012345678901234567890123456789"),
        10**126,
        float("nan"),
    ],
    ids=["1E+126", "1E-131", "39 digits", "10**126", "nan"],
)
def test_numbers_dynamodb_cannot_keep_are_refused(
    store: KvTable,
    seeded: list[dict[str, Any]],
    dynamodb_client: DynamoDBClient,
    table_name: str,
    number: Any,
) -> None:
    refused(lambda: store.put_key("ns1", "n", {"x": number}))
    assert every_item(dynamodb_client, table_name) == seeded


LONE = json.loads('"\\ud800"')


def test_text_that_is_not_unicode_is_refused_everywhere(
    store: KvTable, seeded: list[dict[str, Any]], dynamodb_client: DynamoDBClient, table_name: str
) -> None:
    for call in (
        lambda: store.put_key("ns1", "k" + LONE, 1),
        lambda: store.put_key("ns" + LONE, "k", 1),
        lambda: store.put_key("ns1", "k", "text " + LONE),
        lambda: store.put_key("ns1", "k", {LONE: 1}),
        lambda: store.create_user("u" + LONE, "e@example.com", "key-two"),
        lambda: store.create_user("u2", "e@example.com", "key" + LONE),
        lambda: store.get_key("ns1", LONE),
        lambda: store.list_keys("ns1", LONE),
    ):
        assert "not valid Unicode text" in str(refused(call))
    assert every_item(dynamodb_client, table_name) == seeded


WRONG = [None, True, 1, 1.5, ["a"], {"a": 1}, b"bytes"]


@pytest.mark.parametrize("wrong", WRONG, ids=[type(w).__name__ for w in WRONG])
def test_every_parameter_of_the_wrong_type_is_refused(
    store: KvTable, seeded: list[dict[str, Any]], dynamodb_client: DynamoDBClient, table_name: str, wrong: Any
) -> None:
    calls: list[Callable[[], object]] = [
        lambda: store.get_user(wrong),
        lambda: store.get_user_by_api_key(wrong),
        lambda: store.get_namespace(wrong),
        lambda: store.get_key(wrong, "k1"),
        lambda: store.get_key("ns1", wrong),
        lambda: store.put_key(wrong, "k", 1),
        lambda: store.put_key("ns1", wrong, 1),
        lambda: store.create_key("ns1", wrong, 1),
        lambda: store.update_key("ns1", wrong, 1),
        lambda: store.delete_key("ns1", wrong),
        lambda: store.list_keys(wrong),
        lambda: store.list_keys("ns1", wrong),
        lambda: store.list_user_namespaces(wrong),
        lambda: store.iter_keys(wrong),
        lambda: store.create_user(wrong, "e@example.com", "key-two"),
        lambda: store.create_user("u2", wrong, "key-two"),
        lambda: store.create_user("u2", "e@example.com", wrong),
        lambda: store.create_user("u2", "e@example.com", "key-two", plan=wrong),
        lambda: store.create_namespace(wrong, "ns9"),
        lambda: store.create_namespace("u1", wrong),
        lambda: store.rotate_api_key("u1", wrong),
        lambda: store.load_keys(wrong, [("k", 1)]),
        lambda: store.load_keys("ns1", [(wrong, 1)]),
        lambda: store.get_keys(wrong, ["k"]),
        lambda: store.get_keys("ns1", [wrong]),
        lambda: store.delete_keys(wrong, ["k"]),
        lambda: store.delete_keys("ns1", ["k1", wrong]),
        lambda: store.count_keys(wrong),
        lambda: store.count_keys("ns1", wrong),
        lambda: store.update_user(wrong, plan="pro"),
        lambda: store.update_user("u1", email=wrong),
        lambda: store.delete_namespace(wrong, "ns1"),
        lambda: store.delete_namespace("u1", wrong),
        lambda: store.delete_user(wrong),
    ]
    if (not isinstance(wrong, int) or isinstance(wrong, bool)) and wrong is not None:
        calls += [
            lambda: store.put_key("ns1", "k", 1, ttl=wrong),
            lambda: store.add_usage("u1", requests=wrong),
            lambda: store.list_keys("ns1", "", page_size=wrong),
            lambda: store.update_key("ns1", "k1", 1, expected_version=wrong),
            lambda: store.load_keys("ns1", [("k", 1)], workers=wrong),
        ]
    if not isinstance(wrong, bool):
        calls += [
            lambda: store.get_user("u1", consistent=wrong),
            lambda: store.list_keys("ns1", "", consistent=wrong),
            lambda: store.get_key("ns1", "k1", consistent=wrong),
            lambda: store.get_keys("ns1", ["k1"], consistent=wrong),
            lambda: store.count_keys("ns1", consistent=wrong),
            lambda: store.delete_user("u1", delete_namespaces=wrong),
        ]
    if isinstance(wrong, bytes):
        calls.append(lambda: store.put_key("ns1", "k", cast(Any, {"x": [1, wrong]})))
    for call in calls:
        refused(call)
    assert every_item(dynamodb_client, table_name) == seeded


@pytest.mark.parametrize("name", [None, 7, "ab", "has space", "x" * 256, "bad/name"])
def test_the_constructor_refuses_names_dynamodb_would(dynamodb_client: DynamoDBClient, name: Any) -> None:
    refused(lambda: KvTable(dynamodb_client, table_name=name))
    refused(lambda: KvTable(dynamodb_client, gsi_name=name))


def nested(depth: int) -> Any:
    value: Any = "leaf"
    for _ in range(depth):
        value = {"n": value}
    return value


def test_nesting_up_to_dynamodbs_limit_is_stored_and_deeper_is_refused_at_any_depth(
    store: KvTable, seeded: list[dict[str, Any]], dynamodb_client: DynamoDBClient, table_name: str
) -> None:
    # 31 levels of maps inside the item's own `value` attribute: DynamoDB's 32 levels, measured there.
    store.put_key("ns1", "deep", nested(31))
    assert store.get_key("ns1", "deep", consistent=True)["value"] == nested(31)
    before = every_item(dynamodb_client, table_name)
    for depth in (32, 33, 5_000, 100_000):
        message = str(refused(lambda d=depth: store.put_key("ns1", "x", nested(d))))  # type: ignore[misc]
        assert "deeper than DynamoDB's 32 levels" in message
    assert every_item(dynamodb_client, table_name) == before


@pytest.mark.parametrize(
    ("ttl", "hint"),
    [
        (NOW * 1000, "looks like milliseconds"),
        (NOW * 1_000_000, "looks like milliseconds or microseconds"),
        (NOW - 1, "is not in the future"),
        (10**40, "looks like milliseconds"),
    ],
)
def test_implausible_ttls_are_refused_with_a_hint(
    dynamodb_client: DynamoDBClient, table_name: str, transport: TransportChoice, ttl: int, hint: str
) -> None:
    store = KvTable(dynamodb_client, table_name, transport=transport, clock=at_now)
    assert hint in str(refused(lambda: store.put_key("ns1", "k", 1, ttl=ttl)))
    assert dynamodb_client.scan(TableName=table_name)["Count"] == 0
    store.put_key("ns1", "k", 1, ttl=NOW + 86_400)  # a day ahead, in seconds: fine
