"""Errors carry which constraint failed as data, so a caller answers its own client without parsing a
message; each kind of item comes back as its own type. On DynamoDB Local."""

import pytest

from kvtable.contract.store import KvTable
from kvtable.schema.errors import AlreadyExistsError


def taken(call: object) -> str:
    with pytest.raises(AlreadyExistsError) as error:
        call()  # type: ignore[operator]
    return error.value.taken


def test_already_exists_says_what_is_taken(store: KvTable) -> None:
    store.create_user("u1", "u1@example.com", "key-one")
    store.create_user("u2", "u2@example.com", "key-two")
    store.create_namespace("u1", "ns1")
    store.create_key("ns1", "k1", 1)
    assert taken(lambda: store.create_user("u1", "other@example.com", "key-three")) == "user"
    assert taken(lambda: store.create_user("u3", "u3@example.com", "key-one")) == "api_key"
    assert taken(lambda: store.rotate_api_key("u2", "key-one")) == "api_key"
    assert taken(lambda: store.create_namespace("u2", "ns1")) == "namespace"
    assert taken(lambda: store.create_key("ns1", "k1", 2)) == "key"


def test_each_kind_of_item_comes_back_as_its_own_shape(store: KvTable) -> None:
    store.create_user("u1", "u1@example.com", "key-one")
    namespace = store.create_namespace("u1", "ns1")
    assert namespace == store.get_namespace("ns1", consistent=True)
    assert (namespace["entityType"], namespace["SK"], namespace["GSI1PK"]) == (
        "NAMESPACE",
        "METADATA",
        "USER#u1",
    )
    (link,) = store.list_user_namespaces("u1", consistent=True).items
    assert (link["entityType"], link["SK"], link["userId"]) == ("NAMESPACE", "NS#ns1", "u1")
    user = store.get_user("u1")
    assert (user["entityType"], user["apiKey"], user["plan"]) == ("USER", "key-one", "free")
    key = store.put_key("ns1", "k1", {"v": 1})
    assert (key["entityType"], key["value"], key["GSI1PK"]) == ("KEY", {"v": 1}, "NS#ns1")
