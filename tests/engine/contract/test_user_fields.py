"""The text fields of users and API keys refuse what DynamoDB cannot store (a lone surrogate, which
`json.loads` makes of "\\ud800") with InvalidInputError naming the field, before any request: nothing is
written, as the table read back shows. On DynamoDB Local, on both transports."""

from collections.abc import Callable
from typing import Any

import pytest
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.schema.errors import InvalidInputError

# A lone high surrogate, a lone low one, and one at the start.
SURROGATES = ["a\ud800b", "x\udfff", "\udc80y"]


def table_items(client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    return sorted(
        client.scan(TableName=table, ConsistentRead=True)["Items"],
        key=lambda item: (item["PK"]["S"], item["SK"]["S"]),
    )


def refused_before_any_request(store: KvTable, write: Callable[[], object], field: str) -> None:
    """`write` raises InvalidInputError naming `field`, and sends nothing to DynamoDB."""
    sent: list[str] = []
    store.transport.before_call.append(lambda operation, _: sent.append(operation))
    with pytest.raises(InvalidInputError, match=f"^{field} is not valid Unicode text"):
        write()
    assert sent == []


@pytest.mark.parametrize("text", SURROGATES)
@pytest.mark.parametrize(
    ("field", "create"),
    [
        ("email", lambda store, text: store.create_user("u1", text, "key-one")),
        (
            "password hash",
            lambda store, text: store.create_user("u1", "u1@example.com", "key-one", password_hash=text),
        ),
        ("user id", lambda store, text: store.create_user(text, "u1@example.com", "key-one")),
        ("API key", lambda store, text: store.create_user("u1", "u1@example.com", text)),
    ],
)
def test_create_user_refuses_a_lone_surrogate_in_any_field_and_writes_nothing(
    store: KvTable,
    dynamodb_client: DynamoDBClient,
    field: str,
    create: Callable[[KvTable, str], object],
    text: str,
) -> None:
    refused_before_any_request(store, lambda: create(store, text), field)
    assert table_items(dynamodb_client, store.table_name) == []


@pytest.mark.parametrize("text", SURROGATES)
def test_update_user_refuses_a_lone_surrogate_in_the_email_and_changes_nothing(
    store: KvTable, dynamodb_client: DynamoDBClient, text: str
) -> None:
    store.create_user("u1", "u1@example.com", "key-one")
    before = table_items(dynamodb_client, store.table_name)
    refused_before_any_request(store, lambda: store.update_user("u1", email=text, plan="pro"), "email")
    assert table_items(dynamodb_client, store.table_name) == before
    assert store.get_user("u1", consistent=True)["email"] == "u1@example.com"


def test_rotate_api_key_refuses_a_lone_surrogate_and_changes_nothing(
    store: KvTable, dynamodb_client: DynamoDBClient
) -> None:
    store.create_user("u1", "u1@example.com", "key-one")
    before = table_items(dynamodb_client, store.table_name)
    refused_before_any_request(store, lambda: store.rotate_api_key("u1", "key\ud800two"), "API key")
    assert table_items(dynamodb_client, store.table_name) == before


def test_valid_text_outside_the_basic_plane_is_stored_and_read_back(store: KvTable) -> None:
    """A surrogate pair is fine: the character it makes is valid text (an emoji, four bytes in UTF-8)."""
    store.create_user("u1", "\U0001f600@example.com", "key-one", password_hash="h\U0001f600")
    store.update_user("u1", email="é\U0001f600@example.com")
    user = store.get_user("u1", consistent=True)
    assert (user["email"], user["passwordHash"]) == ("é\U0001f600@example.com", "h\U0001f600")
