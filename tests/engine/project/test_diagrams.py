"""The key design's diagram against what the contract writes on DynamoDB Local: the items' keys and
attributes. The diagrams' parser and every check that needs no engine are in
tests/unit/project/test_diagrams.py.
"""

from __future__ import annotations

import typing

from boto3.dynamodb.types import TypeDeserializer
from mypy_boto3_dynamodb import DynamoDBClient

from kvtable.contract.store import KvTable
from kvtable.schema import key_design as kd
from tests.unit.project.test_diagrams import (
    API_KEY,
    ENTITIES,
    KEY,
    NAMESPACE,
    USER,
    diagram,
    entity_type,
    item_node,
)


def test_the_items_written_have_the_keys_and_attributes_the_diagram_shows(
    dynamodb_client: DynamoDBClient, table_name: str
) -> None:
    """What the contract writes on DynamoDB Local, each kind of item, against the diagram."""
    store = KvTable(dynamodb_client, table_name)
    store.create_user("alice", "alice@example.com", "secret-key-1", password_hash="h")
    store.create_namespace("alice", "myapp")
    store.put_key("myapp", "greeting", {"text": "hello"}, ttl=4_000_000_000)
    store.create_namespace("alice", "oldapp")
    store.delete_namespace("alice", "oldapp")
    placeholders = {"alice": USER, "secret-key-1": API_KEY, "myapp": NAMESPACE, "oldapp": NAMESPACE}
    placeholders["greeting"] = KEY
    shown = {
        name: item_node(node)
        for name, node in diagram("key-design").nodes.items()
        if node.subgraph == "table"
    }
    seen = set()
    reader = TypeDeserializer()
    for raw in dynamodb_client.scan(TableName=table_name)["Items"]:
        item = {name: reader.deserialize(value) for name, value in raw.items()}
        (kind,) = [
            name
            for name, item_type in ENTITIES.items()
            if item[kd.ENTITY_TYPE_ATTRIBUTE] == entity_type(item_type)
            and set(item) <= set(typing.get_type_hints(item_type))
            and item_type.__required_keys__ <= set(item)  # type: ignore[attr-defined]
        ]
        seen.add(kind)
        pairs, also = shown[kind]
        keys = {}
        for attribute in kd.KEY_ATTRIBUTES:
            if attribute in item:
                prefix, separator, rest = str(item[attribute]).rpartition(kd.SEPARATOR)
                keys[attribute] = prefix + separator + placeholders.get(rest, rest)
        assert keys == {name: value for name, value in pairs.items() if name in kd.KEY_ATTRIBUTES}, kind
        assert set(item) <= set(pairs) | also, kind
    assert seen == set(ENTITIES)
